#!/usr/bin/env bash
# Whole-program stage benchmark: `cspt ctf`, `cspt extract`, one `cspt refine` iteration and
# `cspt reconstruct` on simulated datasets of three sizes, each under `mpirun -n 1` and `mpirun -n 2`
# (both pay the same launcher start-up), one thread per rank. Writes OUT/stages.csv (one row per
# stage, size and rank count: wall time, peak RSS and CPU time of every rank, the programs' own
# stage times, the load average before the run) and OUT/efficiency.csv (strong scaling 1 -> 2
# ranks per stage and size, by wall clock and by CPU time; see bench/stages_csv.py).
#   bench/stages.sh [OUT_DIR]      env: SIZES="S M L" RANKS="1 2" BUILD=build DATA=OUT/data
# Sizes (the same 1536 x 1536 A field of view, so the same specimen per series):
#   S  box  64, 3.0 A/px,  512^2 images, 2 tilt series x 25 particles x 41 tilts (2,050 projections)
#   M  box 128, 1.5 A/px, 1024^2 images, 8 x 25 x 41: configs/simulate.yaml's default (8,200)
#   L  box 256, 0.75 A/px, 2048^2 images, 4 x 50 x 41 (8,200 projections of 4x the pixels)
# Datasets are simulated once into DATA (untimed) and reused by later runs.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${1:-/tmp/cspt-bench-stages}" && cd "${1:-/tmp/cspt-bench-stages}" && pwd)
SIZES=${SIZES:-"S M L"}; RANKS=${RANKS:-"1 2"}
BUILD=${BUILD:-$root/build}; DATA=${DATA:-$out/data}
CSPT=$BUILD/cspt; T=$BUILD/tests/cspt_testdata
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
[ -x "$CSPT" ] && [ -x "$T" ] || { echo "stages.sh: build cspt and cspt_testdata into $BUILD first" >&2; exit 1; }
mkdir -p "$DATA" "$out/runs"

size_args() {  # simulate options and box of a size
  case $1 in
    S) echo "64 --particle-box-px 64 --pixel-size-A 3.0 --image-nx-px 512 --image-ny-px 512 --n-tilt-series 2" ;;
    M) echo "128" ;;
    L) echo "256 --particle-box-px 256 --pixel-size-A 0.75 --image-nx-px 2048 --image-ny-px 2048 --n-tilt-series 4 --particles-per-series 50" ;;
    *) echo "stages.sh: unknown size $1 (S, M, L)" >&2; exit 1 ;;
  esac
}

# timed STAGE SIZE N DIR CMD...: runs CMD under `mpirun -n N`, each rank under /usr/bin/time so
# that every rank's peak RSS is known; the launcher's wall time covers the whole program.
timed() {
  local stage=$1 size=$2 n=$3 dir=$4; shift 4
  mkdir -p "$dir"
  rm -f "$dir"/rank*.time
  cut -d' ' -f1 /proc/loadavg > "$dir/load.txt"
  /usr/bin/time -f "%e" -o "$dir/wall.time" mpirun --oversubscribe -n "$n" bash -c \
    '/usr/bin/time -f "%e %U %S %M" -o "$0/rank$OMPI_COMM_WORLD_RANK.time" "$@"' "$dir" "$@" > "$dir/log.txt" 2>&1 ||
    { echo "$stage $size x$n failed:"; tail -5 "$dir/log.txt"; exit 1; }
  echo "$stage,$size,$box,$n,$dir" >> "$out/runs.txt"
  printf '%-12s %s  %d rank(s): %6.1f s\n' "$stage" "$size" "$n" "$(cat "$dir/wall.time")"
}

rm -f "$out/runs.txt"
for size in $SIZES; do
  read -r box sim_args <<< "$(size_args "$size")"
  sim=$DATA/$size
  if [ ! -f "$sim/truth/map.mrc" ]; then
    echo "== simulating $size (box $box)"
    # shellcheck disable=SC2086
    /usr/bin/time -f "simulate $size: wall %e s" mpirun --oversubscribe -n 2 "$CSPT" simulate \
      -c "$root/configs/simulate.yaml" $sim_args -o "$sim" > "$DATA/simulate_$size.log" 2>&1
    tail -1 "$DATA/simulate_$size.log"
  fi
  cp "$sim/project.h5" "$sim/stages_start.h5"
  "$T" perturb --project "$sim/stages_start.h5" --seed 3 > /dev/null
  cat "$sim"/tilt_series/*.mrc > /dev/null  # page cache warm for every run alike
  for n in $RANKS; do
    run=$out/runs/$size/n$n
    rm -rf "$run" && mkdir -p "$run"
    # ctf writes its fits into the project, so each run gets its own copy beside the stacks.
    cp "$sim/project.h5" "$sim/bench_ctf_n$n.h5"
    timed ctf "$size" "$n" "$run/ctf" "$CSPT" ctf -p "$sim/bench_ctf_n$n.h5" --threads 1
    timed extract "$size" "$n" "$run/extract" "$CSPT" extract -p "$sim/project.h5" --box "$box" --geometry truth \
      -o "$run/extract/parts"
    # Refinement: extraction into the run folder first (untimed), then one timed iteration from the
    # perturbed start at 20 A, as the demo's first iteration.
    cp "$sim/stages_start.h5" "$sim/bench_refine_n$n.h5"
    refine_args=(-p "$sim/bench_refine_n$n.h5" -o "$run/refine/out" --reference "$sim/truth/map.mrc"
                 --initial-resolution-A 20 --sym D3 --box "$box" --threads 1)
    mkdir -p "$run/refine"
    "$CSPT" refine "${refine_args[@]}" --iterations 0 > "$run/refine/extract.log" 2>&1
    timed refine "$size" "$n" "$run/refine" "$CSPT" refine "${refine_args[@]}" --iterations 1
    timed reconstruct "$size" "$n" "$run/reconstruct" "$CSPT" reconstruct --star "$run/extract/parts/particles.star" \
      -o "$run/reconstruct/out" --sym D3 --threads 1
    # The particle stacks are the bulk of the disk (2 GB each at L); summaries and logs stay.
    find "$run" -name '*.mrcs' -delete
  done
done

/usr/bin/python3 "$root/bench/stages_csv.py" "$out"
