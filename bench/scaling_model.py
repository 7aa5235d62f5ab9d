#!/usr/bin/python3
"""Strong-scaling model of one refinement iteration and one reconstruction (docs/performance.md).

Computation per rank comes from a measured 1-rank run (its own stage times, stages.csv); the
communication of every collective is counted from the code (bytes and messages per rank), and
costed with a bandwidth and a latency. The model is checked against the runs measured here at 1,
2 and 3 ranks (shared memory, 2 cores), then projects the paper's dataset to 64 and 512 ranks of a
cluster. Writes OUT/scaling.csv (ranks,stage,predicted_s,measured_s) and prints a summary.

    bench/scaling_model.py STAGES_DIR [OUT_DIR]     (STAGES_DIR holds stages.csv from bench/stages.sh)
"""
import csv
import math
import sys
from dataclasses import dataclass, replace


@dataclass
class Machine:
    cores_per_node: int       # ranks that compute at once on one node (one thread each)
    ranks_per_node: int
    bandwidth_Bps: float      # per node, each direction, for data leaving the node (or memcpy on one node)
    latency_s: float          # per message


# This machine: 2 cores; MPI over shared memory moves about 5 GB/s between ranks (a copy through
# a shared segment: half the 13.8 GB/s triad bandwidth of bench/kernels). Oversubscribed ranks
# share the cores.
HERE = Machine(cores_per_node=2, ranks_per_node=64, bandwidth_Bps=5e9, latency_s=1e-6)
# A typical cryo-EM cluster node: 32 cores, one rank per core, HDR100 InfiniBand (12.5 GB/s).
CLUSTER = Machine(cores_per_node=32, ranks_per_node=32, bandwidth_Bps=12.5e9, latency_s=2e-6)


@dataclass
class Dataset:
    projections: int
    box: int
    sym_ops: int
    tilts: int
    pad: int = 2

    def n_pad(self):
        return self.box * self.pad

    def points_per_insert(self):  # slice points inside r_max = box/2 - 1 (half plane)
        r = self.box / 2 - 1
        return math.pi * r * r / 2


def per_rank_parallelism(ranks, machine):
    """Ranks that compute at once per rank: oversubscribed ranks share the node's cores."""
    on_node = min(ranks, machine.ranks_per_node)
    return min(1.0, machine.cores_per_node / on_node)


def comm_time(bytes_per_rank, messages_per_rank, ranks, m):
    if ranks == 1:
        return 0.0
    on_node = min(ranks, m.ranks_per_node)
    # All ranks of a node share its link; on one node the copies share the memory bandwidth.
    return bytes_per_rank * on_node / m.bandwidth_Bps + messages_per_rank * m.latency_s


def reconstruct_model(unit, d, ranks, m):
    """Seconds per stage of one reconstruction (send-to-owners insertion, slab finishing)."""
    speed = per_rank_parallelism(ranks, m)
    n_pad, box = d.n_pad(), d.box
    slab_ranks = min(ranks, n_pad)  # FFTW-MPI slabs: at most one plane per rank
    box_ranks = min(ranks, box)
    grid_bytes = n_pad * n_pad * (n_pad // 2 + 1) * 8  # complex padded half grid
    box_bytes = box * box * (box // 2 + 1) * 8
    inserts = d.projections * d.sym_ops
    out = {}
    # Insertion: prepare + splat, divided over ranks; points go to their slab owners (24 bytes).
    point_bytes = inserts / ranks * d.points_per_insert() * 24 * (1 - 1 / ranks)
    rounds = max(1, inserts / ranks * d.points_per_insert() / 2**21)
    out["insert"] = unit["insert_per_slice"] * inserts / ranks / speed + comm_time(point_bytes, 2 * rounds * ranks, ranks, m)
    # Three maps finished: planes moved to the FFT owners, one slab transpose inside FFTW-MPI each.
    fft_scale = (n_pad / unit["n_pad"]) ** 3 * math.log(n_pad) / math.log(unit["n_pad"])
    finish = 3 * unit["finish_per_map"] * fft_scale / slab_ranks / speed
    out["finish"] = finish + comm_time(3 * 2 * grid_bytes / slab_ranks * (1 - 1 / slab_ranks), 3 * 2 * ranks, ranks, m)
    # FSC: six box-size distributed transforms (masked, unmasked, randomised: forward and inverse).
    fsc_scale = (box / unit["box"]) ** 3 * math.log(box) / math.log(unit["box"])
    out["fsc"] = unit["fsc"] * fsc_scale / box_ranks / speed + comm_time(6 * box_bytes / box_ranks, 6 * ranks, ranks, m)
    # Gathering three maps on the root: its link receives them all.
    out["gather"] = unit["gather"] * (box / unit["box"]) ** 3 + (comm_time(3 * box**3 * 4, 3 * ranks, ranks, m) if ranks > 1 else 0)
    return out


def refine_model(unit, d, ranks, m):
    """Seconds per stage of one refinement iteration."""
    speed = per_rank_parallelism(ranks, m)
    out = {}
    # References: every rank prepares both (projector of the padded map): not divided.
    out["references"] = unit["references"] * (d.box / unit["box"]) ** 3 / speed
    # Tilt geometry: candidate scores of own particles, one sum of 5 values per tilt, parameter,
    # candidate and round over all ranks (4 parameters x 5 candidates x 3 rounds).
    reductions = 4 * 3
    tilt_bytes = reductions * 5 * 5 * d.tilts * 8 * 2 * math.log2(max(ranks, 2))
    out["tilts"] = unit["tilts_per_projection"] * d.projections / ranks / speed + comm_time(tilt_bytes, reductions * 2 * math.log2(max(ranks, 2)), ranks, m)
    out["particles"] = unit["particles_per_projection"] * d.projections / ranks / speed
    rec = reconstruct_model(unit, d, ranks, m)
    out["reconstruction"] = sum(rec.values())
    return out


def read_stages(path):
    rows = list(csv.DictReader(open(path)))
    def times(row):
        return {k: float(v) for k, v in (kv.split("=") for kv in row["stage_times_s"].split(";") if kv)}
    return rows, times


def calibrate(rows, times, size):
    rec = next(r for r in rows if r["stage"] == "reconstruct" and r["size"] == size and r["ranks"] == "1")
    ref = next(r for r in rows if r["stage"] == "refine" and r["size"] == size and r["ranks"] == "1")
    rt, ft = times(rec), times(ref)
    box = int(rec["box"])
    d = Dataset(projections=int(rec["n_projections"]), box=box, sym_ops=6, tilts=41)  # D3 simulated specimen
    unit = {
        "box": box, "n_pad": 2 * box,
        "insert_per_slice": rt["insert"] / (d.projections * d.sym_ops),
        "finish_per_map": (rt["half_maps"] + rt["combined_map"]) / 3,
        "fsc": rt["fsc"], "gather": rt.get("gather", 0.0),
        "references": ft["references"],
        "tilts_per_projection": ft["tilts"] / int(ref["n_projections"]),
        "particles_per_projection": ft["particles"] / int(ref["n_projections"]),
    }
    return unit, d


def main():
    stages = sys.argv[1]
    out = sys.argv[2] if len(sys.argv) > 2 else stages
    rows, times = read_stages(f"{stages}/stages.csv")
    size = "M"
    unit, d = calibrate(rows, times, size)
    result = []
    print(f"calibrated on size {size} (box {d.box}, {d.projections} projections, 1 rank):")
    for k, v in unit.items():
        print(f"  {k} = {v:.4g}")
    print("\nchecked against this machine (2 cores, shared memory):")
    print(f"{'stage':<12}{'ranks':>6}{'predicted s':>13}{'measured s':>12}{'ratio':>8}")
    for stage, model in (("reconstruct", reconstruct_model), ("refine", refine_model)):
        for r in sorted({int(x["ranks"]) for x in rows if x["stage"] == stage and x["size"] == size}):
            measured = next(x for x in rows if x["stage"] == stage and x["size"] == size and x["ranks"] == str(r))
            program = float(measured["program_s"] or measured["wall_s"])
            predicted = sum(model(unit, d, r, HERE).values())
            # The programs' start-up and input reading are not in the model: add the 1-rank remainder.
            one = next(x for x in rows if x["stage"] == stage and x["size"] == size and x["ranks"] == "1")
            rest = float(one["program_s"] or one["wall_s"]) - sum(model(unit, d, 1, HERE).values())
            predicted += max(0.0, rest)
            result.append((r, f"{stage} {size}", predicted, program))
            print(f"{stage:<12}{r:>6}{predicted:>13.1f}{program:>12.1f}{predicted / program:>8.2f}")
    # The paper's dataset: 34,435 particles x 25 tilts, one refinement iteration (C1, box 128 and 256).
    print("\nprojected: the paper's dataset (860,875 projections), one refinement iteration, cluster nodes")
    print(f"{'box':>5}{'ranks':>7}{'iteration s':>13}{'of which comm s':>17}{'efficiency vs 32':>18}")
    for box in (128, 256):
        paper = Dataset(projections=860_875, box=box, sym_ops=1, tilts=25)
        base = None
        for r in (32, 64, 512):
            stages_t = refine_model(unit, paper, r, CLUSTER)
            no_comm = refine_model(unit, paper, r, replace(CLUSTER, bandwidth_Bps=1e30, latency_s=0.0))
            total = sum(stages_t.values())
            comm = total - sum(no_comm.values())
            base = base or total * 32
            result.append((r, f"refine paper box {box}", total, ""))
            print(f"{box:>5}{r:>7}{total:>13.1f}{comm:>17.2f}{base / (total * r):>18.0%}")
    with open(f"{out}/scaling.csv", "w") as f:
        f.write("ranks,stage,predicted_s,measured_s\n")
        for r, stage, p, m in result:
            f.write(f"{r},{stage},{p:.2f},{m if m == '' else f'{m:.2f}'}\n")
    print(f"\nwrote {out}/scaling.csv")


if __name__ == "__main__":
    main()
