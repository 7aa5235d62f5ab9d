#!/bin/bash
# cspt import coords: pixel coordinates of a binned tomogram become Angstrom positions from the
# tomogram centre; a bad line is refused naming file and line.
source "$(dirname "$0")/lib.sh"
work=$(mktemp -d) && trap 'rm -rf "$work"' EXIT
cd "$work"
"$CSPT" simulate -o sim --model builtin:phantom --particle-box-px 64 --pixel-size-A 2 --image-nx-px 256 --image-ny-px 256 \
  --n-tilt-series 1 --particles-per-series 1 --seed 6 --write-particle-picks false > /dev/null 2>&1 || fail "simulate"
printf '# x y z\n64 64 50\n10.5 20 30   \n' > c.txt
"$CSPT" import coords -p sim/project.h5 --series ts_001 --file c.txt --binning 2 --tomo-z-px 200 || fail "import coords"
h5dump -d /particles/x_A -d /particles/y_A -d /particles/z_A sim/project.h5 > d.txt
[ "$(grep -cE '\(0\): 0, -214$|\(0\): 0, -176$|\(0\): 0, -80$' d.txt)" = "3" ] \
  && pass "x, y, z in A from the tomogram centre (bin 2, 2 A/px)" || { cat d.txt; fail "positions"; }
printf '1 2\n' > bad.txt
set +e; "$CSPT" import coords -p sim/project.h5 --series ts_001 --file bad.txt --tomo-z-px 200 > /dev/null 2> err.txt; rc=$?; set -e
[ $rc -ne 0 ] && grep -q "bad.txt:1: line = 1 2: x y z" err.txt && pass "bad line: $(cat err.txt)" || fail "bad line: $(cat err.txt)"
finish
