#!/usr/bin/env bash
# The whole benchmark suite in one command: build (Release), the kernel benchmarks, the stage
# benchmarks at sizes S/M/L with 1 and 2 ranks, the RELION comparisons, then the measured tables of
# docs/performance.md are rewritten (bench/update_performance_doc.py; only between its markers).
#   bench/run_all.sh [--quick] [--skip-relion] [--skip-kernels] [--skip-stages] [--profile]
#                    [--no-doc] [--out DIR] [--build DIR]
#   --quick        smoke run: kernels at boxes 64 and 128 once each, stages at size S only, small
#                  RELION runs (a few minutes in all)
#   --skip-relion  no RELION comparison (they take ~10 minutes, ~3 GB of disk, the relion package)
#   --profile      also profile the insertion, extraction and score kernels with perf (or callgrind
#                  when perf cannot sample) into OUT/profile_*.txt
#   --out DIR      where everything goes [/tmp/cspt-bench-all]; --build DIR: the CMake build [build/]
# Outputs: OUT/kernels.json, OUT/stages/{stages,efficiency}.csv, OUT/relion_*.log, OUT/meta.txt,
# and OUT/scaling.csv, which bench/scaling_model.py writes from the 1-3 rank runs (its table too).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=/tmp/cspt-bench-all; build=$root/build
quick=0; relion=1; kernels=1; stages=1; profile=0; doc=1
while [ $# -gt 0 ]; do
  case $1 in
    --quick) quick=1 ;;
    --skip-relion) relion=0 ;;
    --skip-kernels) kernels=0 ;;
    --skip-stages) stages=0 ;;
    --profile) profile=1 ;;
    --no-doc) doc=0 ;;
    --out) out=$2; shift ;;
    --build) build=$2; shift ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run_all.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
mkdir -p "$out" && out=$(cd "$out" && pwd)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
log() { echo "== $(date +%H:%M:%S) $*"; }

log "dependencies and build ($build, Release)"
"$root/scripts/install-deps"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release > "$out/cmake.log"
make -C "$build" -j"$(nproc)" cspt cspt_testdata cspt_bench_kernels > "$out/make.log" 2>&1 ||
  { tail -20 "$out/make.log"; exit 1; }
{
  echo "commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$root" diff --quiet HEAD -- src include 2>/dev/null || echo ' (+ local changes)'),"
  echo "$( [ $quick = 1 ] && echo 'quick run' || echo 'full run')"
} | paste -sd' ' > "$out/meta.txt"

if [ $kernels = 1 ]; then
  log "kernels -> $out/kernels.json"
  args=(--benchmark_out="$out/kernels.json" --benchmark_out_format=json --benchmark_counters_tabular=true)
  if [ $quick = 1 ]; then
    args+=(--benchmark_filter='Stream|Random|/(64|128)$' --benchmark_min_time=0.05)
  else
    args+=(--benchmark_repetitions=3 --benchmark_report_aggregates_only=true)
  fi
  "$build/bench/cspt_bench_kernels" "${args[@]}" 2>&1 | tee "$out/kernels.txt"
fi

if [ $profile = 1 ]; then
  log "profiles -> $out/profile_*.txt"
  "$root/bench/profile_kernels.sh" "$build/bench/cspt_bench_kernels" "$out"
fi

if [ $stages = 1 ]; then
  log "stages -> $out/stages"
  sizes="S M L"; [ $quick = 1 ] && sizes="S"
  SIZES=${SIZES:-$sizes} BUILD=$build DATA=${DATA:-$out/data} "$root/bench/stages.sh" "$out/stages"
  # Strong scaling 1-3 ranks of size M, and the scaling model checked against it (OUT/scaling.csv).
  if [ $quick = 0 ]; then
    log "scaling -> $out/scaling"
    SIZES=M RANKS="1 2 3" BUILD=$build DATA=${DATA:-$out/data} "$root/bench/stages.sh" "$out/scaling"
    /usr/bin/python3 "$root/bench/scaling_model.py" "$out/scaling" "$out"
  fi
fi

if [ $relion = 1 ]; then
  if ! command -v relion_reconstruct > /dev/null; then
    echo "run_all.sh: RELION not installed, comparisons skipped" >&2
  else
    log "reconstruct vs relion_reconstruct -> $out/relion_reconstruct.log"
    n=20000; [ $quick = 1 ] && n=2000
    # A failed comparison is reported and the suite goes on to the document.
    N=$n REPS=1 BUILD=$build "$root/bench/reconstruct_vs_relion.sh" "$out/relion_reconstruct" 2>&1 |
      tee "$out/relion_reconstruct.log" || echo "run_all.sh: reconstruct_vs_relion.sh failed" >&2
    log "refine vs relion_refine_mpi -> $out/relion_refine.log"
    # The default (size M) dataset of the stages when it is there; else the script simulates it.
    sim=${DATA:-$out/data}/M; [ -f "$sim/truth/map.mrc" ] || sim=
    iter=2; rn=2050; [ $quick = 1 ] && { iter=1; rn=410; }
    SIM=$sim ITER=$iter RELION_N=$rn BUILD=$build "$root/bench/refine_vs_relion.sh" "$out/relion_refine" 2>&1 |
      tee "$out/relion_refine.log" || echo "run_all.sh: refine_vs_relion.sh failed" >&2
  fi
fi

if [ $doc = 1 ]; then
  log "docs/performance.md"
  /usr/bin/python3 "$root/bench/update_performance_doc.py" "$out" --doc "$root/docs/performance.md"
fi
log "done: $out"
