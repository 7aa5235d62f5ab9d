#!/bin/bash
# cspt import mdoc: a simulated tilt series re-imported from its .mdoc matches what the simulator
# recorded; real-world quirks (sections out of time order, Windows paths, FrameDosesAndNumber,
# trailing spaces, two-digit years) are handled; a section without TiltAngle is refused.
source "$(dirname "$0")/lib.sh"
work=$(mktemp -d) && trap 'rm -rf "$work"' EXIT
cd "$work"
"$CSPT" simulate -o sim --model builtin:phantom --particle-box-px 64 --pixel-size-A 2 --image-nx-px 256 \
  --image-ny-px 256 --n-tilt-series 1 --particles-per-series 2 --seed 4 > /dev/null 2>&1 || fail "simulate"
"$CSPT" import mdoc -p new.h5 --stack sim/tilt_series/ts_001.mrc --name ts_001 || fail "import mdoc"
"$TESTDATA" tilts --project sim/project.h5 --series ts_001 | sed 's/ axis .*//' > orig.txt
"$TESTDATA" tilts --project new.h5 --series ts_001 | sed 's/ axis .*//' > back.txt
diff orig.txt back.txt > /dev/null && pass "41 tilts: angles, order, dose, prior dose, target defocus as simulated" \
  || { diff orig.txt back.txt | head -5; fail "re-imported records differ"; }
grep -q "axis 85.00" <("$TESTDATA" tilts --project new.h5 --series ts_001) && pass "tilt axis from RotationAngle - 90" || fail "axis"

# Quirks: sections listed out of time order, Windows SubFramePath, FrameDosesAndNumber, trailing
# spaces, a two-digit year, no PriorRecordDose (prior dose from the time order).
/usr/bin/python3 -c "
import numpy as np, mrcfile
with mrcfile.new('q.mrc', overwrite=True) as m: m.set_data(np.zeros((3,64,64), np.float32)); m.voxel_size = 2.0"
printf 'PixelSpacing = 2.0   \nVoltage = 300\nImageFile = q.mrc\n\n[T = SerialEM: Krios  ]\n\n[T =     Tilt axis angle = 84.8, binning = 1]\n\n' > q.mrc.mdoc
printf '[ZValue = 0]\nTiltAngle = 0.01\nExposureDose = 3.0\nTargetDefocus = -2.5\nRotationAngle = 174.8\nSubFramePath = D:\\\\frames\\\\q_000.tif\nFrameDosesAndNumber = 0.3 10\nDateTime = 25-Nov-26  10:00:00  \n\n' >> q.mrc.mdoc
printf '[ZValue = 2]\nTiltAngle = -3.0\nExposureDose = 3.0\nTargetDefocus = -2.5\nRotationAngle = 174.8\nDateTime = 25-Nov-2026  10:00:20\n\n' >> q.mrc.mdoc
printf '[ZValue = 1]\nTiltAngle = 3.0\nExposureDose = 3.0\nTargetDefocus = -2.5\nRotationAngle = 174.8\nDateTime = 25-Nov-2026  10:00:10\n' >> q.mrc.mdoc
"$CSPT" import mdoc -p new.h5 --stack q.mrc --name quirky > /dev/null || fail "import quirky mdoc"
"$TESTDATA" tilts --project new.h5 --series quirky > q.txt
expected='section 0 order 0 tilt 0.01 dose 3.000 prior 0.000 target 25000 axis 84.80
section 1 order 1 tilt 3.00 dose 3.000 prior 3.000 target 25000 axis 84.80
section 2 order 2 tilt -3.00 dose 3.000 prior 6.000 target 25000 axis 84.80'
[ "$(cat q.txt)" = "$expected" ] && pass "quirky mdoc: time order, prior dose, target defocus, axis" || { cat q.txt; fail "quirky mdoc"; }

# A section without TiltAngle.
sed 's/^TiltAngle = -3.0$//' q.mrc.mdoc > bad.mdoc
set +e; "$CSPT" import mdoc -p new.h5 --stack q.mrc --mdoc bad.mdoc --name bad > /dev/null 2> err.txt; rc=$?; set -e
[ $rc -ne 0 ] && grep -q "bad.mdoc \[ZValue = 2\]: TiltAngle = missing" err.txt && pass "missing TiltAngle: $(cat err.txt)" \
  || fail "missing TiltAngle: $(cat err.txt)"
finish
