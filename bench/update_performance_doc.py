#!/usr/bin/python3
"""Rewrites the measured tables of docs/performance.md from a bench/run_all.sh output folder.

Only text between marker pairs `<!-- bench:NAME:begin -->` / `<!-- bench:NAME:end -->` changes;
the prose around them is left alone. NAME is one of
  kernels  OUT/kernels.json (Google Benchmark JSON): rate per kernel, its bound and the ratio
  stages   OUT/stages/stages.csv and efficiency.csv: wall time and peak RSS per stage, size, ranks
  scaling  OUT/scaling.csv (ranks,stage,predicted_s,measured_s), written by the scaling model;
           when the file is absent the block is left as it is
  relion   OUT/relion_reconstruct.log, OUT/relion_refine.log: the tables the RELION scripts print
A marker pair missing from the document is reported and skipped.

  bench/update_performance_doc.py OUT_DIR [--doc docs/performance.md]
"""
import argparse
import csv
import datetime
import json
import os
import platform
import re
import sys


def marker_re(name):
    return re.compile(r"(<!-- bench:%s:begin -->\n)(.*?)(<!-- bench:%s:end -->)" % (name, name), re.S)


def replace_block(doc, name, body):
    rx = marker_re(name)
    if not rx.search(doc):
        print(f"update_performance_doc: no bench:{name} markers in the document, skipped", file=sys.stderr)
        return doc
    return rx.sub(lambda m: m.group(1) + body.rstrip("\n") + "\n" + m.group(3), doc, count=1)


def machine_line(out):
    """One italic line: date, machine, and what run_all.sh noted (commit, quick or full run)."""
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    meta = os.path.join(out, "meta.txt")
    extra = open(meta).read().strip().rstrip(",") if os.path.exists(meta) else ""
    return f"_Measured {datetime.date.today().isoformat()}, {os.cpu_count()} × {cpu}" + (f", {extra}" if extra else "") + "._"


# ---- kernels ---------------------------------------------------------------------------------
def load_benchmarks(path):
    """run_name -> the median aggregate (or the single run when there are no repetitions)."""
    runs = {}
    for b in json.load(open(path))["benchmarks"]:
        name = b.get("run_name", b["name"])
        if b.get("run_type") == "aggregate":
            if b.get("aggregate_name") == "median":
                runs[name] = b
        elif name not in runs or runs[name].get("run_type") != "aggregate":
            runs[name] = b
    return runs


def seconds(b):
    """CPU time per item: on a shared 2-core machine the thread's own time is steadier than the
    wall clock (Google Benchmark's items/s and bytes/s are per CPU second too)."""
    scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[b.get("time_unit", "ns")]
    return b["cpu_time"] * scale


def fmt_time(s):
    for unit, f in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if s >= f:
            return f"{s / f:.3g} {unit}"
    return f"{s / 1e-9:.3g} ns"


def fmt_rate(x):
    for unit, f in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if x >= f:
            return f"{x / f:.3g} {unit}"
    return f"{x:.3g}"


# What each kernel's row says, and how its bound is computed ("stream": bytes/item over the triad
# bandwidth; "fftw:NAME": the plain FFTW benchmark of the same size).
KERNELS = [
    ("BM_Fft2dR2C", "2D r2c FFT of a box (cspt plan cache, FFTW_ESTIMATE)", "fftw:BM_Fftw2dR2C_Measure"),
    ("BM_Fft3dC2RPadded", "3D c2r FFT of the padded grid (2·box)³ (cspt plan cache)", "fftw:BM_Fftw3dC2RPadded_Measure"),
    ("BM_InsertSlice", "slice insertion, insert_slice (pad 2)", "stream"),
    ("BM_BatchedInsert", "slice insertion, BatchedInserter (pad 2)", "stream"),
    ("BM_ProjectAt", "central-slice extraction, project_at (full disk, pad 2)", "stream"),
    ("BM_CtfHalfPlane", "CTF of a half plane", "stream"),
    ("BM_BandScore", "band_score, 300-8 Å band", "stream"),
    ("BM_ScoreEvaluation", "pose evaluation: project_at of the band + band_score", "stream"),
]


def kernels_table(out):
    path = os.path.join(out, "kernels.json")
    runs = load_benchmarks(path)
    reps = max((b.get("repetitions", 1) for b in runs.values()), default=1)
    lines = [machine_line(out) + f" One thread, CPU time; medians of {reps} repetitions.", ""]
    # The hardware bound.
    triad = runs.get("BM_StreamTriad")
    gather, scatter = runs.get("BM_RandomGather"), runs.get("BM_RandomScatterAdd")
    bw = triad["bytes_per_second"] if triad else None
    lines += ["| hardware bound | rate |", "|---|---|"]
    if triad:
        lines.append(f"| STREAM triad a = b + s·c, 3 × 512 MiB (12 B per element) | **{bw / 1e9:.2f} GB/s** |")
    if gather:
        lines.append(f"| random 16-byte gather over 1 GiB | {fmt_rate(gather['items_per_second'])} lines/s "
                     f"({gather['bytes_per_second'] / 1e9:.2f} GB/s of 64-byte lines) |")
    if scatter:
        lines.append(f"| random 16-byte scatter-add over 1 GiB | {fmt_rate(scatter['items_per_second'])} lines/s "
                     f"({scatter['bytes_per_second'] / 1e9:.2f} GB/s, line read + write-back) |")
    lines += ["", "| kernel | box | time per item | items/s | points/s | bytes touched per item | bound | "
              "time / bound |", "|---|---|---|---|---|---|---|---|"]
    for prefix, what, bound_kind in KERNELS:
        for name in sorted((n for n in runs if n.split("/")[0] == prefix), key=lambda n: int(n.split("/")[1])):
            b = runs[name]
            box = name.split("/")[1]
            t = seconds(b)
            pts = b.get("points_per_item")
            per_item = b.get("bytes_per_item")
            bound, ratio = "—", "—"
            if bound_kind == "stream" and bw and per_item:
                tb = per_item / bw
                bound = f"{fmt_time(tb)} (triad)"
                ratio = f"{t / tb:.1f}"
                # Scattered lines cannot stream: the random-line rate is the realistic floor.
                lpi = b.get("lines_per_item")
                rand = scatter if "Insert" in prefix else gather  # insertion writes back, extraction reads
                if lpi and rand:
                    bound += f"; {fmt_time(lpi / rand['items_per_second'])} (random lines)"
                    ratio += f"; {t / (lpi / rand['items_per_second']):.2f}"
            elif bound_kind and bound_kind.startswith("fftw:"):
                ref = runs.get(bound_kind[5:] + "/" + box)
                if ref:
                    bound = f"{fmt_time(seconds(ref))} (FFTW_MEASURE plan)"
                    ratio = f"{t / seconds(ref):.2f}"
            if per_item is None and "bytes_per_second" in b:
                per_item = b["bytes_per_second"] / b["items_per_second"]
            lines.append(f"| {what} | {box} | {fmt_time(t)} | {fmt_rate(b['items_per_second'])} | "
                         f"{fmt_rate(pts * b['items_per_second']) if pts else '—'} | "
                         f"{fmt_rate(per_item) + 'B' if per_item else '—'} | {bound} | {ratio} |")
    return "\n".join(lines) + "\n"


# ---- stages ----------------------------------------------------------------------------------
def stages_table(out):
    d = os.path.join(out, "stages")
    rows = list(csv.DictReader(open(os.path.join(d, "stages.csv"))))
    by = {(r["stage"], r["size"], int(r["ranks"])): r for r in rows}
    order = {"ctf": 0, "extract": 1, "refine": 2, "reconstruct": 3}
    sizes = {"S": 0, "M": 1, "L": 2}
    keys = sorted({(r["stage"], r["size"]) for r in rows}, key=lambda k: (sizes.get(k[1], 9), k[1], order.get(k[0], 9)))
    ranks = sorted({int(r["ranks"]) for r in rows})
    lines = [machine_line(out) + " `mpirun --oversubscribe -n N`, 1 thread per rank; wall time of "
             "the launcher, peak RSS of the largest rank, the programs' own stage times (1 rank).", ""]
    loads = [float(r["load_before"]) for r in rows if r.get("load_before")]
    if loads:
        lines[0] += f" Load average before the runs: {min(loads):.1f}-{max(loads):.1f}."
    head = "| stage | size | box | projections | " + " | ".join(f"{n} rank{'s' if n > 1 else ''} s" for n in ranks)
    head += " | " + " | ".join(f"efficiency 1→{n}, wall (CPU)" for n in ranks if n > 1)
    head += " | " + " | ".join(f"peak RSS MB, {n} rank{'s' if n > 1 else ''}" for n in ranks)
    # CPU time of the ranks over N x wall: below ~0.9 other jobs had the cores (or ranks waited).
    has_cpu = any(r.get("cpu_per_wall") for r in rows)
    if has_cpu:
        head += " | rank CPU / wall (" + ", ".join(str(n) for n in ranks) + ")"
    head += " | where the time goes (1 rank) |"
    lines += [head, "|" + "---|" * (head.count("|") - 1)]
    for stage, size in keys:
        r1 = by.get((stage, size, ranks[0]))
        ref = r1 or next(by[(stage, size, n)] for n in ranks if (stage, size, n) in by)
        cells = [stage, size, ref["box"] or "—", ref["n_projections"] or "—"]
        cells += [by[(stage, size, n)]["wall_s"] if (stage, size, n) in by else "—" for n in ranks]
        for n in ranks[1:]:
            if r1 and (stage, size, n) in by:
                rn = by[(stage, size, n)]
                e = float(r1["wall_s"]) / float(rn["wall_s"]) / n
                cell = f"{e * 100:.0f}%"
                if r1.get("cpu_s_max_rank") and rn.get("cpu_s_max_rank"):  # see bench/stages_csv.py
                    cell += f" ({float(r1['cpu_s_max_rank']) / float(rn['cpu_s_max_rank']) / n * 100:.0f}%)"
                cells.append(cell)
            else:
                cells.append("—")
        cells += [f"{float(by[(stage, size, n)]['peak_rss_mb']):.0f}" if (stage, size, n) in by else "—" for n in ranks]
        if has_cpu:
            cells.append(" / ".join(by[(stage, size, n)].get("cpu_per_wall") or "—" if (stage, size, n) in by else "—"
                                    for n in ranks))
        st = (r1 or ref)["stage_times_s"]
        cells.append(", ".join(f"{k} {float(v):.1f} s" for k, v in (p.split("=") for p in st.split(";") if p)) or "—")
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def scaling_table(out):
    path = os.path.join(out, "scaling.csv")
    if not os.path.exists(path):
        return None
    rows = list(csv.DictReader(open(path)))
    lines = ["| ranks | stage | predicted s | measured s | measured / predicted |", "|---|---|---|---|---|"]
    for r in rows:
        p = float(r["predicted_s"])
        if not r["measured_s"]:  # a projection beyond this machine: nothing to measure
            lines.append(f"| {r['ranks']} | {r['stage']} | {p:.2f} | — | — |")
            continue
        m = float(r["measured_s"])
        lines.append(f"| {r['ranks']} | {r['stage']} | {p:.2f} | {m:.2f} | {m / p:.2f} |" if p > 0 else
                     f"| {r['ranks']} | {r['stage']} | {p:.2f} | {m:.2f} | — |")
    return "\n".join(lines) + "\n"


def relion_block(out):
    parts = []
    for name, title in (("relion_reconstruct.log", "bench/reconstruct_vs_relion.sh"),
                        ("relion_refine.log", "bench/refine_vs_relion.sh")):
        path = os.path.join(out, name)
        if not os.path.exists(path):
            continue
        # The scripts' tables and their one-line conclusions, as they printed them.
        keep = [l.rstrip() for l in open(path) if l.startswith("|") or re.match(
            r"^(speed ratio|memory ratio|parallel efficiency|cspt stage times|cspt gold|per projection|projections:)", l)]
        if keep:
            parts.append(f"`{title}`:\n\n" + "\n".join(keep) + "\n")
    return "\n".join(parts) if parts else None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--doc", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs",
                                                  "performance.md"))
    a = ap.parse_args()
    doc = open(a.doc).read()
    if os.path.exists(os.path.join(a.out, "kernels.json")):
        doc = replace_block(doc, "kernels", kernels_table(a.out))
    if os.path.exists(os.path.join(a.out, "stages", "stages.csv")):
        doc = replace_block(doc, "stages", stages_table(a.out))
    for name, body in (("scaling", scaling_table(a.out)), ("relion", relion_block(a.out))):
        if body is not None:
            doc = replace_block(doc, name, body)
    open(a.doc, "w").write(doc)
    print(f"update_performance_doc: {os.path.normpath(a.doc)} updated from {a.out}")


if __name__ == "__main__":
    main()
