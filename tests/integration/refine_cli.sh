#!/bin/bash
# cspt refine from the command line: the config file is read, bad input fails with one clear line
# (file, field, value, expectation) and a non-zero exit, and a finished run is resumed, not redone.
source "$(dirname "$0")/lib.sh"
work=$(mktemp -d) && trap 'rm -rf "$work"' EXIT
cd "$work"
"$CSPT" simulate --model builtin:phantom --particle-box-px 64 --pixel-size-A 2 --image-nx-px 256 --image-ny-px 256 \
  --n-tilt-series 2 --particles-per-series 3 --tilt-scheme bisect36 --dose-per-tilt-e-per-A2 200 \
  --radiation-damage false --target-defocus-A 12000 --seed 4 -o sim > sim.log 2>&1 || { cat sim.log; fail "simulate"; finish; }
"$TESTDATA" perturb --project sim/project.h5 --seed 1 > /dev/null
expect_error() {  # NAME 'PAT1|PAT2' -- ARGS
  local name=$1 patterns=$2; shift 3
  local out=""; for ((i = 1; i <= $#; i++)); do [ "${!i}" = -o ] && { j=$((i + 1)); out=${!j}; }; done
  [ "$out" = run ] && out=""
  set +e; "$CSPT" refine "$@" > /dev/null 2> err.txt; local rc=$?; set -e
  if [ $rc -eq 0 ] || [ "$(grep -vc '^cspt refine: extract' err.txt)" -ne 1 ]; then fail "$name: rc $rc, stderr: $(cat err.txt)"; return; fi
  local IFS='|'
  for p in $patterns; do grep -qF -- "$p" err.txt || { fail "$name: '$p' not in: $(cat err.txt)"; return; }; done
  pass "$name: $(grep -v '^cspt refine: extract' err.txt)"
  [ -n "$out" ] && [ -e "$out" ] && fail "$name: $out left behind" || true
}
base=(-p sim/project.h5 --reference sim/truth/map.mrc --box 64 --sym D3 --iterations 1 --threads 2)
expect_error missing_project 'nope.h5' -- -p nope.h5 -o o1 --reference sim/truth/map.mrc --box 64
expect_error bad_weighting 'exposure_weighting|dosse|data' -- "${base[@]}" -o o2 --exposure-weighting dosse
expect_error odd_box '--box|63|even' -- "${base[@]}" -o o3 --box 63
expect_error missing_reference 'missing.mrc' -- "${base[@]}" -o o4 --reference missing.mrc
"$CSPT" simulate --model builtin:phantom --particle-box-px 48 --pixel-size-A 2 --image-nx-px 128 --image-ny-px 128 \
  --n-tilt-series 1 --particles-per-series 1 --tilt-scheme bisect36 --seed 4 -o small > /dev/null 2>&1
expect_error reference_box 'small/truth/map.mrc|box|48x48x48|64' -- "${base[@]}" -o o5 --reference small/truth/map.mrc
expect_error mask_box 'small/truth/map.mrc|box|48x48x48|64' -- "${base[@]}" -o o7 --mask small/truth/map.mrc
printf 'refine:\n  iterations: 1\n  box: 64\n  sym: D3\n  grid-range-deg: 4\n  grid-step-deg: 4\n  itertions: 2\n' > typo.yaml
expect_error unknown_key 'typo.yaml|itertions' -- -c typo.yaml -p sim/project.h5 --reference sim/truth/map.mrc -o o6
# An iteration that would need more memory per rank than allowed is stated, then refused before
# its work (exit 2, the numbers named); no iteration is written.
set +e; "$CSPT" refine "${base[@]}" -o o8 --max-memory-gb 0.01 > o8.log 2>&1; rc=$?; set -e
if [ $rc -eq 2 ] && grep -q "iter_001: peak memory per rank about" o8.log \
   && grep -q "refine.max-memory-gb: peak memory per rank = .* at most 0.01 GB" o8.log && [ ! -e o8/iter_001 ]; then
  pass "memory limit: $(grep -o 'refine.max-memory-gb.*' o8.log | cut -c1-150)"
else cat o8.log; fail "refine memory limit (exit $rc)"; fi
# A run from a config file; then the same folder with other options is refused, and with more
# iterations it continues from where it stopped.
printf 'refine:\n  iterations: 1\n  box: 64\n  sym: D3\n  grid-range-deg: 4\n  grid-step-deg: 4\n  threads: 2\n' > refine.yaml
"$CSPT" refine -c refine.yaml -p sim/project.h5 --reference sim/truth/map.mrc -o run > run.log 2>&1 \
  && pass "run from refine.yaml: $(tail -1 run.log)" || { cat run.log; fail "run from refine.yaml"; }
for f in summary.json iter_001/map.mrc iter_001/half1.mrc iter_001/fsc.csv iter_001/weights.csv iter_001/tilt_scores.csv \
         iter_001/contributions.csv iter_001/projections.csv iter_001/tilts.csv iter_001/project.h5 iter_001/summary.json; do
  [ -s "run/$f" ] || fail "missing run/$f"
done
[ "$(json_get run/summary.json iteration)" = 1 ] && pass "summary.json after iteration 1" || fail "summary iteration"
expect_error other_options 'refine_options.json|symmetry' -- -c refine.yaml -p sim/project.h5 -o run --sym C1
"$CSPT" refine -c refine.yaml -p sim/project.h5 -o run --iterations 2 > run2.log 2>&1 || { cat run2.log; fail "resume"; }
grep -q "resuming after iter_001" run2.log && [ -s run/iter_002/map.mrc ] && [ "$(json_get run/summary.json iteration)" = 2 ] \
  && pass "resumed after iter_001 and ran iter_002" || { cat run2.log; fail "resume"; }
[ -z "$(find run -name '.iter_*')" ] && pass "no partial iteration folders left" || fail "partial iteration folder left"
finish
