#!/bin/bash
# The same reconstruction under mpirun with 1, 2 and 3 ranks (and 1 or 2 threads) gives the same maps
# to 1e-5 relative, whichever way projections reach the slab-distributed grids (full grids reduced
# at the end, slice points sent to the slab owners, or every rank inserting its own slab).
source "$(dirname "$0")/../integration/lib.sh"
fx=${1:?fixture folder}
work=$(mktemp -d) && trap 'rm -rf "$work"' EXIT
cd "$fx"
"${MPIRUN[@]}" -n 1 "$CSPT" reconstruct --star particles.star -o "$work/r1" --threads 1 > "$work/r1.log" 2>&1 || { cat "$work/r1.log"; fail "1 rank"; }
# run_and_compare LABEL N [ARGS...]: N ranks (2 threads at 2 ranks), the insertion mode reported,
# every map equal to the 1-rank run's.
run_and_compare() {
  local label=$1 n=$2 mode=$3; shift 3
  local dir="$work/$label$n"
  "${MPIRUN[@]}" -n "$n" "$CSPT" reconstruct --star particles.star -o "$dir" --threads $((n == 2 ? 2 : 1)) "$@" \
    > "$dir.log" 2>&1 || { cat "$dir.log"; fail "$label, $n ranks run"; return; }
  [ "$(json_get "$dir/summary.json" ranks)" = "$n" ] && pass "$label, $n ranks reported" || fail "$label: ranks in summary.json"
  [ "$(json_get "$dir/summary.json" insertion)" = "$mode" ] && pass "$label, $n ranks: $mode insertion" \
    || fail "$label: insertion in summary.json is not $mode"
  for m in half1 half2 map; do
    if "$TESTDATA" compare --a "$dir/$m.mrc" --b "$work/r1/$m.mrc" --max-rel-diff 1e-5 > "$work/cmp.txt"; then
      pass "$label, $n ranks: $m.mrc equals the 1-rank map ($(head -1 "$work/cmp.txt"))"
    else cat "$work/cmp.txt"; fail "$label, $n ranks: $m.mrc differs"; fi
  done
}
for n in 2 3; do run_and_compare default "$n" full-grids; done  # automatic: full grids at box 64
for mode in send-to-owners own-slab; do
  for n in 2 3; do run_and_compare "$mode" "$n" "$mode" --insertion "$mode"; done
done
# FFTW wisdom (CSPT_FFTW_WISDOM): the first run measures its 3D plans and writes the file; the runs
# that read it never measure, so they give the same bits; all within rounding of ESTIMATE's.
for i in 1 2 3; do
  CSPT_FFTW_WISDOM="$work/fftw.wisdom" "${MPIRUN[@]}" -x CSPT_FFTW_WISDOM -n 2 "$CSPT" reconstruct --star particles.star \
    -o "$work/wisdom$i" --threads 1 > "$work/wisdom$i.log" 2>&1 || { cat "$work/wisdom$i.log"; fail "wisdom run $i"; }
done
[ -s "$work/fftw.wisdom" ] && pass "the wisdom file is written ($(wc -c < "$work/fftw.wisdom") bytes)" || fail "no wisdom file"
"$TESTDATA" compare --a "$work/wisdom3/map.mrc" --b "$work/wisdom2/map.mrc" --max-rel-diff 0 > "$work/cmp.txt" \
  && pass "the same wisdom gives the same bits ($(head -1 "$work/cmp.txt"))" || { cat "$work/cmp.txt"; fail "wisdom runs differ"; }
"$TESTDATA" compare --a "$work/wisdom2/map.mrc" --b "$work/r1/map.mrc" --max-rel-diff 1e-5 > "$work/cmp.txt" \
  && pass "measured plans agree with estimated ones ($(head -1 "$work/cmp.txt"))" || { cat "$work/cmp.txt"; fail "wisdom map differs"; }
grep -q "peak memory per rank about" "$work/r1.log" && pass "the memory per rank is stated: $(grep -o 'peak memory.*' "$work/r1.log")" \
  || fail "no memory statement"
# A configured limit below the statement refuses the run before any work, naming the numbers.
set +e; "${MPIRUN[@]}" -n 2 "$CSPT" reconstruct --star particles.star -o "$work/tight" --max-memory-gb 0.01 > "$work/tight.log" 2>&1; rc=$?; set -e
if [ $rc -eq 2 ] && grep -q "max-memory-gb.*peak memory per rank.*at most 0.01 GB" "$work/tight.log" && [ ! -e "$work/tight" ]; then
  pass "a run over --max-memory-gb is refused (exit 2): $(grep -o 'peak memory per rank.*' "$work/tight.log" | head -1 | cut -c1-160)"
else cat "$work/tight.log"; fail "memory limit not enforced (exit $rc)"; fi
# Every rank wrote nothing itself: only the root's files exist, with no staging left behind.
[ -z "$(find "$work/default3" -name '.staging*')" ] && pass "no staging folders left" || fail "staging folder left"
# A failure on one rank's share (a NaN image near the end, on the last rank) stops every rank with
# one clear message and a non-zero exit, and leaves no output.
cp particles.mrcs "$work/nan.mrcs"
/usr/bin/python3 -c "import struct,sys; f=open(sys.argv[1],'r+b'); f.seek(1024 + 3990*64*64*4 + 8); f.write(struct.pack('<f', float('nan')))" "$work/nan.mrcs"
sed "s#particles\.mrcs#$work/nan.mrcs#" particles.star > "$work/nan.star"
set +e; "${MPIRUN[@]}" -n 3 "$CSPT" reconstruct --star "$work/nan.star" -o "$work/rnan" > "$work/nan.log" 2>&1; rc=$?; set -e
if [ $rc -ne 0 ] && grep -q "rank 2/3.*nan.mrcs: section 3990 = NaN" "$work/nan.log" && [ ! -e "$work/rnan" ]; then
  pass "a bad image on rank 2 stops all ranks (exit $rc): $(grep 'NaN' "$work/nan.log" | head -1)"
else cat "$work/nan.log"; fail "bad image under 3 ranks (exit $rc)"; fi
finish
