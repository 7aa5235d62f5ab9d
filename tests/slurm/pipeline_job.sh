#!/bin/bash
# slurm/pipeline.sbatch on a private single-node Slurm cluster: a 2-task job (srun --mpi=pmix, the
# template's default launcher) runs the whole pipeline of a small config and ends COMPLETED with
# exit code 0, and its maps equal those of `mpirun -n 2 cspt run` of the same config run directly
# (to 1e-4 relative). LAUNCHER=mpirun in the environment tests the template's other launcher.
source "$(dirname "$0")/lib.sh"
cd "$WORK" || exit 1
mkdir logs
small_config small.yaml 2

# Direct, without Slurm: the reference.
"${MPIRUN[@]}" -n 2 "$CSPT" run -c small.yaml -o direct --threads 1 > direct.log 2>&1 &&
  pass "direct: mpirun -n 2 cspt run ($(grep -c . direct.log) log lines)" ||
  { cat direct.log; fail "direct: mpirun -n 2 cspt run"; finish; }

# The same config through Slurm.
jid=$(sbatch --parsable --ntasks=2 --cpus-per-task=1 --time=20 "$REPO/slurm/pipeline.sbatch" small.yaml viaslurm)
log=logs/cspt-pipeline-$jid.log
state=$(wait_job "$jid" 900) || true
if [ "$state" = COMPLETED ] && [ "$(job_field "$jid" ExitCode)" = 0:0 ]; then
  pass "job $jid: COMPLETED, exit code 0:0, after $(job_field "$jid" RunTime)"
else
  show_job "$jid" "$log"
  fail "job $jid: state $state, exit code $(job_field "$jid" ExitCode): expected COMPLETED, 0:0"
  finish
fi
grep -q 'cspt run finished' "$log" && pass "log: cspt run finished" || { cat "$log"; fail "log: no 'cspt run finished'"; }
grep -q 'CSPT_DEADLINE_EPOCH' "$log" && pass "log: the deadline was exported" || fail "log: no deadline line"
[ "$(job_field "$jid" Restarts)" = 0 ] && pass "not requeued" || fail "restarts: $(job_field "$jid" Restarts)"

# The outputs agree: the same refinement iterations, and every map in them to 1e-4 relative.
a=$(cd direct/refine 2> /dev/null && find . -name '*.mrc' | sort)
b=$(cd viaslurm/refine 2> /dev/null && find . -name '*.mrc' | sort)
if [ -n "$a" ] && [ "$a" = "$b" ]; then
  pass "the same $(wc -l <<< "$a") refine maps: $(tr '\n' ' ' <<< "$a")"
else
  fail "refine maps differ in names: direct [$a] vs slurm [$b]"
fi
for m in $a; do
  [ -f "viaslurm/refine/$m" ] || continue
  out=$(compare_mrc "viaslurm/refine/$m" "direct/refine/$m" 1e-4) &&
    pass "refine/${m#./}: $out" || fail "refine/${m#./}: $out"
done
finish
