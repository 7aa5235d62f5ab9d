#!/usr/bin/env bash
# Side-by-side refinement benchmark: cspt refine (constrained, mpirun -n 2) against relion_refine_mpi
# (Debian RELION 3.1.3, 3 ranks = 1 leader + 2 workers, as relion-baseline.md ran it) with local
# searches on the same projections, each treated by RELION as a single particle. Both start from the
# same perturbed poses and the truth low-passed to 20 A. Prints wall time per iteration, time per
# projection and per orientation evaluated, and the ratios.
# RELION refines the first RELION_N projections (default 2,050: the particles of two tilt series;
# a local-search iteration of all 8,200 takes it about 40 minutes here); times are compared per
# projection.
#   bench/refine_vs_relion.sh [WORK_DIR]      env: SIM=DIR (a simulated project to reuse) ITER=2 RELION_N=2050 BUILD=build
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-/tmp/cspt-bench-refine-relion}
ITER=${ITER:-2}; RELION_N=${RELION_N:-2050}
BUILD=${BUILD:-$root/build}; CSPT=$BUILD/cspt; T=$BUILD/tests/cspt_testdata
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
[ -x "$CSPT" ] || "$root/scripts/build"  # BUILD=DIR: the binaries of another build
mkdir -p "$work" && cd "$work"
if [ -n "${SIM:-}" ]; then ln -sfn "$SIM" sim; fi
if [ ! -f sim/truth/map.mrc ]; then
  mpirun --oversubscribe -n 2 "$CSPT" simulate -c "$root/configs/simulate.yaml" -o sim 2>&1 | tail -1
fi
cp sim/project.h5 sim/bench_start.h5
"$T" perturb --project sim/bench_start.h5 --seed 3 > /dev/null
cp sim/bench_start.h5 sim/bench_cspt.h5
n_proj=$("$CSPT" extract -p sim/bench_start.h5 --box 128 -o relion_in 2>&1 | grep -o '[0-9]* projections' | head -1 | cut -d' ' -f1)
relion_image_handler --i sim/truth/map.mrc --o ref_lp20.mrc --lowpass 20 > /dev/null 2>&1

echo "== cspt refine: $ITER iterations, mpirun -n 2"
[ -f cspt_run/iter_$(printf %03d "$ITER")/summary.json ] || { rm -rf cspt_run; /usr/bin/time -f "%e %M" -o cspt.time mpirun --oversubscribe -n 2 "$CSPT" refine -p sim/bench_cspt.h5 -o cspt_run \
  --reference sim/truth/map.mrc --initial-resolution-A 20 --iterations "$ITER" --sym D3 --box 128 \
  --grid-range-deg 8 --grid-step-deg 4 > cspt.log 2>&1; }
tail -1 cspt.log
# RELION's subset: the STAR's header and its first RELION_N particle lines.
/usr/bin/python3 - relion_in/particles.star relion_in/subset.star "$RELION_N" <<'PY'
import sys
lines = open(sys.argv[1]).read().splitlines()
n, out, in_particles, kept = int(sys.argv[3]), [], False, 0
for l in lines:
    if l.startswith("data_particles"): in_particles = True
    if in_particles and "@" in l:
        if kept >= n: continue
        kept += 1
    out.append(l)
open(sys.argv[2], "w").write("\n".join(out) + "\n")
PY

echo "== relion_refine_mpi: $ITER iterations on $RELION_N projections, local searches (healpix 4, sigma 3.75 deg), 3 ranks"
rm -rf R && mkdir R
/usr/bin/time -f "%e %M" -o relion.time mpirun --allow-run-as-root --oversubscribe -np 3 relion_refine_mpi \
  --o R/run --i relion_in/subset.star --ref ref_lp20.mrc --ini_high 20 --auto_refine --split_random_halves \
  --low_resol_join_halves 40 --particle_diameter 170 --flatten_solvent --zero_mask --ctf --sym D3 \
  --healpix_order 4 --auto_local_healpix_order 4 --offset_range 2 --offset_step 1 --oversampling 1 --pad 2 \
  --norm --scale --j 1 --pool 10 --dont_combine_weights_via_disc --random_seed 1 --auto_iter_max "$ITER" \
  > relion.log 2>&1 || true

/usr/bin/python3 - "$n_proj" "$ITER" "$RELION_N" <<'PY'
import glob, json, math, os, sys
n_proj, iters, r_proj = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
# cspt: per-iteration wall and projection-score evaluations from its summaries.
cs = [json.load(open(f"cspt_run/iter_{i:03d}/summary.json")) for i in range(1, iters + 1)]
c_wall = [s["wall_s"] for s in cs]
c_eval = [s["projection_score_evaluations"] for s in cs]
# RELION: iteration boundaries from the files it writes at the end of each iteration.
stamps = sorted((os.path.getmtime(f), f) for f in glob.glob("R/run_it*_optimiser.star"))
r_wall = [stamps[i][0] - stamps[i - 1][0] for i in range(1, len(stamps))]
# RELION's orientations per image in a local search: directions within 3 sigma of the prior on a
# HEALPix order-4 grid, times psi within 3 sigma at the same step, times translations within the
# offset range (coarse pass; the oversampled fine pass adds more for the significant ones).
sigma, step = 3.75, 3.75
n_dir = math.pi * (3 * sigma) ** 2 / (41253.0 / (12 * 4 ** 4))
n_psi = 2 * 3 * sigma / step + 1
n_trans = math.pi * 2 ** 2
r_orient = n_dir * n_psi
cores = 2
print(f"projections: {n_proj}")
print("| program | wall per iteration (s) | core-ms per projection | orientations per projection | core-us per orientation |")
print("|---|---|---|---|---|")
for name, walls, orient, count in (("cspt refine (2 ranks)", c_wall, [e / n_proj for e in c_eval], n_proj),
                                   ("relion_refine_mpi (3 ranks on 2 cores)", r_wall, [r_orient] * len(r_wall), r_proj)):
    if not walls: continue
    w = sum(walls) / len(walls)
    per_proj = w * cores / count * 1e3
    o = sum(orient) / len(orient)
    print(f"| {name} | {w:.1f} | {per_proj:.2f} | {o:.0f} | {per_proj * 1e3 / o:.1f} |")
if r_wall:
    cw = sum(c_wall) / len(c_wall) / n_proj
    rw = sum(r_wall) / len(r_wall) / r_proj
    c_orient = sum(c_eval) / len(c_eval) / n_proj
    print(f"per projection: cspt {rw / cw:.1f}x faster; per orientation evaluated: {(rw / r_orient) / (cw / c_orient):.1f}x "
          f"(RELION: about {r_orient:.0f} coarse orientations x {n_trans:.0f} translations per image; cspt: "
          f"{c_orient:.0f} scored poses per projection, each with its own shift)")
PY
