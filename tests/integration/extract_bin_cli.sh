#!/bin/bash
# cspt extract --bin: the binned pixel size recorded in particles.star, the stack header and
# summary.json, cspt reconstruct reading the result; one-line errors for --bin 0, a box x bin larger
# than the tilt images (extract_onthefly_cli.sh tests --on-the-fly).
source "$(dirname "$0")/lib.sh"
work=$(mktemp -d) && trap 'rm -rf "$work"' EXIT
cd "$work"
"$CSPT" simulate -o sim --model builtin:phantom --particle-box-px 64 --pixel-size-A 2 --image-nx-px 256 \
  --image-ny-px 256 --n-tilt-series 1 --particles-per-series 4 --tilt-scheme bisect36 --dose-per-tilt-e-per-A2 200 \
  --radiation-damage false --target-defocus-A 12000 --defocus-spread-A 2000 --seed 5 > sim.log 2>&1 \
  || { cat sim.log; fail "simulate"; finish; }
"$CSPT" extract -p sim/project.h5 --box 32 --bin 2 --geometry truth -o b2 > b2.log 2>&1 || { cat b2.log; fail "extract --bin 2"; }
/usr/bin/python3 - <<'PY' && pass "bin 2: 32 px boxes at 4 A in particles.star, the stack and summary.json" || fail "bin 2 pixel size"
import json, mrcfile
s = json.load(open("b2/summary.json"))
assert s["bin"] == 2 and s["box"] == 32 and abs(s["pixel_size_A"] - 4.0) < 1e-9 and abs(s["raw_pixel_size_A"] - 2.0) < 1e-9, s
with mrcfile.open("b2/particles.mrcs", permissive=True) as m:
    assert m.data.shape[1:] == (32, 32), m.data.shape
    assert abs(float(m.voxel_size.x) - 4.0) < 1e-4, m.voxel_size
lines = open("b2/particles.star").read().split("\n")
labels = [l.split()[0] for l in lines if l.startswith("_rln")]
optics = [l.split() for l in lines[lines.index("data_optics"):] if l.strip() and l.strip()[0].isdigit()][0]
assert abs(float(optics[labels.index("_rlnImagePixelSize")]) - 4.0) < 1e-9, optics
assert int(optics[labels.index("_rlnImageSize")]) == 32, optics
PY
"$CSPT" reconstruct --star b2/particles.star -o rec --threads 2 > rec.log 2>&1 && pass "cspt reconstruct reads the binned set" \
  || { cat rec.log; fail "reconstruct of the binned set"; }
# expect_error NAME PATTERN ARGS...: exits non-zero with one line on stderr matching PATTERN
expect_error() {
  local name=$1 pattern=$2; shift 2
  if "$CSPT" extract -p sim/project.h5 --geometry truth -o "err_$name" "$@" > out.txt 2> err.txt; then
    fail "$name: accepted"
  elif [ "$(wc -l < err.txt)" -eq 1 ] && grep -q -- "$pattern" err.txt; then pass "$name: $(cat err.txt)"
  else cat err.txt; fail "$name: error message"; fi
}
expect_error bin0 "bin = 0" --box 32 --bin 0
expect_error too_large "box x bin = 64 x 8 = 512 px: a raw box no larger than the tilt images (256 x 256 px)" --box 64 --bin 8
[ ! -e err_too_large/particles.mrcs ] && pass "no stack left after the error" || fail "stack left after the error"
finish
