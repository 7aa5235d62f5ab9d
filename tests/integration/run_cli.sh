#!/bin/bash
# cspt run: the whole pipeline on a small simulated dataset under 2 MPI ranks; a second run skips
# every stage; a changed section reruns its stage and those after it only; a job array's parts are
# gathered instead of recomputed and give the same CTF; a run stopped by a signal during refinement
# exits 75 and resumes to the same map as an uninterrupted run; bad configs fail before any work.
source "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d) && trap 'rm -rf "$work"' EXIT
cd "$work"
cp "$here/small_pipeline.yaml" small.yaml
"${MPIRUN[@]}" -n 2 "$CSPT" run -c small.yaml -o run1 > run1.out 2> run1.err || { cat run1.err; fail "cspt run"; finish; }
for f in track/summary.json simulate/project.h5 ctf/project.h5 extract/particles.star refine/iter_003/map.mrc \
         refine/summary.json report/summary.json report/summary.txt .stages/refine.done.json; do
  [ -s "run1/$f" ] || fail "missing run1/$f"
done
cp run1/refine/iter_003/map.mrc uninterrupted_map.mrc
grep -q "resolution .* A" run1.out && pass "results printed: $(grep -m1 '^refine:' run1.out)" || { cat run1.out; fail "no resolution printed"; }
grep -q "run folder: run1" run1.out || fail "run folder not printed"
[ -z "$(find run1 -name '*.started.json')" ] && pass "no started stamps left" || fail "started stamps left"

# Again: nothing to do.
"$CSPT" run -c small.yaml -o run1 > again.out 2> again.err || { cat again.err; fail "second run"; }
[ "$(grep -c 'up to date, skipped' again.err)" = 6 ] && pass "second run: all 6 stages skipped" || { cat again.err; fail "second run redid work"; }

# A changed refine section: refine and report run again, nothing before them.
sed 's/iterations: 3/iterations: 2/' small.yaml > changed.yaml
"$CSPT" run -c changed.yaml -o run1 > changed.out 2> changed.err || { cat changed.err; fail "changed run"; }
for st in track simulate ctf extract; do grep -q "$st: up to date, skipped" changed.err || fail "$st was redone after a refine change"; done
grep -q "refine: running (config changed)" changed.err && grep -q "report: running" changed.err \
  && pass "refine change: refine and report rerun only" || { cat changed.err; fail "refine change"; }

# Job array: CTF per tilt series, then the stage gathers the parts (no new fit) into the same numbers.
cp -r run1 run2 && rm -rf run2/ctf run2/extract run2/refine run2/report run2/.stages/{ctf,extract,refine,report}.*
for i in 0 1; do "$CSPT" run -c small.yaml -o run2 --only ctf --series-index $i > /dev/null 2> part$i.err || { cat part$i.err; fail "ctf part $i"; }; done
"$CSPT" run -c small.yaml -o run2 --only ctf > gather.out 2> gather.err || { cat gather.err; fail "ctf gather"; }
grep -q "gathered the fits of 2 tilt series" gather.err && pass "ctf parts gathered" || { cat gather.err; fail "ctf parts not gathered"; }
h5dump -d /tilt_series/ts_001/tilts/defocus_u_A run1/ctf/project.h5 | grep -v HDF5 > a.txt
h5dump -d /tilt_series/ts_001/tilts/defocus_u_A run2/ctf/project.h5 | grep -v HDF5 > b.txt
cmp -s a.txt b.txt && pass "job-array CTF equals the whole-stage CTF" || fail "job-array CTF differs"
for i in 0 1; do "$CSPT" run -c small.yaml -o run2 --only extract --series-index $i > /dev/null 2> ex$i.err || { cat ex$i.err; fail "extract part $i"; }; done
"$CSPT" run -c small.yaml -o run2 --only extract > /dev/null 2> exg.err || { cat exg.err; fail "extract gather"; }
n1=$(grep -c '@' run1/extract/particles.star); n2=$(grep -c '@' run2/extract/particles.star)
[ "$n1" = "$n2" ] && [ "$n1" -gt 0 ] && pass "joined STAR: $n2 projections, as the whole stage" || fail "joined STAR has $n2 rows, whole stage $n1"

# Stopped by SIGTERM during refinement: exit 75, then resumed to the uninterrupted map.
rm -rf run3 && cp -r run1 run3 && rm -rf run3/refine run3/report run3/.stages/{refine,report}.*
"$CSPT" run -c small.yaml -o run3 > stop.out 2> stop.err &
pid=$!
for _ in $(seq 600); do [ -d run3/refine/iter_001 ] && break; sleep 0.2; done
kill -TERM $pid; set +e; wait $pid; rc=$?; set -e
[ $rc = 75 ] && pass "SIGTERM during refinement: exit 75" || { cat stop.err; fail "SIGTERM: exit $rc, expected 75"; }
grep -q "stopped cleanly" stop.err || fail "no 'stopped cleanly' line"
"${MPIRUN[@]}" -n 2 "$CSPT" run -c small.yaml -o run3 > resume.out 2> resume.err || { cat resume.err; fail "resume"; }
grep -q "refine: running (resuming an interrupted run)" resume.err && grep -q "resuming after iter_00" resume.err \
  && pass "resumed: $(grep -m1 'resuming after' resume.err)" || { cat resume.err; fail "not resumed"; }
"$TESTDATA" compare --a uninterrupted_map.mrc --b run3/refine/iter_003/map.mrc --max-rel-diff 1e-4 > cmp.txt 2>&1 \
  && pass "resumed map equals the uninterrupted one: $(tail -1 cmp.txt)" || { cat cmp.txt; fail "resumed map differs"; }

# Bad configs fail at once, naming file, key and value; nothing is created.
printf 'run:\n  trak: true\n' > typo.yaml
set +e; "$CSPT" run -c typo.yaml -o bad1 > /dev/null 2> typo.err; rc=$?; set -e
[ $rc = 2 ] && grep -q "typo.yaml:2" typo.err && grep -q "trak" typo.err && [ ! -e bad1 ] \
  && pass "unknown key: $(cat typo.err)" || { cat typo.err; fail "unknown key (exit $rc)"; }
set +e; "$CSPT" run -c small.yaml -o run2 --only ctf --series-index 5 > /dev/null 2> idx.err; rc=$?; set -e
[ $rc = 2 ] && grep -q "0 to 1" idx.err && pass "series index out of range: $(cat idx.err)" || { cat idx.err; fail "series index (exit $rc)"; }
set +e; "$CSPT" run -c small.yaml -o fresh --from refine > /dev/null 2> from.err; rc=$?; set -e
[ $rc = 2 ] && grep -q "missing" from.err && pass "--from refine on an empty folder: $(cat from.err)" || { cat from.err; fail "--from on empty folder (exit $rc)"; }
finish
