#!/bin/bash
# cspt refine under mpirun with 1, 2 and 3 ranks: the same orientations (to 0.01 deg), tilt geometry
# and maps (to 1e-4 relative), and no particle in both half-maps; with per-region tilt shifts, 1 and
# 2 ranks agree too.
source "$(dirname "$0")/../integration/lib.sh"
work=$(mktemp -d) && trap 'rm -rf "$work"' EXIT
cd "$work"
"$CSPT" simulate --model builtin:phantom --particle-box-px 64 --pixel-size-A 2 --image-nx-px 384 --image-ny-px 384 \
  --n-tilt-series 3 --particles-per-series 6 --tilt-scheme bisect36 --dose-per-tilt-e-per-A2 500 \
  --radiation-damage false --ice-background-rms-rad 0.01 --target-defocus-A 12000 --defocus-spread-A 2000 \
  --ice-thickness-A 500 --seed 5 -o sim > sim.log 2>&1 || { cat sim.log; fail "simulate"; finish; }
cp sim/project.h5 sim/start.h5
"$TESTDATA" perturb --project sim/start.h5 --seed 2 > /dev/null
args=(--reference sim/truth/map.mrc --box 64 --sym D3 --iterations 2 --grid-range-deg 8 --grid-step-deg 4)
for n in 1 2 3; do
  cp sim/start.h5 "sim/r$n.h5"
  "${MPIRUN[@]}" -n $n "$CSPT" refine -p "sim/r$n.h5" -o "r$n" "${args[@]}" --threads $((n == 2 ? 2 : 1)) \
    > "r$n.log" 2>&1 || { cat "r$n.log"; fail "$n rank(s) run"; continue; }
  pass "$n rank(s): $(tail -1 "r$n.log")"
done
for n in 2 3; do
  "$TESTDATA" compare --a "r$n/iter_002/map.mrc" --b r1/iter_002/map.mrc --max-rel-diff 1e-4 > cmp.txt \
    && pass "$n ranks: map equals the 1-rank map ($(head -1 cmp.txt))" || { cat cmp.txt; fail "$n ranks: map differs"; }
  /usr/bin/python3 - "r$n/iter_002/projections.csv" r1/iter_002/projections.csv "r$n/iter_002/tilts.csv" r1/iter_002/tilts.csv <<'PY' \
    && pass "$n ranks: projection angles within 0.01 deg, tilt geometry within 0.01 deg / 0.01 A" || fail "$n ranks: poses differ"
import csv, sys
a = list(csv.DictReader(open(sys.argv[1]))); b = list(csv.DictReader(open(sys.argv[2])))
assert len(a) == len(b) > 0
def d(x, y):
    e = abs(float(x) - float(y)) % 360.0
    return min(e, 360.0 - e)
worst = max(max(d(p[k], q[k]) for k in ("rot_deg", "tilt_deg", "psi_deg")) for p, q in zip(a, b)
            if abs(float(p["tilt_deg"])) > 1.0)  # rot and psi are degenerate at tilt 0
shift = max(abs(float(p[k]) - float(q[k])) for p, q in zip(a, b) for k in ("shift_x_A", "shift_y_A"))
ta = list(csv.DictReader(open(sys.argv[3]))); tb = list(csv.DictReader(open(sys.argv[4])))
tilt = max(abs(float(p[k]) - float(q[k])) for p, q in zip(ta, tb) for k in ("tilt_deg", "axis_deg"))
tshift = max(abs(float(p[k]) - float(q[k])) for p, q in zip(ta, tb) for k in ("shift_x_A", "shift_y_A"))
print(f"max angle difference {worst:.2e} deg, shift {shift:.2e} A, tilt {tilt:.2e} deg, tilt shift {tshift:.2e} A")
sys.exit(0 if worst < 0.01 and shift < 0.01 and tilt < 0.01 and tshift < 0.01 else 1)
PY
done
# Per-region tilt shifts (2 x 1 regions of 3 particles each): 1 and 2 ranks agree on the map and
# on every region's correction.
for n in 1 2; do
  cp sim/start.h5 "sim/g$n.h5"
  "${MPIRUN[@]}" -n $n "$CSPT" refine -p "sim/g$n.h5" -o "g$n" "${args[@]}" --threads 1 --tilt-regions 2,1 \
    --tilt-region-min-particles 3 > "g$n.log" 2>&1 || { cat "g$n.log"; fail "$n rank(s) run with regions"; continue; }
  pass "$n rank(s) with regions: $(tail -1 "g$n.log")"
done
"$TESTDATA" compare --a g2/iter_002/map.mrc --b g1/iter_002/map.mrc --max-rel-diff 1e-4 > cmp.txt \
  && pass "regions: 2-rank map equals the 1-rank map ($(head -1 cmp.txt))" || { cat cmp.txt; fail "regions: map differs"; }
/usr/bin/python3 - g2/iter_002/region_shifts.csv g1/iter_002/region_shifts.csv <<'PY' \
  && pass "regions: 2-rank region shifts within 0.01 A of 1 rank" || fail "regions: region shifts differ"
import csv, sys
a = list(csv.DictReader(open(sys.argv[1]))); b = list(csv.DictReader(open(sys.argv[2])))
assert len(a) == len(b) > 0
worst = max(abs(float(p[k]) - float(q[k])) for p, q in zip(a, b) for k in ("shift_x_A", "shift_y_A"))
moved = max(abs(float(p[k])) for p in a for k in ("shift_x_A", "shift_y_A"))
print(f"max difference {worst:.2e} A, largest correction {moved:.2f} A")
sys.exit(0 if worst < 0.01 and moved > 0 else 1)
PY
# Gold standard: every particle's projections sit in one half-set, and both halves are used.
/usr/bin/python3 - r3/iter_002/projections.csv <<'PY' && pass "each particle in one half-set, both halves used" || fail "half-sets mixed"
import csv, sys
half = {}
for r in csv.DictReader(open(sys.argv[1])):
    half.setdefault(r["particle"], set()).add(r["half"])
assert all(len(h) == 1 for h in half.values()), "a particle in both halves"
assert {next(iter(h)) for h in half.values()} == {"1", "2"}, "one half empty"
PY
finish
