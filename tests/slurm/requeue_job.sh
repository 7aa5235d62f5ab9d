#!/bin/bash
# slurm/refine.sbatch resumes on a private single-node Slurm cluster:
#   1. a refine job is cancelled (scancel) once its log shows a finished iteration; the job
#      submitted again says "resuming after iter_NNN";
#   2. that job is warned as at its time limit (SIGUSR1 to the batch shell, what --signal=B:USR1
#      does): cspt stops cleanly with exit 75 and the job requeues itself, resumes and completes;
#   3. the final map equals that of an uninterrupted `mpirun -n 2 cspt run` to 1e-4 relative.
source "$(dirname "$0")/lib.sh"
cd "$WORK" || exit 1
mkdir logs
iterations=20 # many short iterations: the job is still refining when it is cancelled, and when signalled
small_config small.yaml "$iterations"

# Reference: the whole run at once, without Slurm.
"${MPIRUN[@]}" -n 2 "$CSPT" run -c small.yaml -o ref --until refine --threads 1 > ref.log 2>&1 &&
  pass "reference: mpirun -n 2 cspt run --until refine" || { cat ref.log; fail "reference run"; finish; }
# The stages before refine, directly, in the folder the jobs refine in.
"${MPIRUN[@]}" -n 2 "$CSPT" run -c small.yaml -o run --until extract --threads 1 > prep.log 2>&1 &&
  pass "prepared: mpirun -n 2 cspt run --until extract" || { cat prep.log; fail "preparation run"; finish; }

# 1. Cancel after the first iteration, submit again.
j1=$(sbatch --parsable --ntasks=2 --time=20 "$REPO/slurm/refine.sbatch" small.yaml run)
log1=logs/cspt-refine-$j1.log
if wait_for_line "$log1" 'iter_001: resolution' 600; then
  scancel "$j1"
  state=$(wait_job "$j1" 120) || true
  pass "job $j1 cancelled after iter_001 ($state)"
else
  show_job "$j1" "$log1"; fail "job $j1: no 'iter_001: resolution' in its log within 600 s"; finish
fi
if grep -q 'cspt run finished' "$log1"; then
  fail "job $j1 ran to the end although cancelled: cspt did not stop on SIGTERM, or the refinement is too short"; finish
fi
[ "$(job_field "$j1" Restarts)" = 0 ] && [ "$(job_field "$j1" JobState)" = CANCELLED ] &&
  pass "job $j1: CANCELLED and not requeued by the template" ||
  fail "job $j1: state $(job_field "$j1" JobState), restarts $(job_field "$j1" Restarts)"

j2=$(sbatch --parsable --ntasks=2 --time=20 "$REPO/slurm/refine.sbatch" small.yaml run)
log2=logs/cspt-refine-$j2.log
if wait_for_line "$log2" 'resuming after iter_' 300; then
  pass "job $j2: $(grep -o 'resuming after iter_[0-9]*' "$log2" | head -1)"
else
  show_job "$j2" "$log2"; fail "job $j2: no 'resuming after iter_' in its log"; finish
fi

# 2. The time-limit warning: the template passes SIGUSR1 on, cspt exits 75, the job requeues.
last=$(grep -o 'resuming after iter_[0-9]*' "$log2" | head -1 | sed 's/.*iter_//')
next=$(printf 'iter_%03d: resolution' $((10#$last + 1)))
if wait_for_line "$log2" "$next" 600; then
  scancel --batch --signal=USR1 "$j2"
else
  show_job "$j2" "$log2"; fail "job $j2: no '$next' in its log"; finish
fi
state=$(wait_job "$j2" 900) || true
restarts=$(job_field "$j2" Restarts)
if [ "$state" = COMPLETED ] && [ "$(job_field "$j2" ExitCode)" = 0:0 ] && [ "$restarts" = 1 ]; then
  pass "job $j2: stopped on SIGUSR1, requeued itself once, COMPLETED"
else
  show_job "$j2" "$log2"
  fail "job $j2: state $state, exit code $(job_field "$j2" ExitCode), restarts $restarts: expected COMPLETED, 0:0, 1"
fi
grep -q 'requeueing the job' "$log2" && pass "log: the template requeued on exit 75" || fail "log: no requeue line"
[ "$(grep -c 'resuming after iter_' "$log2")" -ge 2 ] &&
  pass "log (appended across the requeue): $(grep -o 'resuming after iter_[0-9]*' "$log2" | tr '\n' ' ')" ||
  fail "log: expected a second 'resuming after iter_' after the requeue"

# 3. The interrupted run ends where the uninterrupted one does.
final=$(printf 'iter_%03d' "$iterations")
m_run=$(last_map run/refine || true)
m_ref=$(last_map ref/refine || true)
if [ "${m_run##*/refine/}" = "$final/map.mrc" ] && [ "${m_ref##*/refine/}" = "$final/map.mrc" ]; then
  out=$(compare_mrc "$m_run" "$m_ref" 1e-4) && pass "$final/map.mrc: $out" || fail "$final/map.mrc: $out"
else
  fail "final maps: '$m_run' and '$m_ref', expected $final/map.mrc in both"
fi
finish
