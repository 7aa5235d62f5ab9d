#!/usr/bin/env python3
"""Tests of the SerialEM bridge acquisition/serialem/bisect_serialem.py.

The bridge runs as SerialEM would run it, but with the fake `serialem` module
of tests/acquisition/fake_serialem, and talks to the tracker named by the
environment variable BISECT_TRACK (a command line; default: the stand-in
tests/acquisition/fake_tracker.py). For a real tracker, BISECT_PROJECT may
name a planned project file (the test works on a copy of it) and
FAKE_SERIALEM_IMAGE_SIZE (e.g. 1024x1024) the image size of its plan.

Between the bridge and the tracker this file runs itself as a proxy
(--proxy LOG -- CMD...) that records every line in both directions, so the
events are checked as they were really sent.

    /usr/bin/python3 tests/acquisition/test_bridge.py            # exit code 0 = pass
    BISECT_TRACK="build/bisect-track" BISECT_PROJECT=p.h5 /usr/bin/python3 tests/acquisition/test_bridge.py
"""
import importlib.util
import json
import os
import shlex
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BRIDGE = os.path.join(ROOT, "acquisition", "serialem", "bisect_serialem.py")
FAKE_SERIALEM_DIR = os.path.join(HERE, "fake_serialem")
FAKE_TRACKER = os.path.join(HERE, "fake_tracker.py")

FAKE_TILT_ERROR_DEG = 0.02        # fake SerialEM's default stage reading error
# The fake camera's image size; with a real tracker, make it the size in the plan.
FAKE_IMAGE_SIZE = tuple(int(v) for v in
                        os.environ.get("FAKE_SERIALEM_IMAGE_SIZE", "256x256").lower().split("x"))
IMAGING_CALLS = {"View", "Search", "Trial", "Focus", "Preview", "Record", "AutoFocus", "G"}
IMAGING_ACTIONS = {"track", "focus", "record"}

# The protocol table is the fake tracker's: one statement of docs/tracker-protocol.md for both.
sys.path.insert(0, HERE)
from fake_tracker import EVENTS, NUMBER  # noqa: E402

ANSWER = {"tilt": "tilted", "track": "tracking_image", "focus": "focus", "record": "roi_image"}


# ----------------------------------------------------------------------------
# proxy mode: python3 test_bridge.py --proxy LOG -- CMD ARGS...
# ----------------------------------------------------------------------------

def proxy_main(argv):
    log_path = argv[argv.index("--proxy") + 1]
    cmd = argv[argv.index("--") + 1:]
    child = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             universal_newlines=True, bufsize=1)
    with open(log_path, "a") as log:
        for line in sys.stdin:
            log.write(json.dumps({"dir": "event", "line": line.rstrip("\n")}) + "\n")
            log.flush()
            child.stdin.write(line)
            child.stdin.flush()
            reply = child.stdout.readline()
            if not reply:
                log.write(json.dumps({"dir": "eof"}) + "\n")
                break
            log.write(json.dumps({"dir": "action", "line": reply.rstrip("\n")}) + "\n")
            log.flush()
            sys.stdout.write(reply)
            sys.stdout.flush()
    child.stdin.close()
    return child.wait()


# ----------------------------------------------------------------------------
# running the bridge
# ----------------------------------------------------------------------------

def tracker_command():
    return os.environ.get("BISECT_TRACK") or "%s %s" % (shlex.quote(sys.executable),
                                                        shlex.quote(FAKE_TRACKER))


class Run(object):
    """One run of the bridge: exit code, SerialEM calls, the lines exchanged."""

    def __init__(self, tmp, extra_env=None):
        self.tmp = tmp
        self.data_dir = os.path.join(tmp, "data")
        serialem_log = os.path.join(tmp, "serialem_calls.jsonl")
        wire_log = os.path.join(tmp, "wire.jsonl")
        project = os.path.join(tmp, "project.h5")
        if os.environ.get("BISECT_PROJECT"):
            shutil.copy(os.environ["BISECT_PROJECT"], project)
        proxy = "%s %s --proxy %s -- %s" % (shlex.quote(sys.executable), shlex.quote(__file__),
                                            shlex.quote(wire_log), tracker_command())
        env = dict(os.environ)
        env.update({"PYTHONPATH": FAKE_SERIALEM_DIR, "FAKE_SERIALEM_LOG": serialem_log,
                    "BISECT_TRACK": proxy, "BISECT_PROJECT": project,
                    "BISECT_DATA_DIR": self.data_dir,
                    "FAKE_SERIALEM_IMAGE_SIZE": "%dx%d" % FAKE_IMAGE_SIZE})
        env.update(extra_env or {})
        done = subprocess.run([sys.executable, BRIDGE], env=env, cwd=tmp, timeout=600,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True)
        self.returncode, self.stdout, self.stderr = done.returncode, done.stdout, done.stderr
        self.calls = read_jsonl(serialem_log)
        self.wire = read_jsonl(wire_log)
        self.events = [json.loads(w["line"]) for w in self.wire if w["dir"] == "event"]
        self.actions = [json.loads(w["line"]) for w in self.wire if w["dir"] == "action"]
        self.initial_is = self.calls[0]["state"]["is_units"]
        self.final_state = self.calls[-1]["state"] if self.calls[-1]["call"] == "__exit__" else None

    def named(self, *names):
        return [c for c in self.calls if c["call"] in names]

    def describe(self):
        return "exit %s\nstdout:\n%s\nstderr:\n%s\nechoes:\n%s" % (
            self.returncode, self.stdout, self.stderr,
            "\n".join(" ".join(map(str, c["args"])) for c in self.named("Echo")))


def read_jsonl(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def read_mrc(path):
    with open(path, "rb") as f:
        data = f.read()
    nx, ny, nz, mode = struct.unpack("<4i", data[:16])
    nsymbt = struct.unpack("<i", data[92:96])[0]
    return {"nx": nx, "ny": ny, "nz": nz, "mode": mode, "size": len(data),
            "pixel_A": struct.unpack("<f", data[40:44])[0] / nx,
            "stats": struct.unpack("<3f", data[76:88]), "map": data[208:212],
            "stamp": data[212:214], "data": data[1024 + nsymbt:]}


def check_event(test, event):
    """One event line: the protocol's fields, types, and nothing else."""
    test.assertIsInstance(event, dict)
    kind = event.get("event")
    test.assertIn(kind, EVENTS, "unknown event %r" % (event,))
    test.assertIsInstance(event.get("time_s"), NUMBER, "time_s missing: %r" % (event,))
    test.assertGreater(event["time_s"], 1.5e8, "time_s is not seconds since 2020: %r" % (event,))
    required, optional = EVENTS[kind]
    for field in required:
        test.assertIn(field, event, "%s without %s" % (kind, field))
    for field, value in event.items():
        if field in ("event", "time_s"):
            continue
        kind_of = required.get(field) or optional.get(field)
        test.assertIsNotNone(kind_of, "%s has an unknown field %s" % (kind, field))
        test.assertIsInstance(value, kind_of, "%s.%s = %r" % (kind, field, value))
        test.assertNotIsInstance(value, bool, "%s.%s = %r" % (kind, field, value))
    if kind in ("tracking_image", "roi_image"):
        test.assertTrue("image" in event or "shift_nm" in event, "%s without image" % kind)


def imaging_actions_with_tilt(actions):
    """The track/focus/record actions in order, each with the tilt action it follows."""
    out, tilt = [], None
    for action in actions:
        if action.get("action") == "tilt":
            tilt = action
        elif action.get("action") in IMAGING_ACTIONS:
            out.append((action, tilt))
    return out


def close(a, b, tol=1e-6):
    return abs(float(a) - float(b)) <= tol


# ----------------------------------------------------------------------------
# a complete run
# ----------------------------------------------------------------------------

class CompleteRunTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmpdir = tempfile.mkdtemp(prefix="bisect_bridge_")
        cls.br = Run(cls.tmpdir)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmpdir, ignore_errors=True)

    def test_the_run_ends_with_done_and_exit_code_0(self):
        self.assertEqual(self.br.returncode, 0, self.br.describe())
        self.assertEqual(self.br.actions[-1].get("action"), "done", self.br.describe())
        self.assertEqual(len(self.br.events), len(self.br.actions))
        self.assertIsNotNone(self.br.final_state, "the fake serialem did not exit normally")

    def test_every_event_line_is_protocol_json_answering_the_last_action(self):
        lines = [w["line"] for w in self.br.wire if w["dir"] == "event"]
        self.assertGreater(len(lines), 3)
        for line in lines:
            self.assertEqual(line, line.strip())
            check_event(self, json.loads(line))
        self.assertEqual(self.br.events[0]["event"], "begin")
        for previous, event in zip(self.br.actions, self.br.events[1:]):
            self.assertEqual(event["event"], ANSWER[previous["action"]], (previous, event))
            if previous["action"] == "track":
                self.assertEqual(event["mag"], previous["mag"])
            if previous["action"] == "record":
                self.assertEqual(event["roi"], previous["roi"])
                self.assertIn("mean_counts", event)
                self.assertIn("dose_e_per_A2", event)
                self.assertIn("frame_path", event)
            if previous["action"] == "tilt":
                self.assertTrue(close(event["angle_deg"], previous["angle_deg"] + FAKE_TILT_ERROR_DEG, 1e-3),
                                (previous, event))
            if previous["action"] == "focus":
                self.assertIn("measured_defocus_um", event)
                self.assertEqual(event.get("fail_code"), 0)
        times = [e["time_s"] for e in self.br.events]
        self.assertEqual(times, sorted(times))

    def test_images_sent_are_readable_mrc_files(self):
        sent = [e for e in self.br.events if "image" in e]
        self.assertTrue(sent)
        for event in sent:
            self.assertTrue(os.path.isabs(event["image"]), event)
            head = read_mrc(event["image"])
            self.assertEqual((head["nx"], head["ny"], head["nz"]), FAKE_IMAGE_SIZE + (1,))
            self.assertEqual(head["mode"], 2)
            self.assertEqual(head["size"], 1024 + FAKE_IMAGE_SIZE[0] * FAKE_IMAGE_SIZE[1] * 4)
            self.assertEqual(head["map"], b"MAP ")
            self.assertEqual(head["stamp"], b"\x44\x44")
            self.assertGreater(head["pixel_A"], 1.0)       # from ImageProperties, not the default

    def test_each_imaging_call_answers_one_imaging_action(self):
        calls = self.br.named(*IMAGING_CALLS)
        actions = imaging_actions_with_tilt(self.br.actions)
        self.assertEqual(len(calls), len(actions))
        for call, (action, _) in zip(calls, actions):
            expected = {"track": {"low": "View", "high": "Trial"}.get(action.get("mag")),
                        "focus": "AutoFocus", "record": "Record"}[action["action"]]
            self.assertEqual(call["call"], expected, (call, action))

    def test_tilt_to_the_commanded_angle_before_any_imaging_at_that_tilt(self):
        tilts = [a for a in self.br.actions if a["action"] == "tilt"]
        self.assertGreaterEqual(len(tilts), 2)
        # The TiltTo calls made for each tilt action, split at each ReportTiltAngle.
        groups, current = [], []
        for call in self.br.calls:
            if call["call"] == "TiltTo":
                current.append(call["args"][0])
            elif call["call"] == "ReportTiltAngle":
                groups.append(current)
                current = []
        self.assertEqual(len(groups), len(tilts))
        for action, group in zip(tilts, groups):
            angle = action["angle_deg"]
            if action.get("branch", 0) < 0:
                self.assertEqual(len(group), 2, (action, group))
                self.assertTrue(close(group[0], angle - 3.0), (action, group))
                self.assertTrue(close(group[1], angle), (action, group))
            else:
                self.assertEqual(len(group), 1, (action, group))
                self.assertTrue(close(group[0], angle), (action, group))
        # Every image, the Records included, is taken after tilting to its tilt.
        last_tilt_to, imaging = None, []
        for call in self.br.calls:
            if call["call"] == "TiltTo":
                last_tilt_to = call["args"][0]
            elif call["call"] in IMAGING_CALLS:
                imaging.append(last_tilt_to)
        for tilt_to, (action, tilt) in zip(imaging, imaging_actions_with_tilt(self.br.actions)):
            self.assertIsNotNone(tilt)
            self.assertTrue(close(tilt_to, tilt["angle_deg"]), (tilt_to, tilt, action))

    def test_image_shift_moves_sum_to_the_commanded_absolute_shift(self):
        total, at_imaging = [0.0, 0.0], []
        for call in self.br.calls:
            if call["call"] == "ImageShiftByMicrons":
                total[0] += call["args"][0]
                total[1] += call["args"][1]
            elif call["call"] == "SetImageShift":
                total = [0.0, 0.0]          # back to the start position
            elif call["call"] in IMAGING_CALLS:
                at_imaging.append(list(total))
        actions = imaging_actions_with_tilt(self.br.actions)
        self.assertEqual(len(at_imaging), len(actions))
        for shift, (action, _) in zip(at_imaging, actions):
            target = action["image_shift_um"]
            self.assertTrue(close(shift[0], target[0], 1e-9) and close(shift[1], target[1], 1e-9),
                            (shift, action))
        self.assertEqual(len(self.br.named("SetImageShift")), 1, "image shift set other than at the end")

    def test_defocus_set_to_the_commanded_focus_before_each_record(self):
        records = [a for a, _ in imaging_actions_with_tilt(self.br.actions) if a["action"] == "record"]
        self.assertTrue(records)
        focus, seen = None, []
        for call in self.br.calls:
            if call["call"] == "SetDefocus":
                focus = call["args"][0]
            elif call["call"] == "Record":
                seen.append(focus)
                focus = None                # each Record needs its own SetDefocus
        self.assertEqual(len(seen), len(records))
        for value, action in zip(seen, records):
            self.assertIsNotNone(value, action)
            self.assertTrue(close(value, action["focus_um"], 1e-9), (value, action))

    def test_one_record_and_one_save_per_record_action_into_the_roi_stack(self):
        records = [a for a in self.br.actions if a["action"] == "record"]
        names = [c["call"] for c in self.br.calls]
        self.assertEqual(names.count("Record"), len(records))
        self.assertEqual(names.count("Save"), len(records))
        # After each Record: open that ROI's stack, Save, CloseFile, before anything else is imaged.
        record_calls = [i for i, c in enumerate(self.br.calls) if c["call"] == "Record"]
        for index, action in zip(record_calls, records):
            following = []
            for call in self.br.calls[index + 1:]:
                if call["call"] in IMAGING_CALLS:
                    break
                following.append(call)
            sequence = [c["call"] for c in following if c["call"] in
                        ("OpenNewFile", "OpenOldFile", "Save", "CloseFile")]
            self.assertEqual(sequence[1:], ["Save", "CloseFile"], action)
            self.assertIn(sequence[0], ("OpenNewFile", "OpenOldFile"))
            opened = [c for c in following if c["call"] in ("OpenNewFile", "OpenOldFile")][0]
            self.assertEqual(os.path.basename(opened["args"][0]), action["frame_name"] + ".mrc")
        frame_names = [c["args"][-1] for c in self.br.named("SetFrameBaseName")]
        self.assertEqual(frame_names, [a["frame_name"] for a in records])
        sections = self.br.final_state["sections"]
        per_roi = {}
        for action in records:
            per_roi[action["frame_name"]] = per_roi.get(action["frame_name"], 0) + 1
        self.assertEqual({os.path.basename(k)[:-4]: v for k, v in sections.items()}, per_roi)

    def test_image_shift_and_focus_are_restored_at_the_end(self):
        last = self.br.named("SetImageShift", "ImageShiftByMicrons")[-1]
        self.assertEqual(last["call"], "SetImageShift")
        self.assertEqual(last["args"], self.br.initial_is)
        self.assertEqual(self.br.final_state["is_units"], self.br.initial_is)
        self.assertTrue(close(self.br.final_state["defocus"], self.br.calls[0]["state"]["defocus"]))
        self.assertEqual(self.br.final_state["open_file"], None)
        self.assertEqual(self.br.final_state["try_depth"], 0, "StartTry without EndTry")
        self.assertTrue(any("finished" in " ".join(c["args"]) for c in self.br.named("Echo")))


# ----------------------------------------------------------------------------
# stopping
# ----------------------------------------------------------------------------

class StopTest(unittest.TestCase):

    def setUp(self):
        self.tmpdir = tempfile.mkdtemp(prefix="bisect_bridge_stop_")

    def tearDown(self):
        shutil.rmtree(self.tmpdir, ignore_errors=True)

    def assert_stopped_cleanly(self, run):
        self.assertEqual(run.returncode, 1, run.describe())
        self.assertIsNotNone(run.final_state, "the bridge did not exit normally:\n" + run.describe())
        last = run.named("SetImageShift", "ImageShiftByMicrons")[-1]
        self.assertEqual(last["call"], "SetImageShift")
        self.assertEqual(last["args"], run.initial_is)
        self.assertEqual(run.final_state["is_units"], run.initial_is)
        self.assertEqual(run.final_state["try_depth"], 0)
        self.assertTrue(run.named("ImageShiftByMicrons"), "the stop should come after image shifts")

    def test_an_error_reply_stops_the_bridge_with_image_shift_restored(self):
        # From the 2nd tilt on the stage "reports" 5 degrees off: the tracker refuses it.
        run = Run(self.tmpdir, {"FAKE_SERIALEM_BAD_TILT_FROM": "2"})
        self.assert_stopped_cleanly(run)
        self.assertIn("error", run.actions[-1], run.describe())
        error = run.actions[-1]["error"]
        self.assertEqual(run.events[-1]["event"], "tilted")
        echoes = [" ".join(c["args"]) for c in run.named("Echo")]
        self.assertTrue(any(error in e for e in echoes), echoes)
        # Nothing is imaged after the refused event.
        refused_at = len(run.named("ReportTiltAngle"))
        self.assertEqual(refused_at, 2)
        after = run.calls[[i for i, c in enumerate(run.calls) if c["call"] == "ReportTiltAngle"][-1]:]
        self.assertFalse([c for c in after if c["call"] in IMAGING_CALLS or c["call"] == "TiltTo"])
        for line in (w["line"] for w in run.wire if w["dir"] == "event"):
            check_event(self, json.loads(line))

    def test_a_serialem_error_stops_the_bridge_with_image_shift_restored(self):
        run = Run(self.tmpdir, {"FAKE_SERIALEM_FAIL_ON": "Record:2"})
        self.assert_stopped_cleanly(run)
        self.assertEqual(len(run.named("Record")), 2)
        self.assertEqual(run.actions[-1]["action"], "record")      # never answered
        self.assertEqual(len(run.named("Save")), 1)
        echoes = [" ".join(c["args"]) for c in run.named("Echo")]
        self.assertTrue(any("injected" in e for e in echoes), echoes)


# ----------------------------------------------------------------------------
# the MRC writer
# ----------------------------------------------------------------------------

def load_bridge_module():
    sys.path.insert(0, FAKE_SERIALEM_DIR)
    os.environ.pop("FAKE_SERIALEM_LOG", None)
    spec = importlib.util.spec_from_file_location("bisect_serialem", BRIDGE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class MrcWriterTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.bridge = load_bridge_module()
        cls.tmpdir = tempfile.mkdtemp(prefix="bisect_mrc_")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmpdir, ignore_errors=True)

    def image(self, typecode, nx=5, ny=3):
        import array
        values = array.array(typecode, [(x + 10 * y) % 251 for y in range(ny) for x in range(nx)])
        return memoryview(values).cast("B").cast(typecode, [ny, nx])

    def test_rows_are_flipped_like_serialem_and_types_kept(self):
        for typecode, mode, fmt in (("f", 2, "<f"), ("h", 1, "<h"), ("H", 6, "<H"), ("B", 0, "<B")):
            path = os.path.join(self.tmpdir, "t_%s.mrc" % typecode)
            self.bridge.write_mrc(path, self.image(typecode), pixel_A=2.5, use_numpy=False)
            head = read_mrc(path)
            self.assertEqual((head["nx"], head["ny"], head["nz"], head["mode"]), (5, 3, 1, mode))
            self.assertAlmostEqual(head["pixel_A"], 2.5, places=5)
            values = list(struct.unpack("<%d%s" % (15, fmt[1]), head["data"]))
            # File row 0 is the buffer's last row (y = 2): 20, 21, ...
            self.assertEqual(values[:5], [20, 21, 22, 23, 24])
            self.assertEqual(values[10:], [0, 1, 2, 3, 4])
            self.assertEqual(head["stats"][:2], (0.0, 24.0))
            self.assertAlmostEqual(head["stats"][2], 12.0, places=4)

    def test_unflipped_when_asked(self):
        path = os.path.join(self.tmpdir, "noflip.mrc")
        self.bridge.write_mrc(path, self.image("f"), flip_y=False, use_numpy=False)
        values = struct.unpack("<15f", read_mrc(path)["data"])
        self.assertEqual(values[:5], (0.0, 1.0, 2.0, 3.0, 4.0))

    def test_numpy_and_standard_library_write_the_same_pixels(self):
        if self.bridge.numpy is None:
            self.skipTest("numpy not installed")
        import array
        nx, ny = 64, 48
        values = array.array("f", [((x * 7 + y * 13) % 97) * 0.5 for y in range(ny) for x in range(nx)])
        for typecode in ("f", "H"):
            data = values if typecode == "f" else array.array("H", [int(v) for v in values])
            view = memoryview(data).cast("B").cast(typecode, [ny, nx])
            a = os.path.join(self.tmpdir, "np_%s.mrc" % typecode)
            b = os.path.join(self.tmpdir, "std_%s.mrc" % typecode)
            self.bridge.write_mrc(a, view, use_numpy=True)
            self.bridge.write_mrc(b, view, use_numpy=False)
            ha, hb = read_mrc(a), read_mrc(b)
            self.assertEqual(ha["data"], hb["data"])
            self.assertEqual(ha["mode"], hb["mode"])
            for x, y in zip(ha["stats"], hb["stats"]):
                self.assertAlmostEqual(x, y, places=3)

    def test_a_fake_buffer_image_round_trips(self):
        sem = self.bridge.sem
        sem.View()
        path = os.path.join(self.tmpdir, "view.mrc")
        self.bridge.write_mrc(path, sem.bufferImage("A"), use_numpy=False)
        head = read_mrc(path)
        self.assertEqual((head["nx"], head["ny"], head["mode"]), FAKE_IMAGE_SIZE + (2,))
        with self.assertRaises(sem.SEMerror):
            sem.bufferImage("Z")


if __name__ == "__main__":
    if "--proxy" in sys.argv:
        sys.exit(proxy_main(sys.argv))
    print("tracker: %s" % tracker_command())
    result = unittest.main(exit=False, verbosity=2).result
    sys.exit(0 if result.wasSuccessful() else 1)
