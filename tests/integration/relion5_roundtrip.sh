#!/bin/bash
# RELION-5 tilt-series STAR: a fitted simulated project exported and imported into a new project
# keeps every tilt field it carries (angles, axis, shifts, CTF, doses, order, stack sections), and
# particles cut with the imported geometry are the same boxes.
source "$(dirname "$0")/lib.sh"
work=$(mktemp -d) && trap 'rm -rf "$work"' EXIT
cd "$work"
"$CSPT" simulate -o sim --model builtin:phantom --particle-box-px 64 --pixel-size-A 2 --image-nx-px 256 \
  --image-ny-px 256 --n-tilt-series 2 --particles-per-series 2 --seed 6 > /dev/null 2>&1 || fail "simulate"
"$CSPT" ctf -p sim/project.h5 > /dev/null 2>&1 || fail "ctf"
"$CSPT" export imod -p sim/project.h5 --geometry truth -o imod > /dev/null && "$CSPT" import imod -p sim/project.h5 --dir imod > /dev/null \
  || fail "true alignment in"
"$CSPT" export relion -p sim/project.h5 -o r5 || fail "export relion"
[ -s r5/tilt_series.star ] && [ -s r5/tilt_series/ts_002.star ] && pass "tilt_series.star and per-series files" || fail "files"
grep -q "rlnTomoYShiftAngst" r5/tilt_series/ts_001.star && pass "alignment columns present" || fail "columns"
"$CSPT" import relion -p back.h5 --star r5/tilt_series.star || fail "import relion"
for ts in ts_001 ts_002; do
  "$TESTDATA" tilts --project sim/project.h5 --series $ts > a.txt
  "$TESTDATA" tilts --project back.h5 --series $ts > b.txt
  diff a.txt b.txt > /dev/null && pass "$ts: tilt records survive the round trip" || { diff a.txt b.txt | head -4; fail "$ts records differ"; }
done
h5dump -d /tilt_series/ts_001/tilts/shift_x_A sim/project.h5 | grep -E '^ *\(0\)' > s1.txt
h5dump -d /tilt_series/ts_001/tilts/shift_x_A back.h5 | grep -E '^ *\(0\)' > s2.txt
/usr/bin/python3 - <<'PY' && pass "shifts equal to 1e-6 A" || fail "shifts differ"
import re
a = [float(x) for x in re.findall(r'-?[0-9.]+(?:e-?[0-9]+)?', open('s1.txt').read().split(':', 1)[1])]
b = [float(x) for x in re.findall(r'-?[0-9.]+(?:e-?[0-9]+)?', open('s2.txt').read().split(':', 1)[1])]
assert len(a) == len(b) and max(abs(x - y) for x, y in zip(a, b)) < 1e-6, (a[:3], b[:3])
PY
# A per-series file missing a column is refused naming file and column.
sed 's/_rlnTomoYTilt /_rlnTomoYTiltX /' r5/tilt_series/ts_001.star > broken.star && cp broken.star r5/tilt_series/ts_001.star
set +e; "$CSPT" import relion -p back2.h5 --star r5/tilt_series.star > /dev/null 2> err.txt; rc=$?; set -e
[ $rc -ne 0 ] && grep -q "ts_001.star: rlnTomoYTilt = missing" err.txt && pass "missing column: $(cat err.txt)" || fail "missing column: $(cat err.txt)"
finish
