#!/usr/bin/env bash
# run_fuzzer.sh FUZZER TARGET SECONDS SOURCE_DIR WORK_DIR: fuzzes one reader for SECONDS from the
# committed seed corpus (SOURCE_DIR/corpus/TARGET, read only) and the regressions; new inputs go to
# WORK_DIR/corpus. A crash, leak, sanitizer report, uncaught exception, timeout (> 10 s for one input)
# or out-of-memory (> 2.5 GB) fails the test and leaves the input in WORK_DIR/findings/ with the
# command that replays it. The random seed is fixed (CSPT_FUZZ_SEED, default 1): CI explores the same
# mutations each time and differs only in how far it gets; set another seed to explore elsewhere.
set -euo pipefail
fuzzer=$1 target=$2 seconds=$3 src=$4 work=$5
mkdir -p "$work/corpus" "$work/findings"
rm -f "$work"/findings/*
seeds=("$src/corpus/$target")
[ -d "$src/regressions/$target" ] && seeds+=("$src/regressions/$target")
export CSPT_FUZZ_SCRATCH="$work"
set +e
"$fuzzer" -seed="${CSPT_FUZZ_SEED:-1}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2560 -max_len=16384 -use_value_profile=1 \
  -print_final_stats=1 -artifact_prefix="$work/findings/" "$work/corpus" "${seeds[@]}" > "$work/fuzz.log" 2>&1
rc=$?
set -e
grep -E "^stat::number_of_executed_units|^stat::new_units_added|cov:" "$work/fuzz.log" | tail -3
if [ $rc -ne 0 ] || ls "$work"/findings/* > /dev/null 2>&1; then
  tail -60 "$work/fuzz.log"
  for f in "$work"/findings/*; do
    [ -e "$f" ] || continue
    echo "FINDING $target: $f"
    echo "  replay: $fuzzer $f"
    echo "  keep as a regression: cp $f $src/regressions/$target/"
  done
  exit 1
fi
echo "fuzz.$target: ${seconds}s, no finding"
