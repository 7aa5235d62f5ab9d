#!/usr/bin/python3
"""bisect-track under load: one real `bisect-track serve` process, thousands of events.

A simulated microscope answers every action the tracker sends with the event a microscope would
send (measured shift, cc and psr from the microscope side, so no image files), one event after
each action: closed loop, as the SerialEM bridge drives it. That is "full rate": the next event
leaves the moment the previous action arrives, with no microscope time in between. The protocol
is action -> event, so an open-loop burst (events pipelined without waiting) is not meaningful:
every event answers the action before it and cannot be written before that action is known.

Measured: the round trip of every event (write the line, read the action), p50 / p99 / max, and
events per second. Checked (exit 1 on any failure):
  - every line sent gets exactly one reply line, in order; nothing is left over at the end;
  - the project file's acquisition tables and event log hold every accepted event;
  - --kills K: serve is killed with SIGKILL K times in the middle of events and restarted; the
    restarted tracker answers `begin` with the pending action, an unacknowledged event is sent
    again when it was not committed, and the final project equals an uninterrupted run's;
  - --malformed: malformed lines interleaved with the load each get one {"error": ...} line naming
    the field, and the project file is byte-identical before and after each of them;
  - serve holds no socket file descriptors (/proc/PID/fd), at every check point.

Usage: /usr/bin/python3 bench/track_load.py --bisect build/bisect-track [--events 10000]
       [--kills 5] [--malformed] [--compare] [--json out.json] [--work DIR]
"""
import argparse
import hashlib
import json
import math
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time


# ---- the plan ----------------------------------------------------------------------------------

def dose_symmetric(step_deg, n_tilts):
    """0, +s, -s, -2s, +2s, +3s, -3s, ... (grouped dose-symmetric order), n_tilts angles."""
    angles, k, sign = [0.0], 1, 1
    while len(angles) < n_tilts:
        angles.append(round(sign * k * step_deg, 4))
        if len(angles) < n_tilts:
            angles.append(round(-sign * k * step_deg, 4))
        sign, k = -sign, k + 1
    return angles


def write_plan(path, events, lattice):
    """A plan whose acquisition answers at least `events` events: lattice x lattice ROIs and as
    many tilts over +-60 deg as that takes (each tilt: tilted, 2 + 2 tracking images, focus and
    one record per ROI; the simulated scope converges in two images per magnification)."""
    per_tilt = 6 + lattice * lattice
    n_tilts = max(1, math.ceil((events - 1) / per_tilt))
    step = 120.0 / max(1, n_tilts - 1) if n_tilts > 1 else 3.0
    angles = dose_symmetric(step, n_tilts)
    with open(path, "w") as f:
        f.write("name: load\n")
        f.write("scheme: {angles_deg: [%s]}\n" % ", ".join("%g" % a for a in angles))
        f.write("rois: {n: %d, m: %d, spacing_um: 2.5}\n" % (lattice, lattice))
        f.write("camera: {nx_px: 2048, ny_px: 2048}\n")
        f.write("limits: {max_tilt_error_deg: 0.5}\n")
    return n_tilts


# ---- the simulated microscope --------------------------------------------------------------------

class Scope:
    """Answers each action with the event a microscope would send. Deterministic: the answer is a
    function of the action and of the scope's clock, which advances only when an action is
    acknowledged, so a run killed and resumed sends exactly the events an uninterrupted run sends."""

    def __init__(self, seed=1):
        self.clock_s = 1.0e8   # seconds since 2020-01-01, as SerialEM's TimeStamp
        self.seed = seed

    def answer(self, a):
        kind = a["action"]
        rng = random.Random("%d %s" % (self.seed, json.dumps(a, sort_keys=True)))
        if kind == "begin":
            e = {"event": "begin"}
        elif kind == "tilt":
            self.clock_s += 4.0
            e = {"event": "tilted", "angle_deg": a["angle_deg"] + rng.gauss(0.0, 0.02)}
        elif kind == "track":
            self.clock_s += 2.0
            # a shift that shrinks as the tracker corrects it: converged at the second image
            scale = (180.0 if a["mag"] == "low" else 12.0) / a["iteration"] ** 2
            phi = rng.uniform(0.0, 2.0 * math.pi)
            e = {"event": "tracking_image", "mag": a["mag"],
                 "shift_nm": [scale * math.cos(phi), scale * math.sin(phi)],
                 "cc": rng.uniform(0.3, 0.5), "psr": rng.uniform(6.0, 12.0)}
        elif kind == "focus":
            self.clock_s += 3.0
            e = {"event": "focus", "focus_um": -3.0 + rng.gauss(0.0, 0.05),
                 "measured_defocus_um": -3.0 + rng.gauss(0.0, 0.05), "fail_code": 0}
        elif kind == "record":
            self.clock_s += 1.5
            e = {"event": "roi_image", "roi": a["roi"],
                 "shift_nm": [rng.gauss(0.0, 4.0), rng.gauss(0.0, 4.0)],
                 "cc": rng.uniform(0.2, 0.4), "psr": rng.uniform(5.0, 9.0),
                 "mean_counts": rng.uniform(900.0, 1100.0), "dose_e_per_A2": 3.0, "num_frames": 10,
                 "frame_path": "frames/%s.tif" % a["frame_name"],
                 "ctf_defocus_um": a["target_defocus_um"] + rng.gauss(0.0, 0.1)}
        else:
            return None
        e["time_s"] = round(self.clock_s, 3)
        return e


# ---- malformed messages ------------------------------------------------------------------------

def malformed_cases(pending, scope):
    """(name, line bytes, substrings the error must hold): a fixed set plus events that answer a
    different action than the pending one. None of them may change the project file."""
    valid = scope.answer(dict(pending)) if pending["action"] != "done" else {"event": "focus"}
    cases = [
        ("invalid JSON", b'{"event": "tilted", "angle_deg": }', ["event", "one JSON object per line"]),
        ("truncated line", json.dumps(valid).encode()[: len(json.dumps(valid)) // 2], ["one JSON object per line"]),
        ("binary garbage", bytes(range(256)).replace(b"\n", b"") + b"\xff\xfe\x00\x80", ["one JSON object per line"]),
        ("10 MB line", b'{"event": "tilted", "pad": "' + b"x" * (10 << 20) + b'"}', ["event", "bytes", "at most"]),
        ("not an object", b"[1, 2, 3]", ["a JSON object"]),
        ("NaN literal", b'{"event": "tilted", "angle_deg": NaN}', ["one JSON object per line"]),
        ("Infinity literal", b'{"event": "focus", "focus_um": Infinity}', ["one JSON object per line"]),
        ("number overflow", b'{"event": "focus", "focus_um": 1e999}', ["one JSON object per line"]),
        ("unknown event", b'{"event": "teleport", "angle_deg": 3}', ["event = 'teleport'", "one of begin"]),
        ("event name not text", b'{"event": 7}', ["event = 7", "one of begin"]),
        ("missing event", b'{"angle_deg": 3}', ["event = missing", "one of begin"]),
        ("deep nesting", b"[" * 100000 + b"]" * 100000, ["nested 100000 deep", "at most 16 deep"]),
    ]
    kind = pending["action"]
    other = {"tilt": b'{"event": "focus", "focus_um": -3.0}',
             "track": b'{"event": "tilted", "angle_deg": 0}',
             "focus": b'{"event": "roi_image", "roi": "001", "shift_nm": [0, 0], "cc": 0.3, "psr": 6}',
             "record": b'{"event": "tracking_image", "mag": "low", "shift_nm": [0, 0], "cc": 0.3, "psr": 6}'}
    if kind in other:
        cases.append(("answers a different action", other[kind], ["an answer to the pending action " + kind]))
    if kind == "tilt":
        e = dict(valid, angle_deg="%g" % valid["angle_deg"])
        cases.append(("string where a number", json.dumps(e).encode(), ["angle_deg", "a finite number"]))
        e = dict(valid, angle_deg=valid["angle_deg"] + 5.0)
        cases.append(("tilt out of range", json.dumps(e).encode(), ["angle_deg", "within 0.5 deg"]))
        e = dict(valid)
        del e["angle_deg"]
        cases.append(("missing field", json.dumps(e).encode(), ["angle_deg = missing"]))
    elif kind == "track":
        e = dict(valid, mag="high" if valid["mag"] == "low" else "low")
        cases.append(("wrong magnification", json.dumps(e).encode(), ["mag", "as the pending track action asked"]))
        cases.append(("shift not a pair", json.dumps(dict(valid, shift_nm=[1, "2"])).encode(), ["shift_nm", "[x, y] in nm"]))
        cases.append(("negative psr", json.dumps(dict(valid, psr=-1)).encode(), ["psr = -1", ">= 0"]))
        cases.append(("cc out of range", json.dumps(dict(valid, cc=7)).encode(), ["cc = 7", "[-1, 1]"]))
        e = dict(valid)
        del e["cc"]
        cases.append(("missing cc", json.dumps(e).encode(), ["cc = missing"]))
    elif kind == "focus":
        cases.append(("fail code not an integer", json.dumps(dict(valid, fail_code=2.5)).encode(),
                      ["fail_code = 2.5", "an integer"]))
        cases.append(("focus out of range", json.dumps(dict(valid, focus_um=-1e9)).encode(), ["focus_um", "within"]))
        cases.append(("time_s negative", json.dumps(dict(valid, time_s=-5)).encode(), ["time_s = -5", ">= 0"]))
    elif kind == "record":
        cases.append(("another ROI", json.dumps(dict(valid, roi="999")).encode(), ["roi = '999'"]))
        cases.append(("num_frames huge", json.dumps(dict(valid, num_frames=1e20)).encode(),
                      ["num_frames = 1e+20", "an integer"]))
        cases.append(("negative dose", json.dumps(dict(valid, dose_e_per_A2=-3)).encode(), ["dose_e_per_A2 = -3", ">= 0"]))
        cases.append(("roi not text", json.dumps(dict(valid, roi=1)).encode(), ["roi = 1", "a text value"]))
    return cases


# ---- the tracker process ----------------------------------------------------------------------

def socket_fds(pid):
    """The socket file descriptors a process holds (links 'socket:[inode]' in /proc/PID/fd)."""
    found = []
    try:
        for fd in os.listdir("/proc/%d/fd" % pid):
            try:
                target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
            except OSError:
                continue
            if target.startswith("socket:"):
                found.append((fd, target))
    except FileNotFoundError:
        pass
    return found


class Serve:
    def __init__(self, bisect, project):
        self.proc = subprocess.Popen([bisect, "serve", "-p", project], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def send(self, line):
        self.proc.stdin.write(line + b"\n")
        self.proc.stdin.flush()

    def reply(self):
        line = self.proc.stdout.readline()
        if not line:
            err = self.proc.stderr.read().decode(errors="replace")
            raise SystemExit("track_load: serve ended without answering (exit %s): %s" % (self.proc.wait(), err))
        return json.loads(line)

    def exchange(self, line):
        self.send(line)
        return self.reply()

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def close(self):
        """End of input: serve must exit 0 having written nothing more."""
        self.proc.stdin.close()
        rest = self.proc.stdout.read()
        code = self.proc.wait()
        if rest or code != 0:
            raise SystemExit("track_load: at the end serve exited %d with %d unread bytes" % (code, len(rest)))


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


# ---- one run -------------------------------------------------------------------------------------

def percentile(values, q):
    v = sorted(values)
    pos = q * (len(v) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (pos - lo) * (v[hi] - v[lo])


def run(args, project, kills, malformed, label):
    """Drives one acquisition to `done`. Returns figures and the counts of accepted events."""
    bisect = args.bisect
    serve = Serve(bisect, project)
    scope = Scope()
    counts = {"begin": 0, "tilted": 0, "tracking_image": 0, "focus": 0, "roi_image": 0}
    latencies_ms, refused, socket_checks = [], [], 0
    killer = random.Random(7)
    kill_at = set()
    pending = {"action": "begin"}
    n_planned = args.planned_events
    if kills:
        kill_at = set(killer.sample(range(10, max(11, n_planned - 10)), kills))
    malformed_every = max(1, n_planned // 12) if malformed else 0
    resent, committed_before_kill = 0, 0
    t_start = time.perf_counter()
    k = 0
    while pending["action"] != "done":
        if malformed_every and k % malformed_every == 5:
            throwaway = Scope()
            throwaway.clock_s = scope.clock_s
            for name, line, expect in malformed_cases(pending, throwaway):
                before = sha256(project)
                stat_before = os.stat(project)
                r = serve.exchange(line)
                if "error" not in r or len(r) != 1:
                    raise SystemExit("track_load: %s: not refused: %s" % (name, json.dumps(r)[:300]))
                missing = [s for s in expect if s not in r["error"]]
                if missing:
                    raise SystemExit("track_load: %s: the error %r lacks %r" % (name, r["error"][:300], missing))
                after = os.stat(project)
                if sha256(project) != before or after.st_ino != stat_before.st_ino:
                    raise SystemExit("track_load: %s changed the project file" % name)
                refused.append((name, r["error"]))
            # still the same pending action after all of them
            again = serve.exchange(b'{"event": "begin"}')
            if again != pending and pending["action"] != "begin":
                raise SystemExit("track_load: the pending action changed under malformed input")
        event = scope.answer(pending)
        line = json.dumps(event, separators=(",", ":")).encode()
        if k in kill_at:
            # kill -9 somewhere in the middle of handling this event (before, during or after the
            # atomic rewrite), restart, ask where we are
            serve.send(line)
            time.sleep(killer.uniform(0.0, 0.03))
            serve.kill()
            serve = Serve(bisect, project)
            a = serve.exchange(b'{"event": "begin"}')
            if a == pending:   # the event was not committed: send it again
                resent += 1
                a = serve.exchange(line)
            else:
                committed_before_kill += 1
            counts[event["event"]] += 1
            pending = a
            k += 1
            continue
        t0 = time.perf_counter()
        serve.send(line)
        a = serve.reply()
        latencies_ms.append(1e3 * (time.perf_counter() - t0))
        if "error" in a:
            raise SystemExit("track_load: event %d refused: %s (%s)" % (k, a["error"], line[:200]))
        counts[event["event"]] += 1
        pending = a
        k += 1
        if k % 500 == 0 or k == 1:
            socks = socket_fds(serve.proc.pid)
            socket_checks += 1
            if socks:
                raise SystemExit("track_load: serve holds sockets: %s" % socks)
        if args.progress and k % 1000 == 0:
            print("%s: %d events, p50 %.1f ms, last %.1f ms" % (label, k, percentile(latencies_ms, 0.5),
                                                                 latencies_ms[-1]), file=sys.stderr, flush=True)
    wall_s = time.perf_counter() - t_start
    serve.close()
    return {"events": k, "counts": counts, "latencies_ms": latencies_ms, "wall_s": wall_s,
            "refused": refused, "kills": len(kill_at), "resent_after_kill": resent,
            "committed_before_kill": committed_before_kill, "socket_checks": socket_checks}


# ---- what the project file holds -------------------------------------------------------------------

def stored_counts(project):
    """Rows per acquisition table and the begin / tilted lines of the event log."""
    header = subprocess.run(["h5dump", "-H", "-g", "/acquisition/tables", project], capture_output=True,
                            text=True, check=True).stdout
    rows = {}
    for name, dims in re.findall(r'DATASET "([^"]+)" \{.*?DATASPACE\s+SIMPLE \{ \( (\d+)', header, re.S):
        rows[name] = int(dims)
    log = subprocess.run(["h5dump", "-d", "/acquisition/events", project], capture_output=True, text=True,
                         check=True).stdout
    return {"tracking_image": rows.get("tracking", 0), "focus": rows.get("focus", 0),
            "roi_image": sum(v for n, v in rows.items() if n.startswith("roi_")),
            "tilted": len(re.findall(r"tilted to ", log)), "begin": len(re.findall(r"begin: ", log))}


def project_dump(project):
    """The project's content as h5dump prints it (no object times), for comparing two runs."""
    text = subprocess.run(["h5dump", project], capture_output=True, text=True, check=True).stdout
    return text.split("\n", 1)[1]   # the first line names the file


def check_stored(project, counts):
    stored = stored_counts(project)
    if stored != counts:
        raise SystemExit("track_load: the project holds %s, the load sent %s" % (stored, counts))
    return stored


# ---- main --------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bisect", required=True, help="the bisect-track executable")
    ap.add_argument("--events", type=int, default=10000, help="events to send, at least (default 10000)")
    ap.add_argument("--lattice", type=int, default=5, help="ROIs: lattice x lattice (default 5)")
    ap.add_argument("--kills", type=int, default=0, help="SIGKILL serve this many times during the load")
    ap.add_argument("--malformed", action="store_true", help="interleave malformed lines with the load")
    ap.add_argument("--compare", action="store_true",
                    help="also run the same acquisition clean (no kills, no malformed lines) and compare")
    ap.add_argument("--work", help="folder for the project files (default: a temporary one)")
    ap.add_argument("--json", help="write the figures here")
    ap.add_argument("--progress", action="store_true")
    args = ap.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="track_load.")
    os.makedirs(work, exist_ok=True)
    plan = os.path.join(work, "plan.yaml")
    n_tilts = write_plan(plan, args.events, args.lattice)
    args.planned_events = 1 + n_tilts * (6 + args.lattice ** 2)
    project = os.path.join(work, "load.h5")
    subprocess.run([args.bisect, "plan", "-c", plan, "-p", project, "--force"], check=True, capture_output=True)
    size_planned = os.path.getsize(project)

    result = run(args, project, args.kills, args.malformed, "load")
    stored = check_stored(project, result["counts"])
    lat = result["latencies_ms"]
    figures = {
        "events": result["events"], "rois": args.lattice ** 2, "tilts": n_tilts,
        "round_trip_ms": {"p50": percentile(lat, 0.5), "p99": percentile(lat, 0.99), "max": max(lat),
                          "first_100_p50": percentile(lat[:100], 0.5), "last_100_p50": percentile(lat[-100:], 0.5)},
        "events_per_s": result["events"] / result["wall_s"], "wall_s": result["wall_s"],
        "project_bytes": {"planned": size_planned, "final": os.path.getsize(project)},
        "stored": stored, "kills": result["kills"], "resent_after_kill": result["resent_after_kill"],
        "committed_before_kill": result["committed_before_kill"], "refused": len(result["refused"]),
        "socket_checks": result["socket_checks"],
    }
    if args.compare:
        clean = os.path.join(work, "clean.h5")
        subprocess.run([args.bisect, "plan", "-c", plan, "-p", clean, "--force"], check=True, capture_output=True)
        reference = run(args, clean, 0, False, "clean")
        check_stored(clean, reference["counts"])
        if project_dump(clean) != project_dump(project):
            raise SystemExit("track_load: the final project differs from the clean run's")
        figures["same_as_clean_run"] = True
    text = json.dumps(figures, indent=2)
    print(text)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")
    if args.malformed:
        seen = {}
        for name, message in result["refused"]:
            seen.setdefault(name, message)
        for name, message in seen.items():
            print("refused %-28s %s" % (name + ":", message[:160]), file=sys.stderr)


if __name__ == "__main__":
    main()
