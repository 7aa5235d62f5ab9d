#!/bin/bash
# cspt simulate from the command line: bad configs fail with one clear line and leave nothing; a
# small dataset is written whole; 1 and 2 MPI ranks write identical data (deterministic for a seed).
source "$(dirname "$0")/lib.sh"
work=$(mktemp -d) && trap 'rm -rf "$work"' EXIT
cd "$work"
small=(--model builtin:phantom --particle-box-px 64 --pixel-size-A 2 --image-nx-px 256 --image-ny-px 256
       --n-tilt-series 3 --particles-per-series 3 --tilt-scheme bisect36 --seed 11)

expect_error() {  # NAME 'PAT1|PAT2' -- ARGS
  local name=$1 patterns=$2; shift 3
  set +e; "$CSPT" simulate "$@" -o "$work/out_$name" > /dev/null 2> err.txt; local rc=$?; set -e
  grep -v '^cspt simulate: [0-9]* tilt series (' err.txt > err1.txt || true
  if [ $rc -eq 0 ] || [ "$(grep -c . err1.txt)" -ne 1 ]; then fail "$name: rc $rc, stderr: $(cat err.txt)"; return; fi
  local IFS='|'
  for p in $patterns; do grep -qF -- "$p" err1.txt || { fail "$name: '$p' not in: $(cat err1.txt)"; return; }; done
  [ ! -e "$work/out_$name" ] || { fail "$name: output left behind"; return; }
  pass "$name: $(cat err1.txt)"
}
printf 'simulate:\n  seed: 3\n  tilt_schem: bisect60\n' > unknown.yaml
expect_error unknown_key 'unknown.yaml:3|tilt_schem' -- -c unknown.yaml
printf 'simulate:\n  dose_per_tilt_e_per_A2: -1\n' > dose.yaml
expect_error negative_dose 'dose.yaml|dose_per_tilt_e_per_A2|-1' -- -c dose.yaml
expect_error box_too_small 'particle_box_px|24|wider than the particle' -- "${small[@]}" --particle-box-px 24 --image-nx-px 256
expect_error missing_model 'model|/nonexistent/x.pdb' -- "${small[@]}" --model /nonexistent/x.pdb
expect_error bad_scheme 'tilt_scheme|bisect99' -- "${small[@]}" --tilt-scheme bisect99

"$CSPT" simulate "${small[@]}" -o one > /dev/null 2>&1 || fail "small simulation"
for f in project.h5 summary.json truth/map.mrc tilt_series/ts_001.mrc tilt_series/ts_003.mrc.mdoc; do
  [ -s "one/$f" ] && pass "wrote $f" || fail "missing $f"
done
[ -z "$(find one -name '.staging*')" ] && pass "no staging left" || fail "staging left"
h5dump -A one/project.h5 > h5.txt && grep -q cspt_schema_version h5.txt && pass "h5dump reads the project" || fail "h5dump"
[ "$(json_get one/summary.json n_tilts)" = "75" ] && pass "3 x 25 tilts (bisect36)" || fail "n_tilts"

"${MPIRUN[@]}" -n 2 "$CSPT" simulate "${small[@]}" -o two > two.log 2>&1 || { cat two.log; fail "2 ranks"; }
for f in tilt_series/ts_001.mrc tilt_series/ts_002.mrc tilt_series/ts_003.mrc truth/map.mrc; do
  cmp -s "one/$f" "two/$f" && pass "1 and 2 ranks: identical $f" || fail "1 and 2 ranks differ in $f"
done
finish
