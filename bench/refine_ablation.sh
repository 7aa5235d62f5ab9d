#!/usr/bin/env bash
# The refinement ablations of docs/validation.md on the default simulated dataset: full CSPT against
# the same search without the constraint, without tilt-geometry refinement, with dose / B-factor /
# no exposure weighting, from a 30 A reference, and the truth poses as the ceiling; plus a
# pure-noise negative control. Every run starts from the truth perturbed by 5-8 deg, 5 A, tilt
# angles 0.5-1 deg, axes 1 deg and tilt shifts 10-20 A (cspt_testdata perturb, seed 3).
#   bench/refine_ablation.sh [WORK_DIR]   env: ITER=4 RANKS=2 SEED=3 VARIANTS="cspt ..." CSPT_BUILD=build
# Variants: truth cspt unconstrained no_geometry dose none bfactor fitted from30 noise, and
# dose_truth (dose weights from the exposure the specimen really had, the simulator's truth).
# SIM_ARGS adds simulate options, e.g. SIM_ARGS="--unrecorded-dose-e-per-A2 1.5" for data whose
# dose record misses part of the exposure (docs/validation.md).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-/tmp/cspt-bench-ablation}
ITER=${ITER:-4}; RANKS=${RANKS:-2}; SEED=${SEED:-3}
VARIANTS=${VARIANTS:-"truth cspt unconstrained no_geometry dose none bfactor fitted from30 noise"}
read -r -a sim_args <<< "${SIM_ARGS:-}"
build=${CSPT_BUILD:-$root/build}
[ -x "$build/cspt" ] || "$root/scripts/build"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
cspt=$build/cspt; td=$build/tests/cspt_testdata
mkdir -p "$work/runs"; cd "$work"
if [ ! -f sim/truth/map.mrc ]; then
  mpirun --oversubscribe -n "$RANKS" "$cspt" simulate -c "$root/configs/simulate.yaml" -o sim "${sim_args[@]}" 2>&1 | tail -1
fi
common=(--reference sim/truth/map.mrc --initial-resolution-A 20 --iterations "$ITER" --sym D3
        --grid-range-deg 8 --grid-step-deg 4)
for v in $VARIANTS; do
  [ -f "runs/$v/summary.json" ] && { echo "$v: done before"; continue; }
  cp sim/project.h5 "sim/$v.h5"
  if [ "$v" = truth ]; then
    "$td" perturb --project "sim/$v.h5" --angle-min-deg 0 --angle-max-deg 0 --shift-A 0 --tilt-min-deg 0 \
      --tilt-max-deg 0 --axis-deg 0 --tilt-shift-min-A 0 --tilt-shift-max-A 0 >/dev/null
  elif [ "$v" = dose_truth ]; then
    "$td" perturb --project "sim/$v.h5" --seed "$SEED" --true-dose >/dev/null
  else
    "$td" perturb --project "sim/$v.h5" --seed "$SEED" >/dev/null
  fi
  extra=()
  case $v in
    truth) extra=(--iterations 1 --refine-particles false --refine-tilts false) ;;
    unconstrained) extra=(--constrained false --shift-range-A 25) ;;
    no_geometry) extra=(--refine-tilts false) ;;
    dose|none|bfactor) extra=(--exposure-weighting "$v") ;;
    dose_truth) extra=(--exposure-weighting dose) ;;
    fitted) extra=(--exposure-weighting fitted-exposure) ;;
    from30) extra=(--initial-resolution-A 30) ;;
    noise)
      # The same boxes replaced by white noise of the same variance: nothing to find. The noise
      # is in the stored stack only, so no re-centring (it would cut the raw tilt series again).
      extra=(--recentre-boxes false)
      mkdir -p runs/noise
      "$cspt" refine -p "sim/$v.h5" -o runs/noise "${common[@]}" "${extra[@]}" --iterations 0 >/dev/null 2>&1
      ;;
  esac
  if [ "$v" = noise ]; then
    "$td" noise-stack --like runs/noise/particles.mrcs --seed 5 >/dev/null
  fi
  start=$(date +%s.%N)
  mpirun --oversubscribe -n "$RANKS" "$cspt" refine -p "sim/$v.h5" -o "runs/$v" "${common[@]}" "${extra[@]}" \
    > "runs/$v.log" 2>&1 || { echo "$v failed:"; tail -5 "runs/$v.log"; exit 1; }
  echo "$v: $(tail -1 "runs/$v.log") ($(echo "$(date +%s.%N) - $start" | bc) s)"
done
/usr/bin/python3 - "$work/runs" <<'PY'
import json, os, sys
runs = sys.argv[1]
print("| variant | gold-standard 0.143 (A) | FSC 0.5 vs truth (A) | median angle err (deg) | median shift err (A) | tilt-angle err (deg) | tilt shift err (A) |")
print("|---|---|---|---|---|---|---|")
for v in os.environ.get("VARIANTS", "truth cspt unconstrained no_geometry dose none bfactor fitted from30 noise").split():
    p = os.path.join(runs, v, "summary.json")
    if not os.path.exists(p): continue
    s = json.load(open(p))
    print(f"| {v} | {s['resolution_A']:.2f} | {s.get('resolution_vs_truth_A', float('nan')):.2f} | "
          f"{s.get('median_angular_error_deg', float('nan')):.2f} | {s.get('median_shift_error_A', float('nan')):.2f} | "
          f"{s.get('tilt_angle_error_deg', float('nan')):.3f} | {s.get('tilt_shift_error_A', float('nan')):.2f} |")
PY
