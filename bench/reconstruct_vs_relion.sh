#!/usr/bin/env bash
# Side-by-side reconstruction benchmark: cspt reconstruct against relion_reconstruct (Debian RELION
# 3.1.3) on the same particles in the same run, as ../shared/reference/relion-baseline.md measured
# RELION: 20,000 particles, box 128, 1.5 A/px, CTF, pad 2, both half-maps, true angles.
#   bench/reconstruct_vs_relion.sh [WORK_DIR]      env: N=20000 BOX=128 SNR=0.05 REPS=1 BUILD=build INSERTION=auto
# Prints wall time, peak memory and accuracy for each program and the ratios. Parallel efficiency
# compares `mpirun -n 2` with `mpirun -n 1`, so both pay the same launcher start-up.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-/tmp/cspt-bench-reconstruct}
N=${N:-20000}; BOX=${BOX:-128}; SNR=${SNR:-0.05}; REPS=${REPS:-1}; INSERTION=${INSERTION:-auto}
BUILD=${BUILD:-$root/build}; CSPT=$BUILD/cspt; T=$BUILD/tests/cspt_testdata
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
[ -x "$CSPT" ] || "$root/scripts/build"  # BUILD=DIR: the binaries of another build
mkdir -p "$work" && cd "$work"

if [ ! -f particles.star ] || [ "$(grep -c '@' particles.star)" -ne "$N" ]; then
  echo "== simulating $N particles with relion_project (box $BOX, 1.5 A/px, CTF, SNR $SNR)"
  "$T" phantom --box "$BOX" --apix 1.5 --atoms 100 --radius-A 48 --sym D3 --seed 7 --out truth.mrc
  "$T" star --n "$N" --box "$BOX" --apix 1.5 --seed 2024 --stack particles.mrcs --out particles.star
  relion_project --i truth.mrc --ang particles.star --ctf --o clean > project.log 2>&1
  "$T" noise --in clean.mrcs --out particles.mrcs --snr "$SNR" --diam-A 110 --seed 1
  rm -f clean.mrcs clean.star
fi
cat particles.mrcs > /dev/null  # warm the page cache for everyone alike

# timed NAME CMD...: appends "NAME wall_s maxrss_MB" to times.txt
timed() {
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o time.tmp "$@" > "log_$name.txt" 2>&1
  echo "$name $(awk '{printf "%s %.0f", $1, $2/1024}' time.tmp)" | tee -a times.txt
}
rm -f times.txt
for rep in $(seq "$REPS"); do
  timed relion_half1 relion_reconstruct --i particles.star --o relion_half1.mrc --ctf --subset 1
  timed relion_half2 relion_reconstruct --i particles.star --o relion_half2.mrc --ctf --subset 2
  timed cspt_1x1 "$CSPT" reconstruct --star particles.star -o cspt_1x1 --threads 1 --insertion "$INSERTION"
  timed cspt_mpi1x1 mpirun --oversubscribe --allow-run-as-root -n 1 "$CSPT" reconstruct --star particles.star -o cspt_mpi1x1 --threads 1 --insertion "$INSERTION"
  timed cspt_2x1 mpirun --oversubscribe --allow-run-as-root -n 2 "$CSPT" reconstruct --star particles.star -o cspt_2x1 --threads 1 --insertion "$INSERTION"
  timed cspt_1x2 "$CSPT" reconstruct --star particles.star -o cspt_1x2 --threads 2 --insertion "$INSERTION"
done

echo "== accuracy (FSC against the truth, soft sphere 70 A)"
for h in 1 2; do
  "$T" compare --a cspt_1x1/half$h.mrc --b relion_half$h.mrc --truth truth.mrc --mask-radius-A 70 \
    --corr-mask-radius-A 70 --upto 0.9 | tee "accuracy_half$h.txt" | head -2
done

/usr/bin/python3 - "$N" <<'PY'
import collections, json, statistics, sys
runs = collections.defaultdict(list)
for line in open('times.txt'):
    name, wall, rss = line.split()
    runs[name].append((float(wall), float(rss)))
med = {k: (statistics.median(w for w, _ in v), max(r for _, r in v)) for k, v in runs.items()}
relion_wall = med['relion_half1'][0] + med['relion_half2'][0]
relion_rss = max(med['relion_half1'][1], med['relion_half2'][1])
c1, c2, ct, m1 = med['cspt_1x1'], med['cspt_2x1'], med['cspt_1x2'], med['cspt_mpi1x1']
summary = json.load(open('cspt_1x1/summary.json'))
print()
print(f"| run | wall s (both half-maps) | peak RSS MB | speed-up vs RELION |")
print(f"|---|---|---|---|")
print(f"| relion_reconstruct, --subset 1 + --subset 2, 1x1 | {relion_wall:.1f} | {relion_rss:.0f} | 1.0 |")
print(f"| cspt reconstruct, 1 rank x 1 thread | {c1[0]:.1f} | {c1[1]:.0f} | {relion_wall / c1[0]:.1f} |")
print(f"| cspt reconstruct, mpirun -n 1, 1 thread | {m1[0]:.1f} | {m1[1]:.0f} | {relion_wall / m1[0]:.1f} |")
print(f"| cspt reconstruct, 2 ranks x 1 thread | {c2[0]:.1f} | {c2[1]:.0f} (largest rank) | {relion_wall / c2[0]:.1f} |")
print(f"| cspt reconstruct, 1 rank x 2 threads | {ct[0]:.1f} | {ct[1]:.0f} | {relion_wall / ct[0]:.1f} |")
print()
print(f"speed ratio (RELION / cspt, 1x1): {relion_wall / c1[0]:.2f}  (target >= 5)")
print(f"memory ratio (cspt / RELION peak): {c1[1] / relion_rss:.2f}  (target <= 1)")
print(f"parallel efficiency, 2 ranks on 2 cores (against mpirun -n 1): {m1[0] / (2 * c2[0]) * 100:.0f}%  (target >= 85%)")
print(f"parallel efficiency, 2 threads: {c1[0] / (2 * ct[0]) * 100:.0f}%")
print(f"cspt stage times (1x1): " + ", ".join(f"{k} {v:.2f} s" for k, v in summary['stage_s'].items()))
print(f"cspt gold-standard resolution: {summary['resolution_A']:.2f} A (masked, corrected)")
PY
