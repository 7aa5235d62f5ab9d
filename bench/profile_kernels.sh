#!/usr/bin/env bash
# Profiles the hot kernels once: the functions taking the time and, in the top one, the hottest
# instructions (cspt's kernels are single inlined loops, so a call graph says little; which loads,
# stores or arithmetic the samples land on does). perf samples by timer where the VM hides the
# PMU; without a working perf, callgrind's instruction counts stand in.
#   bench/profile_kernels.sh BENCH_BINARY OUT_DIR [KERNEL...]    (default: box-128 hot kernels)
set -eu  # no pipefail: `sort | head` ends the sort early, which is no error
bin=$1; out=$2; shift 2
kernels=("$@")
[ ${#kernels[@]} -gt 0 ] || kernels=(BM_InsertSlice/128 BM_BatchedInsert/128 BM_ProjectAt/128 BM_ScoreEvaluation/128
                                      BM_CtfHalfPlane/128)
mkdir -p "$out"
for k in "${kernels[@]}"; do
  f=$out/profile_$(echo "$k" | tr '/' '_').txt
  data=$out/perf_$(echo "$k" | tr '/' '_').data
  if perf record -q -o "$data" "$bin" --benchmark_filter="^$k\$" --benchmark_min_time=2 > /dev/null 2>&1; then
    {
      echo "# $k: perf record (cpu-clock sampling), functions above 1%"
      perf report -i "$data" --no-children --percent-limit 1 --stdio -F overhead,sym 2>/dev/null | grep -E '^ +[0-9]' |
        tee "$data.top"
      top=$(head -1 "$data.top" | sed 's/^ *[0-9.]*% *\[.\] *//; s/ *$//')
      echo "# hottest instructions of $top (samples land on or just after the stalled one)"
      perf annotate -i "$data" --stdio -s "$top" 2>/dev/null | grep -E '^ +[0-9]+\.[0-9]+ +:' | sort -rn | head -12
    } > "$f"
  else
    valgrind --tool=callgrind --callgrind-out-file="$data.cg" "$bin" --benchmark_filter="^$k\$" \
      --benchmark_min_time=0.01 > /dev/null 2>&1
    { echo "# $k: callgrind instruction counts"; callgrind_annotate "$data.cg" | head -30; } > "$f"
  fi
  echo "== $f"; head -8 "$f"
done
