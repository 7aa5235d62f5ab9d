#!/usr/bin/env bash
# Times `cspt simulate` on the default dataset (configs/simulate.yaml) with mpirun -n 2.
#   bench/simulate_default.sh [WORK_DIR]       env: RANKS=2 REPS=1
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-/tmp/cspt-bench-simulate}
RANKS=${RANKS:-2}; REPS=${REPS:-1}
[ -x "$root/build/cspt" ] || "$root/scripts/build"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mkdir -p "$work"
for rep in $(seq "$REPS"); do
  rm -rf "$work/sim"
  /usr/bin/time -f "wall %e s, peak RSS %M kB (largest process)" \
    mpirun --oversubscribe --allow-run-as-root -n "$RANKS" "$root/build/cspt" simulate \
    -c "$root/configs/simulate.yaml" -o "$work/sim" 2>&1 | grep -E "^cspt simulate: [0-9]+ tilt series,|wall"
done
echo "target: < 60 s on 2 cores"
