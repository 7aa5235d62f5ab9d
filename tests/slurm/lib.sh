# Shared helpers for the Slurm tests: a private single-node cluster (tests/slurm/cluster.sh) that
# lives as long as the test, job waiting, and map comparison. Source it first:
#   source "$(dirname "$0")/lib.sh"
# It starts the cluster in a temp folder, exports SLURM_CONF, makes a temp folder WORK for the test,
# and on exit stops the cluster and removes both (kept, with the daemon logs printed, when a check
# failed, or with KEEP_SLURM_TEST_DIR=1).
# Needs root, Debian's slurm-wlm and munge, and CSPT naming the cspt binary.
set -euo pipefail
: "${CSPT:?CSPT must name the cspt binary}"
SLURM_TESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck disable=SC2034 # REPO and MPIRUN are for the tests that source this
REPO=$(cd "$SLURM_TESTS/../.." && pwd)
export CSPT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl=self,vader
# shellcheck disable=SC2034,SC2054
MPIRUN=(mpirun --oversubscribe --allow-run-as-root --mca btl self,vader)
FAILURES=0

fail() { echo "FAIL: $*"; FAILURES=$((FAILURES + 1)); }
pass() { echo "ok: $*"; }
finish() {
  if [ "$FAILURES" -ne 0 ]; then echo "$FAILURES check(s) failed"; exit 1; fi
  echo "all checks passed"
}

if [ "$(id -u)" -ne 0 ]; then echo "SKIP: the Slurm tests run slurmd and need root"; exit 77; fi
for prog in sbatch slurmctld slurmd munged; do
  command -v "$prog" > /dev/null || { echo "FAIL: $prog missing: apt-get install slurm-wlm munge (scripts/install-deps)"; exit 1; }
done

# A Slurm job around the test (CI inside an allocation) must not leak into the private cluster.
while read -r v; do unset "$v"; done < <(env | sed -n 's/^\(\(SLURM\|SBATCH\|SRUN\|SALLOC\|SQUEUE\)_[A-Za-z0-9_]*\)=.*/\1/p')

# The cluster's folder (a short path: munged's socket path must stay under 108 characters) and
# WORK, the test's own folder for configs, runs and job logs.
SLURM_TEST_DIR=$(mktemp -d /tmp/cspt-slurm.XXXXXX)
WORK=$(mktemp -d /tmp/cspt-slurm-work.XXXXXX)
_slurm_cleanup() {
  local rc=$?
  set +e
  cd /
  bash "$SLURM_TESTS/cluster.sh" stop "$SLURM_TEST_DIR" 2> /dev/null
  if [ "$rc" -ne 0 ] || [ "$FAILURES" -ne 0 ] || [ -n "${KEEP_SLURM_TEST_DIR:-}" ]; then
    for f in "$SLURM_TEST_DIR"/log/slurmctld.log "$SLURM_TEST_DIR"/log/slurmd.log; do
      [ -f "$f" ] && { echo "----- $f (last 30 lines)"; tail -n 30 "$f"; }
    done
    echo "kept: $SLURM_TEST_DIR $WORK"
  else
    rm -rf "$SLURM_TEST_DIR" "$WORK"
  fi
  return "$rc"
}
trap _slurm_cleanup EXIT
SECONDS=0
bash "$SLURM_TESTS/cluster.sh" start "$SLURM_TEST_DIR" > /dev/null
# shellcheck disable=SC1091
source "$SLURM_TEST_DIR/env.sh"
echo "slurm: private cluster in $SLURM_TEST_DIR up in ${SECONDS} s"

# job_field JOBID FIELD: one field of `scontrol show job` (e.g. JobState, ExitCode, Restarts).
# There is no accounting database (sacct has nothing); finished jobs stay known for MinJobAge
# (an hour), and are also in $SLURM_TEST_DIR/log/jobcomp.log.
job_field() {
  scontrol -o show job "$1" 2> /dev/null | head -1 | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# wait_job JOBID TIMEOUT_S: wait until the job has ended (a requeued job is waited for again);
# prints the final state. On timeout prints TIMEOUT_WAITING, cancels the job and returns 1.
wait_job() {
  local id=$1 limit=$2 start=$SECONDS state
  while :; do
    state=$(job_field "$id" JobState)
    case $state in
      COMPLETED | FAILED | CANCELLED | TIMEOUT | OUT_OF_MEMORY | NODE_FAIL | BOOT_FAIL | DEADLINE | PREEMPTED)
        echo "$state"; return 0 ;;
    esac
    if [ $((SECONDS - start)) -ge "$limit" ]; then
      scancel "$id" 2> /dev/null || true
      echo TIMEOUT_WAITING
      return 1
    fi
    sleep 1
  done
}

# wait_for_line FILE TEXT TIMEOUT_S: wait until FILE has a line containing TEXT.
wait_for_line() {
  local start=$SECONDS
  until grep -qF -- "$2" "$1" 2> /dev/null; do
    [ $((SECONDS - start)) -lt "$3" ] || return 1
    sleep 0.1
  done
}

# show_job JOBID LOG: what a failing check needs to see.
show_job() {
  echo "----- scontrol show job $1"
  scontrol show job "$1" 2> /dev/null || grep "JobId=$1 " "$SLURM_TEST_DIR/log/jobcomp.log" || true
  if [ -n "${2:-}" ]; then echo "----- $2"; cat "$2" 2> /dev/null || echo "(no log)"; fi
}

# compare_mrc A B MAX_REL: max |a - b| / max |b| <= MAX_REL, with the same shape and voxel size.
compare_mrc() {
  /usr/bin/python3 - "$@" <<'PY'
import sys
import mrcfile
import numpy as np
a_path, b_path, tol = sys.argv[1], sys.argv[2], float(sys.argv[3])
with mrcfile.open(a_path, permissive=True) as fa, mrcfile.open(b_path, permissive=True) as fb:
    a = np.asarray(fa.data, dtype=np.float64)
    b = np.asarray(fb.data, dtype=np.float64)
    va, vb = fa.voxel_size, fb.voxel_size
if a.shape != b.shape:
    sys.exit(f"{a_path}: shape {a.shape}, {b_path}: {b.shape}")
if (va.x, va.y, va.z) != (vb.x, vb.y, vb.z):
    sys.exit(f"voxel size {va} vs {vb}")
scale = np.abs(b).max()
rel = np.abs(a - b).max() / scale if scale > 0 else np.abs(a - b).max()
print(f"max relative difference {rel:.2e} (limit {tol:g})")
sys.exit(0 if rel <= tol else 1)
PY
}

# last_map DIR: the map of the last refinement iteration in DIR (DIR/iter_NNN/map.mrc).
last_map() {
  local d
  d=$(find "$1" -maxdepth 1 -type d -name 'iter_[0-9]*' 2> /dev/null | sort | tail -1)
  [ -n "$d" ] && [ -f "$d/map.mrc" ] && echo "$d/map.mrc"
}

# small_config FILE ITERATIONS: tests/integration/small_pipeline.yaml (the config of run_cli.sh) with
# ITERATIONS refinement iterations.
small_config() {
  sed "s/^  iterations: .*/  iterations: $2/" "$REPO/tests/integration/small_pipeline.yaml" > "$1"
}
