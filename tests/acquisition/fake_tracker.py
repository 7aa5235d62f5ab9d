#!/usr/bin/env python3
"""A stand-in for `bisect-track serve -p PROJECT` (docs/tracker-protocol.md).

It runs a fixed little plan: tilts 0, +3, -3 (branches 0, +1, -1); at each tilt
one low-mag and one high-mag tracking image, one autofocus, then Records of
ROIs "001" and "002"; then `done`. It checks every event as strictly as the
real tracker should: a JSON object, the event that answers the last action,
the protocol's fields with the right types and no others, a readable MRC
file, a tilt reading within MAX_TILT_ERROR_DEG. A bad event gets
{"error": "..."} and leaves the state unchanged, as the protocol says.

Usage: fake_tracker.py serve -p PROJECT
"""
import json
import math
import os
import struct
import sys

MAX_TILT_ERROR_DEG = 1.0
TILTS = [(0.0, 0), (3.0, +1), (-3.0, -1)]
ROIS = [("001", [0.8, -1.2]), ("002", [-1.1, 0.6])]
FOCUS_AREA_UM = [2.0, 0.0]
TARGET_DEFOCUS_UM = -3.0

NUMBER = (int, float)
EVENTS = {  # event: (required fields, optional fields) besides "event" and "time_s"
    "begin": ({}, {}),
    "tilted": ({"angle_deg": NUMBER}, {}),
    "tracking_image": ({"mag": str}, {"image": str, "shift_nm": list, "cc": NUMBER, "psr": NUMBER}),
    "focus": ({"focus_um": NUMBER}, {"measured_defocus_um": NUMBER, "fail_code": int}),
    "roi_image": ({"roi": str}, {"image": str, "shift_nm": list, "cc": NUMBER, "psr": NUMBER,
                                 "mean_counts": NUMBER, "dose_e_per_A2": NUMBER, "frame_path": str,
                                 "num_frames": int, "ctf_defocus_um": NUMBER}),
}


class Refused(Exception):
    pass


def check_mrc(path):
    if not os.path.isabs(path):
        raise Refused("image %r: expected an absolute path" % path)
    try:
        with open(path, "rb") as f:
            head = f.read(1024)
        size = os.path.getsize(path)
    except OSError as e:
        raise Refused("image %r: cannot read (%s)" % (path, e))
    if len(head) < 1024:
        raise Refused("image %r: shorter than an MRC header" % path)
    nx, ny, nz, mode = struct.unpack("<4i", head[:16])
    next_bytes = struct.unpack("<i", head[92:96])[0]
    bytes_per = {0: 1, 1: 2, 2: 4, 6: 2, 12: 2}.get(mode)
    if bytes_per is None:
        raise Refused("image %r: mode %d, expected 0, 1, 2, 6 or 12" % (path, mode))
    if nx <= 0 or ny <= 0 or nz != 1:
        raise Refused("image %r: size %dx%dx%d, expected one 2-D image" % (path, nx, ny, nz))
    if size != 1024 + next_bytes + nx * ny * bytes_per:
        raise Refused("image %r: %d bytes, expected %d" % (path, size, 1024 + next_bytes + nx * ny * bytes_per))


class Plan(object):
    def __init__(self):
        self.pending = None      # the action waiting for its event
        self.steps = self.make_steps()
        self.position = -1
        self.focus_um = None

    def make_steps(self):
        steps = []
        for index, (angle, branch) in enumerate(TILTS):
            steps.append({"action": "tilt", "angle_deg": angle, "tilt_index": index, "branch": branch})
            for mag, shift in (("low", [0.10 + 0.01 * index, -0.20]), ("high", [0.12 + 0.01 * index, -0.18])):
                steps.append({"action": "track", "mag": mag, "image_shift_um": shift, "iteration": 1})
            steps.append({"action": "focus", "image_shift_um": FOCUS_AREA_UM})
            for roi, shift in ROIS:
                y = shift[1] * math.cos(math.radians(angle)) + 0.01 * index
                steps.append({"action": "record", "roi": roi, "image_shift_um": [shift[0], y],
                              "focus_um": None, "target_defocus_um": TARGET_DEFOCUS_UM,
                              "frame_name": "bisect_roi%s" % roi})
        steps.append({"action": "done", "summary": {"tilts": len(TILTS),
                                                    "records": len(TILTS) * len(ROIS)}})
        return steps

    def next_action(self):
        self.position += 1
        action = dict(self.steps[self.position])
        if action["action"] == "record":
            # Defocus offset per ROI from the last autofocus (any value works here).
            action["focus_um"] = round(self.focus_um + (0.25 if action["roi"] == "001" else -0.25), 4)
        return action

    def check(self, event):
        if not isinstance(event, dict):
            raise Refused("event: expected a JSON object")
        kind = event.get("event")
        if kind not in EVENTS:
            raise Refused("event %r: expected one of %s" % (kind, ", ".join(sorted(EVENTS))))
        required, optional = EVENTS[kind]
        if "time_s" in event and not isinstance(event["time_s"], NUMBER):
            raise Refused("time_s %r: expected a number" % (event["time_s"],))
        for field, kind_of in required.items():
            if field not in event:
                raise Refused("%s: field %s missing" % (kind, field))
        for field, value in event.items():
            if field in ("event", "time_s"):
                continue
            kind_of = required.get(field) or optional.get(field)
            if kind_of is None:
                raise Refused("%s: unknown field %s" % (kind, field))
            if not isinstance(value, kind_of) or isinstance(value, bool):
                raise Refused("%s: field %s = %r has the wrong type" % (kind, field, value))
        if kind == "begin":
            return
        action = self.pending
        if action is None:
            raise Refused("event %s: expected begin first" % kind)
        expected = {"tilt": "tilted", "track": "tracking_image", "focus": "focus",
                    "record": "roi_image", "done": None}[action["action"]]
        if kind != expected:
            raise Refused("event %s: expected %s (answer to %s)" % (kind, expected, action["action"]))
        if kind == "tilted" and abs(event["angle_deg"] - action["angle_deg"]) > MAX_TILT_ERROR_DEG:
            raise Refused("angle_deg %.3f: expected %.3f within %.1f" % (
                event["angle_deg"], action["angle_deg"], MAX_TILT_ERROR_DEG))
        if kind == "tracking_image" and event["mag"] != action["mag"]:
            raise Refused("mag %r: expected %r" % (event["mag"], action["mag"]))
        if kind == "roi_image" and event["roi"] != action["roi"]:
            raise Refused("roi %r: expected %r" % (event["roi"], action["roi"]))
        if kind in ("tracking_image", "roi_image"):
            if "image" in event:
                check_mrc(event["image"])
            elif not ("shift_nm" in event and len(event["shift_nm"]) == 2):
                raise Refused("%s: expected image or shift_nm [x, y]" % kind)

    def answer(self, event):
        self.check(event)
        if event["event"] == "begin":
            if self.pending is None:
                self.pending = self.next_action()
            return self.pending          # resumed: the unanswered action again
        if event["event"] == "focus":
            self.focus_um = event["focus_um"]
        self.pending = self.next_action()
        return self.pending


def main(argv):
    if len(argv) != 4 or argv[1] != "serve" or argv[2] != "-p":
        sys.stderr.write("usage: fake_tracker.py serve -p PROJECT\n")
        return 2
    plan = Plan()
    for line in sys.stdin:
        try:
            try:
                event = json.loads(line)
            except ValueError as e:
                raise Refused("not JSON: %s" % e)
            reply = plan.answer(event)
        except Refused as e:
            reply = {"error": str(e)}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
