#!/bin/bash
# Submits the cspt pipeline as a chain of Slurm jobs; each starts only when the one before it
# succeeded (--dependency=afterok), and is cancelled if that one failed (--kill-on-invalid-dep).
#
#   slurm/chain.sh CONFIG.yaml OUT NSERIES [sbatch options for every job]
#   e.g. slurm/chain.sh configs/demo.yaml out/demo 8 --partition=cpu --account=lab
#
#   1. prepare   pipeline.sbatch ... --until simulate   track + simulate (or the real project that
#                                                        run.project names)
#   2. ctf       array-ctf-extract.sbatch: a job array, one task per tilt series, then a merge job
#   3. extract   the same, for particle extraction
#   4. refine    refine.sbatch (MPI ranks x OpenMP threads)
#   5. report    pipeline.sbatch ... --only report, one task
#
# NSERIES is the number of tilt series (array tasks 0..NSERIES-1). Run it from the folder the logs
# and relative paths belong to: logs go to ./logs/. The jobs get this shell's environment (CSPT,
# LAUNCHER, ... as in the templates). A stage that stops cleanly before its time limit requeues
# itself, and the jobs after it keep waiting. Prints one line per job, then the ids on one line.
set -euo pipefail

if [ $# -lt 3 ]; then
  sed -n '2,17p' "$0" >&2
  exit 2
fi
config=$1 out=$2 nseries=$3
shift 3
[[ $nseries =~ ^[1-9][0-9]*$ ]] || { echo "chain.sh: NSERIES '$nseries': expected a number >= 1" >&2; exit 2; }
[ -f "$config" ] || { echo "chain.sh: $config: no such file" >&2; exit 2; }
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p logs

# Fail fast: check the config here when cspt is at hand (each job checks it again).
cspt_bin=${CSPT:-$(command -v cspt || true)}
[ -n "$cspt_bin" ] || [ ! -x build/cspt ] || cspt_bin=build/cspt
if [ -n "$cspt_bin" ]; then "$cspt_bin" config check -c "$config" > /dev/null; fi

after() { echo "--dependency=afterok:$1" --kill-on-invalid-dep=yes; }

prepare=$(sbatch --parsable --job-name=cspt-prepare "$@" "$here/pipeline.sbatch" "$config" "$out" --until simulate)
prepare=${prepare%%;*}
echo "prepare  $prepare"

# shellcheck disable=SC2046
read -r ctf_array ctf_merge < <(bash "$here/array-ctf-extract.sbatch" submit ctf "$config" "$out" "$nseries" "$@" $(after "$prepare"))
[ -n "${ctf_merge:-}" ] || { echo "chain.sh: submitting the ctf array failed" >&2; exit 1; }
echo "ctf      $ctf_array (array 0-$((nseries - 1))), merge $ctf_merge"

# shellcheck disable=SC2046
read -r ex_array ex_merge < <(bash "$here/array-ctf-extract.sbatch" submit extract "$config" "$out" "$nseries" "$@" $(after "$ctf_merge"))
[ -n "${ex_merge:-}" ] || { echo "chain.sh: submitting the extract array failed" >&2; exit 1; }
echo "extract  $ex_array (array 0-$((nseries - 1))), merge $ex_merge"

# shellcheck disable=SC2046
refine=$(sbatch --parsable "$@" $(after "$ex_merge") "$here/refine.sbatch" "$config" "$out")
refine=${refine%%;*}
echo "refine   $refine"

# shellcheck disable=SC2046
report=$(sbatch --parsable --job-name=cspt-report --ntasks=1 "$@" $(after "$refine") "$here/pipeline.sbatch" "$config" "$out" --only report)
report=${report%%;*}
echo "report   $report"

echo "$prepare $ctf_array $ctf_merge $ex_array $ex_merge $refine $report"
echo "watch: squeue -j $prepare,$ctf_array,$ctf_merge,$ex_array,$ex_merge,$refine,$report   cancel all: scancel $prepare $ctf_array $ctf_merge $ex_array $ex_merge $refine $report" >&2
