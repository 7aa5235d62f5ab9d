#!/bin/bash
# cspt ctf from the command line: per-tilt estimates of a simulated project against its truth (paper
# dose, bisect60, damage on), the single-micrograph JSON, and low confidence for a blank image.
source "$(dirname "$0")/lib.sh"
work=$(mktemp -d) && trap 'rm -rf "$work"' EXIT
cd "$work"
"$CSPT" simulate -o sim --model builtin:phantom --particle-box-px 64 --pixel-size-A 1.5 --image-nx-px 768 \
  --image-ny-px 768 --n-tilt-series 2 --particles-per-series 5 --astigmatism-A 1200 --seed 21 --threads 2 > /dev/null 2>&1 \
  || fail "simulate"
"$CSPT" ctf -p sim/project.h5 --threads 2 || fail "cspt ctf -p"
if "$TESTDATA" ctfcompare --project sim/project.h5 --max-error-low 100 --max-error-60 250 --max-angle-error 10; then
  pass "per-tilt defocus and astigmatism against the truth"
else fail "per-tilt CTF accuracy"; fi

# A wrong pixel size (1.1 A for 1.5 A data): the rings alone cannot tell, the defocus gradient can.
cp sim/project.h5 sim/wrong_px.h5
"$CSPT" ctf -p sim/wrong_px.h5 --pixel-size 1.1 --threads 2 > wrong.log 2>&1 || fail "ctf with a wrong pixel size"
grep -q "tilts fitted (82 with low confidence)" wrong.log && grep -q "check the pixel size (1.1 A given)" wrong.log \
  && pass "wrong pixel size flagged: $(grep -m1 'times the geometric' wrong.log | sed 's/.*: the/the/')" || { cat wrong.log; fail "wrong pixel size not flagged"; }
[ "$(h5dump -a /tilt_series/ts_001/defocus_handedness sim/project.h5 | grep -oE '\(0\): [-0-9.]+' | awk '{print $2}')" = "1" ] \
  && pass "handedness +1 found on data of the physical hand" || fail "handedness on +1 data"
# Data of the other hand: the vote must flip, under 2 MPI ranks (one series each).
"$CSPT" simulate -o inv --model builtin:phantom --particle-box-px 64 --pixel-size-A 1.5 --image-nx-px 768 \
  --image-ny-px 768 --n-tilt-series 2 --particles-per-series 5 --defocus-handedness -1 --seed 22 --threads 2 > /dev/null 2>&1 \
  || fail "simulate hand -1"
"${MPIRUN[@]}" -n 2 "$CSPT" ctf -p inv/project.h5 > inv.log 2>&1 || { cat inv.log; fail "cspt ctf under 2 ranks"; }
for ts in ts_001 ts_002; do
  [ "$(h5dump -a /tilt_series/$ts/defocus_handedness inv/project.h5 | grep -oE '\(0\): [-0-9.]+' | awk '{print $2}')" = "-1" ] \
    && pass "$ts: handedness -1 found on inverted data" || fail "$ts: handedness on -1 data"
done
"$TESTDATA" ctfcompare --project inv/project.h5 --max-error-low 100 --max-error-60 250 > inv_cmp.txt \
  && pass "inverted hand: $(head -1 inv_cmp.txt)" || { cat inv_cmp.txt; fail "accuracy on inverted data"; }

"$CSPT" ctf --micrograph sim/tilt_series/ts_001.mrc --diagnostics diag --pixel-size 1.5 --out fit.json > fit_stdout.json || fail "micrograph mode"
[ -s diag/ts_001.png ] && pass "diagnostics PNG written" || fail "no diagnostics PNG"
for key in defocus1_A defocus2_A astig_angle_deg score fit_resolution_A confidence; do
  grep -q "\"$key\"" fit.json && pass "JSON has $key" || fail "JSON lacks $key"
done
# A pixel size the file contradicts: the simulated stack records 1.5 A; told 1.3 A, the fit alone
# would be confident at (1.3/1.5)^2 of the defocus.
"$CSPT" ctf --micrograph sim/tilt_series/ts_001.mrc --pixel-size 1.3 > wrong_px.json || fail "micrograph mode, wrong pixel size"
grep -q '"confidence": "low"' wrong_px.json && grep -q 'differs from the file.s MRC header (1.5 A)' wrong_px.json \
  && pass "wrong pixel size flagged: $(grep reason wrong_px.json)" || { cat wrong_px.json; fail "wrong pixel size not flagged"; }
# Far from the nominal defocus the user gives: flagged, naming the pixel size that would match.
"$CSPT" ctf --micrograph sim/tilt_series/ts_001.mrc --pixel-size 1.5 --nominal-defocus 60000 > far.json || fail "micrograph mode, nominal defocus"
grep -q '"confidence": "low"' far.json && grep -q 'times the nominal 60000 A' far.json \
  && pass "defocus far from the nominal flagged: $(grep reason far.json)" || { cat far.json; fail "nominal defocus not checked"; }
grep -q '"confidence": "ok"' fit.json && pass "the right pixel size stays confident" || { cat fit.json; fail "right pixel size not confident"; }
/usr/bin/python3 -c "
import numpy as np, mrcfile
with mrcfile.new('zero.mrc', overwrite=True) as m: m.set_data(np.zeros((256,256), np.float32)); m.voxel_size = 1.5"
"$CSPT" ctf --micrograph zero.mrc --pixel-size 1.5 > zero.json || fail "blank image crashed"
grep -q '"confidence": "low"' zero.json && pass "blank image: $(grep reason zero.json)" || fail "blank image not low confidence"
finish
