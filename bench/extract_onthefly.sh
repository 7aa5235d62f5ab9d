#!/usr/bin/env bash
# Stored against on-the-fly extraction, in two parts (PARTS="refine extract" by default).
# refine: in cspt refine (refine.extraction): for one simulated dataset
# and 1 and 2 ranks, the time to have every rank hold its particle boxes (extraction on the root,
# then each rank reading its stack sections or cutting its boxes from the raw tilt series), the
# bytes written into the run folder and the bytes the ranks read. One refinement iteration runs
# (particles and tilts fixed) so the images are used; its time is shown but is not the point.
#   bench/extract_onthefly.sh [WORK_DIR]   (CSPT=, TESTDATA= to use another build; about 3 minutes)
# extract: cspt extract stored against --on-the-fly (wall time, bytes written), then cspt reconstruct
# from each STAR file with 1 and 2 ranks (wall time, bytes read by all its processes, measured by
# bench/measure_io.py from /proc/PID/io rchar).
# Prints medians of REPEATS (default 3) runs (WORK_DIR/onthefly.csv and extract_onthefly.csv; every
# run: runs.csv and extract_runs.csv) for docs/performance.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-/tmp/cspt-bench-onthefly}
CSPT=${CSPT:-$root/build/cspt}
TESTDATA=${TESTDATA:-$(dirname "$CSPT")/tests/cspt_testdata}
[ -x "$CSPT" ] && [ -x "$TESTDATA" ] || "$root/scripts/build"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
MPIRUN=(mpirun --oversubscribe --allow-run-as-root --mca btl self,vader)
json_of() { /usr/bin/python3 -c "import json,sys; print(round(json.load(open(sys.argv[1]))[sys.argv[2]], 3))" "$1" "$2"; }
mkdir -p "$work" && cd "$work"
# 4 tilt series x 25 particles x 41 tilts = 4,100 projections, box 96 at 2 A, 1024 x 1024 tilt images.
if [ ! -s sim/project.h5 ]; then
  echo "== simulating (once per WORK_DIR)"
  "$CSPT" simulate -o sim --model builtin:phantom --particle-box-px 96 --pixel-size-A 2 --image-nx-px 1024 \
    --image-ny-px 1024 --n-tilt-series 4 --particles-per-series 25 --tilt-scheme bisect60 \
    --dose-per-tilt-e-per-A2 3 --radiation-damage false --target-defocus-A 15000 --defocus-spread-A 2000 \
    --seed 3 --threads 2 > sim.log 2>&1
  # A refinement start (the truth moved a little, true defocus in every tilt) in place of cspt ctf.
  "$TESTDATA" perturb --project sim/project.h5 --seed 1 > /dev/null
fi
raw_bytes=$(du -cb sim/tilt_series/*.mrc | tail -1 | cut -f1)
cat sim/tilt_series/*.mrc > /dev/null  # page cache warm: the figures are CPU and copy costs, not disk
repeats=${REPEATS:-3}
parts=${PARTS:-refine extract}
if [[ " $parts " == *" refine "* ]]; then
echo "mode,ranks,repeat,extraction_s,image_load_s,iteration_s,run_folder_bytes_written,image_bytes_read" > runs.csv
for r in $(seq "$repeats"); do
  for mode in stored on-the-fly; do
    for n in 1 2; do
      out=run_${mode}_$n
      rm -rf "$out" && cp sim/project.h5 "sim/p_${mode}_$n.h5"
      sync
      "${MPIRUN[@]}" -n $n "$CSPT" refine -p "sim/p_${mode}_$n.h5" -o "$out" --reference sim/truth/map.mrc --box 96 \
        --iterations 1 --extraction "$mode" --refine-particles false --refine-tilts false --threads $((2 / n)) \
        > "$out.log" 2>&1 || { cat "$out.log"; exit 1; }
      ext=$(sed -n 's/.*cspt refine: extraction: \([0-9.]*\) s.*/\1/p' "$out.log")
      load=$(sed -n 's/.*projections held .* in \([0-9.]*\) s (slowest rank).*/\1/p' "$out.log")
      read_mb=$(sed -n 's/.*(slowest rank), \([0-9.]*\) MB read.*/\1/p' "$out.log")
      iter=$(/usr/bin/python3 -c "import json; print(round(json.load(open('$out/iter_001/summary.json'))['wall_s'], 2))")
      written=$(find "$out" -maxdepth 1 -type f -printf '%s\n' | awk '{s += $1} END {print s}')
      echo "$mode,$n,$r,$ext,$load,$iter,$written,$read_mb" >> runs.csv
    done
  done
done
# Medians over the repeats.
/usr/bin/python3 - "$raw_bytes" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open("runs.csv")))
out = open("onthefly.csv", "w")
out.write("mode,ranks,extraction_s,image_load_s,extraction_plus_load_s,iteration_s,run_folder_MB_written,image_MB_read,raw_tilt_series_MB\n")
for mode in ("stored", "on-the-fly"):
    for n in ("1", "2"):
        rs = [r for r in rows if r["mode"] == mode and r["ranks"] == n]
        med = lambda k: statistics.median(float(r[k]) for r in rs)
        out.write(f"{mode},{n},{med('extraction_s'):.2f},{med('image_load_s'):.2f},"
                  f"{statistics.median(float(r['extraction_s']) + float(r['image_load_s']) for r in rs):.2f},"
                  f"{med('iteration_s'):.2f},{med('run_folder_bytes_written') / 1e6:.1f},{med('image_bytes_read'):.1f},"
                  f"{int(sys.argv[1]) / 1e6:.1f}\n")
out.close()
PY
column -s, -t onthefly.csv
fi

if [[ " $parts " == *" extract "* ]]; then
meter=$root/bench/measure_io.py
echo "mode,step,ranks,repeat,wall_s,bytes_written,bytes_read" > extract_runs.csv
for r in $(seq "$repeats"); do
  for mode in stored on-the-fly; do
    flag=$([ "$mode" = on-the-fly ] && echo --on-the-fly || true)
    rm -rf "ext_$mode" && sync
    /usr/bin/python3 "$meter" "ext_$mode.json" -- "$CSPT" extract -p sim/project.h5 --box 96 $flag -o "ext_$mode" \
      > "ext_$mode.log" 2>&1 || { cat "ext_$mode.log"; exit 1; }
    written=$(find "ext_$mode" -type f -printf '%s\n' | awk '{s += $1} END {print s}')
    echo "$mode,extract,1,$r,$(json_of "ext_$mode.json" wall_s),$written,$(json_of "ext_$mode.json" bytes_read)" >> extract_runs.csv
    for n in 1 2; do
      out=rec_${mode}_$n
      rm -rf "$out" && sync
      /usr/bin/python3 "$meter" "$out.json" -- "${MPIRUN[@]}" -n $n "$CSPT" reconstruct --star "ext_$mode/particles.star" \
        -o "$out" --threads $((2 / n)) > "$out.log" 2>&1 || { cat "$out.log"; exit 1; }
      echo "$mode,reconstruct,$n,$r,$(json_of "$out.json" wall_s),,$(json_of "$out.json" bytes_read)" >> extract_runs.csv
    done
    cmp -s "rec_stored_1/map.mrc" "rec_${mode}_1/map.mrc" || { echo "maps differ: stored, $mode"; exit 1; }
  done
done
/usr/bin/python3 - <<'PY'
import csv, statistics
rows = list(csv.DictReader(open("extract_runs.csv")))
out = open("extract_onthefly.csv", "w")
out.write("mode,step,ranks,wall_s,MB_written,MB_read\n")
for step, ranks in (("extract", "1"), ("reconstruct", "1"), ("reconstruct", "2")):
    for mode in ("stored", "on-the-fly"):
        rs = [r for r in rows if r["mode"] == mode and r["step"] == step and r["ranks"] == ranks]
        med = lambda k: statistics.median(float(r[k]) for r in rs) if rs[0][k] else float("nan")
        out.write(f"{mode},{step},{ranks},{med('wall_s'):.2f},{med('bytes_written') / 1e6:.1f},{med('bytes_read') / 1e6:.1f}\n")
out.close()
PY
column -s, -t extract_onthefly.csv
fi
