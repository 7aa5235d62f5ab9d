#!/bin/bash
# Faults: kill -9 of one (non-root) rank of `mpirun -n 3 cspt refine` while an iteration is in
# progress. The job fails fast (mpirun exits non-zero within 30 s, measured) and leaves no process
# behind; the project file still reads and holds the last complete iteration; the complete iteration
# folders are intact and the interrupted one is absent (only a hidden .iter_NNN.part may remain);
# the same command then resumes after the last complete iteration and ends with the same map and
# resolution as an uninterrupted run.
source "$(dirname "$0")/lib.sh"
work=$(mktemp -d)
mpipid=""
cleanup() { [ -n "$mpipid" ] && kill -9 "$mpipid" 2> /dev/null; rm -rf "$work"; }
trap cleanup EXIT
cd "$work"
"$CSPT" simulate --model builtin:phantom --particle-box-px 64 --pixel-size-A 2 --image-nx-px 256 --image-ny-px 256 \
  --n-tilt-series 2 --particles-per-series 3 --tilt-scheme bisect36 --dose-per-tilt-e-per-A2 200 \
  --radiation-damage false --target-defocus-A 12000 --seed 4 -o sim > sim.log 2>&1 || { cat sim.log; fail "simulate"; finish; }
"$TESTDATA" perturb --project sim/project.h5 --seed 1 > /dev/null
cp -r sim simA && cp -r sim simB  # refine writes each iteration's state back into its -p project
args=(--reference sim/truth/map.mrc --box 64 --sym D3 --iterations 3 --threads 1 --grid-range-deg 4 --grid-step-deg 4)
t0=$(date +%s.%N)
"${MPIRUN[@]}" -n 3 "$CSPT" refine -p simA/project.h5 -o A "${args[@]}" > A.log 2>&1 || { cat A.log; fail "uninterrupted run"; finish; }
echo "uninterrupted run: $(echo "$(date +%s.%N) - $t0" | bc) s"

# The run to kill: rank 1 gets SIGKILL once iteration 2 has started (iteration 1 complete).
"${MPIRUN[@]}" -n 3 "$CSPT" refine -p simB/project.h5 -o B "${args[@]}" > B.log 2>&1 &
mpipid=$!
for _ in $(seq 600); do grep -q "iter_002:" B.log 2> /dev/null && break; sleep 0.1; done
ranks=$(pgrep -P "$mpipid" || true)
victim=""
for p in $ranks; do tr '\0' '\n' < /proc/$p/environ 2> /dev/null | grep -qx OMPI_COMM_WORLD_RANK=1 && victim=$p; done
[ -n "$victim" ] && [ ! -e B/iter_002 ] || { cat B.log; fail "no rank 1 to kill in iteration 2 (ranks: $ranks)"; finish; }
kill -9 "$victim"
t_kill=$(date +%s.%N)
for _ in $(seq 600); do kill -0 "$mpipid" 2> /dev/null || break; sleep 0.05; done
set +e; kill -0 "$mpipid" 2> /dev/null; alive=$?; wait "$mpipid"; rc=$?; set -e
mpipid=""
echo "mpirun said: $(grep -m1 -A1 'exited on signal' B.log | tr '\n' ' ')"
elapsed=$(echo "$(date +%s.%N) - $t_kill" | bc)
if [ $alive != 0 ] && [ $rc != 0 ] && (($(echo "$elapsed < 30" | bc))); then
  pass "kill -9 of rank 1 (pid $victim) in iter_002: mpirun exit $rc after ${elapsed} s"
else cat B.log; fail "mpirun after kill -9: still running $([ $alive = 0 ] && echo yes || echo no), exit $rc, ${elapsed} s"; fi
# The other ranks may take a moment to be reaped once mpirun is gone; a zombie counts as gone.
alive_ranks() { for p in $ranks; do [ -e /proc/$p ] && [ "$(awk '{print $3}' /proc/$p/stat 2> /dev/null)" != Z ] && echo -n " $p"; done; true; }
for _ in $(seq 100); do [ -z "$(alive_ranks)" ] && break; sleep 0.1; done
gone=$(echo "$(date +%s.%N) - $t_kill" | bc)
[ -z "$(alive_ranks)" ] && pass "no rank left behind (ranks $(echo $ranks) all gone ${gone} s after the kill)" \
  || fail "ranks left behind 10 s after mpirun exited:$(alive_ranks)"

# What is on disk: iter_001 complete, no iter_002, the project file = iter_001's state.
h5dump -d /particles/rot_deg simB/project.h5 > /dev/null && "$CSPT" export imod -p simB/project.h5 -o imod > /dev/null \
  && pass "project file reads (h5dump, cspt export imod)" || fail "project file unreadable"
cmp -s simB/project.h5 B/iter_001/project.h5 && pass "project file holds iter_001's state" || fail "project file is not iter_001's"
[ -s B/iter_001/summary.json ] && [ -s B/iter_001/map.mrc ] && [ ! -e B/iter_002 ] && [ ! -e B/iter_003 ] \
  && pass "iter_001 complete, no iter_002 ($(ls -a B | grep -c '^\.iter_') hidden partial folder(s))" || { ls -la B; fail "iteration folders"; }
for f in B/iter_001/*.mrc; do
  "$TESTDATA" compare --a "$f" --b "A/iter_001/$(basename "$f")" --max-rel-diff 1e-4 > /dev/null 2>&1 || fail "$f differs from the uninterrupted run's"
done
[ "$(json_get B/summary.json iteration)" = 1 ] && pass "summary.json says iteration 1" || fail "summary.json iteration"

# The same command again: resumes after iter_001, same result as the uninterrupted run.
t0=$(date +%s.%N)
"${MPIRUN[@]}" -n 3 "$CSPT" refine -p simB/project.h5 -o B "${args[@]}" > B2.log 2>&1 || { cat B2.log; fail "resume"; finish; }
echo "resumed run: $(echo "$(date +%s.%N) - $t0" | bc) s"
grep -q "resuming after iter_001" B2.log && pass "resumed: $(grep -m1 'resuming after' B2.log)" || { cat B2.log; fail "not resumed"; }
ra=$(json_get A/summary.json resolution_A); rb=$(json_get B/summary.json resolution_A)
(($(echo "($ra - $rb)^2 < 0.0001" | bc))) && pass "final resolution $rb A = uninterrupted $ra A" || fail "resolution $rb A, uninterrupted $ra A"
"$TESTDATA" compare --a A/iter_003/map.mrc --b B/iter_003/map.mrc --max-rel-diff 1e-4 > cmp.txt 2>&1 \
  && pass "final map equals the uninterrupted one: $(tail -1 cmp.txt)" || { cat cmp.txt; fail "final map differs"; }
cmp -s simB/project.h5 B/iter_003/project.h5 && pass "project file holds iter_003's state" || fail "project file after resume"
finish
