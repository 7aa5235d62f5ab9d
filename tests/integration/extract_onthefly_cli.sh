#!/bin/bash
# cspt extract --on-the-fly: a STAR file and no stack, each row naming where its box is cut from the
# raw tilt series; the same rows and metadata as the stored extraction; cspt reconstruct from it
# gives the map the stored stack gives (bin 1 and 2, 1 and 2 ranks); one-line errors for a missing
# raw stack, a tilt image out of range and a box leaving its image, with nothing written.
source "$(dirname "$0")/lib.sh"
work=$(mktemp -d) && trap 'rm -rf "$work"' EXIT
cd "$work"
"$CSPT" simulate -o sim --model builtin:phantom --particle-box-px 64 --pixel-size-A 2 --image-nx-px 256 \
  --image-ny-px 256 --n-tilt-series 1 --particles-per-series 6 --tilt-scheme bisect36 --dose-per-tilt-e-per-A2 200 \
  --radiation-damage false --target-defocus-A 12000 --defocus-spread-A 2000 --seed 5 > sim.log 2>&1 \
  || { cat sim.log; fail "simulate"; finish; }
for b in 1 2; do
  box=$((64 / b))
  "$CSPT" extract -p sim/project.h5 --box $box --bin $b --geometry truth -o s$b > s$b.log 2>&1 || { cat s$b.log; fail "extract bin $b"; }
  "$CSPT" extract -p sim/project.h5 --box $box --bin $b --geometry truth --on-the-fly -o f$b > f$b.log 2>&1 \
    || { cat f$b.log; fail "extract --on-the-fly bin $b"; }
  /usr/bin/python3 - s$b f$b <<'PY' && pass "bin $b: no stack on the fly, every stored row with the same metadata, the same boxes left out" || fail "bin $b: on-the-fly STAR"
import json, os, sys
s, f = sys.argv[1], sys.argv[2]
assert not [n for n in os.listdir(f) if n.endswith(".mrcs")], os.listdir(f)
def table(path, name):
    lines = open(path).read().split("\n")
    i = lines.index("data_" + name)
    labels, rows = [], []
    for l in lines[i + 1:]:
        if l.startswith("data_"): break
        if l.startswith("_"): labels.append(l.split()[0])
        elif l.strip() and l.strip() != "loop_": rows.append(l.split())
    return labels, rows
ls, rs = table(s + "/particles.star", "particles")
lf, rf = table(f + "/particles.star", "particles")
assert len(rs) == len(rf) > 0, (len(rs), len(rf))
assert ls[0] == "_rlnImageName" and lf[:3] == ["_rlnMicrographName", "_rlnCoordinateX", "_rlnCoordinateY"], (ls, lf)
assert ls[1:] == lf[3:], (ls, lf)
for a, b in zip(rs, rf):
    assert a[1:] == b[3:], (a, b)
    sec, stack = b[0].split("@")
    assert int(sec) >= 1 and os.path.isabs(stack) and os.path.exists(stack), b[0]
os_, oro = table(s + "/particles.star", "optics")
of, orf = table(f + "/particles.star", "optics")
assert of == os_ + ["_csptBin"] and orf[0] == oro[0] + [sys.argv[1][1:]], (os_, of, oro, orf)
js, jf = json.load(open(s + "/summary.json")), json.load(open(f + "/summary.json"))
for k in ("n_projections", "n_particles", "n_projections_outside_image", "pixel_size_A", "box", "bin"):
    assert js[k] == jf[k], (k, js[k], jf[k])
assert jf["on_the_fly"] and not js["on_the_fly"] and jf["outputs"] == ["particles.star", "summary.json"]
print("rows", len(rs), "outside", js["n_projections_outside_image"])
PY
  "$CSPT" reconstruct --star s$b/particles.star -o rs$b --threads 2 > rs$b.log 2>&1 || { cat rs$b.log; fail "reconstruct stored bin $b"; }
  "$CSPT" reconstruct --star f$b/particles.star -o rf$b --threads 2 > rf$b.log 2>&1 || { cat rf$b.log; fail "reconstruct on the fly bin $b"; }
  "${MPIRUN[@]}" -np 2 "$CSPT" reconstruct --star s$b/particles.star -o rs${b}n2 --threads 1 > rs${b}n2.log 2>&1 \
    || { cat rs${b}n2.log; fail "reconstruct stored bin $b, 2 ranks"; }
  "${MPIRUN[@]}" -np 2 "$CSPT" reconstruct --star f$b/particles.star -o rf${b}n2 --threads 1 > rf${b}n2.log 2>&1 \
    || { cat rf${b}n2.log; fail "reconstruct on the fly bin $b, 2 ranks"; }
  for r in "" n2; do
    /usr/bin/python3 - rs$b$r rf$b$r <<'PY' && pass "bin $b ${r:-1 rank}: the on-the-fly map is the stored map" || fail "bin $b ${r:-1 rank}: maps differ"
import mrcfile, numpy as np, sys
for name in ("half1.mrc", "half2.mrc", "map.mrc"):
    a = mrcfile.read(sys.argv[1] + "/" + name).astype(np.float64)
    b = mrcfile.read(sys.argv[2] + "/" + name).astype(np.float64)
    d = np.abs(a - b).max() / np.abs(a).max()
    assert a.shape == b.shape and d <= 1e-6, (name, d)
    print(name, "max relative difference", d)
PY
  done
done
[ "$(json_get s1/summary.json n_projections_outside_image)" -gt 0 ] || [ "$(json_get s2/summary.json n_projections_outside_image)" -gt 0 ] \
  && pass "boxes leaving their image are left out on the fly as in the stored run" || fail "no box left its image: the check proves nothing"
# expect_error NAME PATTERN STAR: cspt reconstruct exits non-zero with one line on stderr matching PATTERN, writing nothing
expect_error() {
  local name=$1 pattern=$2 star=$3
  if "$CSPT" reconstruct --star "$star" -o "err_$name" > out.txt 2> err.txt; then
    fail "$name: accepted"
  elif [ "$(wc -l < err.txt)" -eq 1 ] && grep -q -- "$pattern" err.txt && [ ! -e "err_$name" ]; then pass "$name: $(cat err.txt)"
  else cat err.txt; ls; fail "$name: error message or output left"; fi
}
raw=$(grep -m1 -o '[0-9]*@/[^ ]*' f1/particles.star | cut -d@ -f2)
sed "s#@$raw#@$work/missing.mrc#" f1/particles.star > missing.star
expect_error missing_stack "missing.star.*rlnMicrographName.*missing.mrc.*an existing raw tilt stack" missing.star
sed "s#[0-9]*@$raw#000999@$raw#" f1/particles.star > section.star
expect_error section "section.star: rlnMicrographName = 999@.*a tilt image in 1\.\." section.star
/usr/bin/python3 - <<'PY'
lines = open("f1/particles.star").read().split("\n")
i = next(k for k, l in enumerate(lines) if "@/" in l)
f = lines[i].split(); f[1] = "3"; lines[i] = " ".join(f)
open("outside.star", "w").write("\n".join(lines))
PY
expect_error outside "rlnCoordinateX, rlnCoordinateY = 3, .*inside the 256 x 256 px image" outside.star
finish
