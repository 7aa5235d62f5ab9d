#!/bin/bash
# IMOD interop: the true alignment of a simulated project exported as .tlt/.xf and imported into the
# project puts every particle box exactly where the true geometry does; .xf files of the wrong
# length are refused naming file and field.
source "$(dirname "$0")/lib.sh"
work=$(mktemp -d) && trap 'rm -rf "$work"' EXIT
cd "$work"
"$CSPT" simulate -o sim --model builtin:phantom --particle-box-px 64 --pixel-size-A 2 --image-nx-px 512 \
  --image-ny-px 512 --n-tilt-series 2 --particles-per-series 6 --seed 8 --threads 2 > /dev/null 2>&1 || fail "simulate"
"$CSPT" ctf -p sim/project.h5 --threads 2 > /dev/null 2>&1 || fail "ctf"
"$CSPT" export imod -p sim/project.h5 --geometry truth -o imod || fail "export imod"
for f in ts_001.rawtlt ts_001.tlt ts_001.xf ts_002.xf; do [ -s "imod/$f" ] && pass "wrote $f" || fail "missing $f"; done
[ "$(wc -l < imod/ts_001.xf)" = "41" ] && pass "41 views in ts_001.xf" || fail "view count"
"$CSPT" import imod -p sim/project.h5 --dir imod || fail "import imod"
# Boxes cut with the imported alignment (and the fitted CTF) against boxes cut with the truth.
"$CSPT" extract -p sim/project.h5 --box 64 --geometry project --defocus tilts -o from_imod > /dev/null || fail "extract project"
"$CSPT" extract -p sim/project.h5 --box 64 --geometry truth -o from_truth > /dev/null || fail "extract truth"
# The .xf text carries the geometry to ~1e-6 px; a particle that far from a half pixel may be cut one
# pixel over, the same content displaced (at most 1% of the 488 boxes; seen with clang builds).
"$TESTDATA" stackcorr --a from_imod/particles.mrcs --b from_truth/particles.mrcs --min-corr 0.99999 --max-pixel-steps 5 \
  && pass "imported alignment cuts the same boxes as the truth" || fail "boxes differ"
# A negative control: the nominal geometry (before import) does not.
"$CSPT" simulate -o sim2 --model builtin:phantom --particle-box-px 64 --pixel-size-A 2 --image-nx-px 512 \
  --image-ny-px 512 --n-tilt-series 2 --particles-per-series 6 --seed 8 --threads 2 > /dev/null 2>&1
"$CSPT" ctf -p sim2/project.h5 --threads 2 > /dev/null 2>&1
"$CSPT" extract -p sim2/project.h5 --box 64 --geometry project --defocus tilts -o nominal > /dev/null || fail "extract nominal"
if "$TESTDATA" stackcorr --a nominal/particles.mrcs --b from_truth/particles.mrcs --min-corr 0.99999 --max-pixel-steps 5 > /dev/null; then
  fail "nominal geometry cut the same boxes: the comparison cannot fail"
else pass "negative control: nominal geometry cuts different boxes"; fi
# Wrong number of lines.
head -n 40 imod/ts_001.xf > short.xf && mkdir -p bad && cp short.xf bad/ts_001.xf
set +e; "$CSPT" import imod -p sim/project.h5 --dir bad > /dev/null 2> err.txt; rc=$?; set -e
[ $rc -ne 0 ] && grep -q "bad/ts_001.xf: lines = 40: 41" err.txt && pass "short .xf refused: $(cat err.txt)" || fail "short .xf: $(cat err.txt)"
finish
