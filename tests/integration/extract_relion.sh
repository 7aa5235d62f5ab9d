#!/bin/bash
# The projections cspt cuts from a simulated tilt series, exported as a RELION 3.1 particle STAR file
# and stack, reconstruct with relion_reconstruct to the same map as cspt's own reconstruction.
source "$(dirname "$0")/lib.sh"
work=$(mktemp -d) && trap 'rm -rf "$work"' EXIT
cd "$work"
"$CSPT" simulate -o sim --model builtin:phantom --particle-box-px 64 --pixel-size-A 2 --image-nx-px 512 \
  --image-ny-px 512 --n-tilt-series 4 --particles-per-series 14 --dose-per-tilt-e-per-A2 200 --radiation-damage false \
  --ice-background-rms-rad 0.02 --target-defocus-A 12000 --defocus-spread-A 2000 --seed 5 --threads 2 > /dev/null 2>&1 \
  || fail "simulate"
"$CSPT" extract -p sim/project.h5 --box 64 --geometry truth -o parts || fail "extract"
"$CSPT" reconstruct --star parts/particles.star -o rec --threads 2 > /dev/null 2>&1 || fail "cspt reconstruct"
relion_reconstruct --i parts/particles.star --o relion_half1.mrc --ctf --subset 1 > relion.log 2>&1 || { cat relion.log; fail "relion_reconstruct"; }
if "$TESTDATA" compare --a rec/half1.mrc --b relion_half1.mrc --truth sim/truth/map.mrc --mask-radius-A 54 \
     --corr-mask-radius-A 54 --min-corr 0.99; then
  pass "relion_reconstruct of the exported projections matches cspt's map"
else fail "exported projections: RELION and cspt maps differ"; fi
# The STAR names the stack as RELION resolves it (from the working directory).
grep -q "parts/particles.mrcs" parts/particles.star && pass "stack named from the working directory" || fail "stack path"
finish
