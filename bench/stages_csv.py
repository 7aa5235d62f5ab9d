#!/usr/bin/python3
"""Collects bench/stages.sh's runs (OUT/runs.txt and each run's folder) into OUT/stages.csv and
OUT/efficiency.csv, and prints both.

Besides wall time, each row has the ranks' CPU time (user + system, from /usr/bin/time around every
rank). Open MPI ranks poll while they wait, so a rank's CPU time approximates the wall time it
would take on a core of its own: on a machine shared with other jobs, cpu_efficiency = CPU(1 rank)
/ (N x the largest rank CPU at N ranks) estimates the strong-scaling efficiency the wall clock
cannot show (optimistic when oversubscribed ranks yield while waiting), and cpu_per_wall (CPU over
N x wall) says how much of the cores the ranks really had.
  bench/stages_csv.py OUT
"""
import csv
import glob
import json
import os
import sys

out = sys.argv[1]
rows = []
for line in open(os.path.join(out, "runs.txt")):
    stage, size, box, n, d = line.strip().split(",")
    wall = float(open(os.path.join(d, "wall.time")).read().split()[-1])
    # /usr/bin/time -f "%e %U %S %M" per rank (a failed command adds a line before it).
    fields = [open(r).read().split()[-4:] for r in sorted(glob.glob(os.path.join(d, "rank*.time")))]
    rss = [float(f[3]) / 1024 for f in fields]
    cpu = [float(f[1]) + float(f[2]) for f in fields]
    load = os.path.join(d, "load.txt")
    # The program's own account: summary.json where the stage writes one, with per-stage seconds.
    summ = {"extract": "parts/summary.json", "refine": "out/iter_001/summary.json",
            "reconstruct": "out/summary.json"}.get(stage)
    s = json.load(open(os.path.join(d, summ))) if summ and os.path.exists(os.path.join(d, summ)) else {}
    rows.append({"stage": stage, "size": size, "ranks": int(n), "box": int(box),
                 "n_projections": s.get("n_projections", ""), "wall_s": round(wall, 2),
                 "program_s": round(s["wall_s"], 2) if "wall_s" in s else "",
                 "peak_rss_mb": round(max(rss), 1), "rss_per_rank_mb": ";".join(f"{r:.0f}" for r in rss),
                 "cpu_s_max_rank": round(max(cpu), 2), "cpu_s_total": round(sum(cpu), 2),
                 "cpu_per_wall": round(sum(cpu) / (wall * int(n)), 2),
                 "load_before": open(load).read().strip() if os.path.exists(load) else "",
                 "stage_times_s": ";".join(f"{k}={v:.2f}" for k, v in s.get("stage_s", {}).items())})
with open(os.path.join(out, "stages.csv"), "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
    w.writeheader()
    w.writerows(rows)
# Strong scaling: speed-up over 1 rank divided by the rank count, by wall clock and by CPU time.
by = {(r["stage"], r["size"], r["ranks"]): r for r in rows}
with open(os.path.join(out, "efficiency.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["stage", "size", "ranks", "wall_1_s", "wall_n_s", "speedup", "efficiency", "cpu_efficiency"])
    for (stage, size, n), r in by.items():
        r1 = by.get((stage, size, 1))
        if n > 1 and r1:
            w.writerow([stage, size, n, r1["wall_s"], r["wall_s"], round(r1["wall_s"] / r["wall_s"], 2),
                        round(r1["wall_s"] / r["wall_s"] / n, 2),
                        round(r1["cpu_s_max_rank"] / r["cpu_s_max_rank"] / n, 2)])
print(open(os.path.join(out, "stages.csv")).read())
print(open(os.path.join(out, "efficiency.csv")).read())
