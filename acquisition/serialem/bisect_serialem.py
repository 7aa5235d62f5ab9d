#!Python
# =============================================================================
# bisect_serialem.py - SerialEM bridge for the BISECT acquisition tracker
#
# Run this script from SerialEM (Script menu, Python). It does NOT decide
# anything itself: it starts the tracker program `bisect-track serve`, then
# repeats
#
#     1. read one ACTION from the tracker   (tilt / track / focus / record / done)
#     2. do it on the microscope           (SerialEM commands below)
#     3. send one EVENT back               (tilted / tracking_image / focus / roi_image)
#
# until the tracker says "done". The messages are single lines of JSON; the
# full description is docs/tracker-protocol.md in the cspt source tree.
#
# Before you start
#   * Run `bisect-track plan ...` for this stage position (makes PROJECT_FILE).
#   * The stage is at the stage position, eucentric, Low Dose on, and the
#     image shift is at the centre of the stage position (the script reads the
#     image shift at start and puts it back at the end, also after errors).
#   * In the Low Dose panel, set the Focus/Trial "position" offset to 0: the
#     tracker places the focus and tracking areas itself with image shift, so an
#     extra Low Dose offset would move them a second time.
#   * Set the autofocus target defocus in SerialEM's Focus panel.
#
# What the script leaves behind (in DATA_DIR)
#   <frame_name>.mrc      one tilt-series stack per ROI, saved by SerialEM (Save)
#   tracking/*.mrc        the tracking images, one file each, for the tracker
#   records/*.mrc         a single-image copy of every Record, for the tracker
#   bisect_bridge.log     every event sent and every action received
#   bisect_track_serve.log  messages of the tracker program
#
# If anything goes wrong (a SerialEM error, the tracker refusing an event, the
# STOP button) the script restores the image shift and the focus, writes the
# reason to the log window and stops. Nothing is lost: the tracker keeps its
# state in the project file, so running this script again continues the run.
#
# Needs Python 3.6 or newer and nothing beyond the standard library (numpy is
# used when it is installed, only to write images faster).
# =============================================================================

# ------------------------------- SETTINGS -----------------------------------

# The tracker program, and the project made by `bisect-track plan`.
# (The environment variables BISECT_TRACK, BISECT_PROJECT and BISECT_DATA_DIR
# override these three settings; the tests use that.)
BISECT_TRACK = r"C:\Program Files\cspt\bin\bisect-track.exe"
PROJECT_FILE = r"D:\BISECT\session\position1.h5"

# Where images go. Empty: a folder "bisect_images" next to PROJECT_FILE.
DATA_DIR = ""

# Which camera shot takes the tracking image for each tracking magnification.
# Any SerialEM shot name works: "View", "Search", "Trial", "Preview", "Record".
# (Trial is taken at the Focus/Trial area: see the Low Dose note above.)
TRACKING_SHOT = {"low": "View", "high": "Trial"}

# Stage backlash: on the negative branch the stage first goes this many
# degrees below the target and then up to it, so every tilt is approached
# from below (the protocol's backlash policy). 0 switches it off.
NEGATIVE_BRANCH_BACKLASH_DEG = 3.0
MAX_STAGE_TILT_DEG = 70.0          # no backlash step beyond this angle

# Waiting times (seconds) to let the stage and the beam settle.
DELAY_AFTER_TILT_S = 0.5
DELAY_AFTER_IMAGE_SHIFT_S = 0.3

# Beam-tilt compensation of image shift before each Record (needs SerialEM's
# coma-vs-image-shift calibration; PACEtomo does the same).
BEAM_TILT_COMPENSATION = False

# Arguments placed before the name in SetFrameBaseName (as PACEtomo uses it),
# so that the movie frames of a Record are named after the ROI's tilt series.
FRAME_BASENAME_ARGS = (0, 1, 0)

# Write the tracker's image copies in the row order SerialEM uses when it
# saves an MRC file, so that they look exactly like SerialEM's own files.
FLIP_Y_LIKE_SERIALEM = True

# Put the focus back to its value at start when the run ends or stops.
RESTORE_FOCUS_AT_END = True

# ----------------------------- END OF SETTINGS ------------------------------

import array
import json
import os
import re
import shlex
import struct
import subprocess
import sys
import time
import traceback

import serialem as sem

try:                        # optional: only makes writing images faster
    import numpy
except ImportError:         # the standard-library path below does the same
    numpy = None

# SerialEM's Python module raises these. SEMexited means the user pressed
# STOP (or the script was told to exit): we still try to clean up.
SEM_ERRORS = tuple(e for e in (getattr(sem, "SEMerror", None),
                               getattr(sem, "SEMmoduleError", None))
                   if isinstance(e, type))
SEM_EXITED = getattr(sem, "SEMexited", None)
if not isinstance(SEM_EXITED, type):
    SEM_EXITED = ()

# Event time stamps: seconds since 2020-01-01 00:00 UTC (as SerialEM's TimeStamp).
EPOCH_2020 = 1577836800.0


class TrackerError(Exception):
    """The tracker refused an event, sent something unreadable, or stopped."""


def seconds_since_2020():
    return round(time.time() - EPOCH_2020, 3)


def first_value(reply):
    """SerialEM returns one number, or a tuple when a command reports several."""
    if isinstance(reply, (tuple, list)):
        reply = reply[0]
    return float(reply)


def safe_name(text):
    """A file name made of letters, digits, '.', '_' and '-' only."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", str(text)) or "unnamed"


# ------------------------------ MRC writing ---------------------------------
#
# The tracker reads images from MRC files (header of 1024 bytes, then the
# pixels, x fastest). We keep SerialEM's data type: mode 2 = 32-bit float,
# 1 = 16-bit signed, 6 = 16-bit unsigned, 0 = 8-bit; anything else becomes
# float. The image comes from sem.bufferImage('A'), which hands out SerialEM's
# pixels through Python's buffer protocol (rows top to bottom).

MRC_MODE_OF_FORMAT = {"f": 2, "h": 1, "H": 6, "B": 0}


def _mrc_header(nx, ny, mode, pixel_A, dmin, dmax, dmean):
    head = bytearray(1024)
    struct.pack_into("<4i", head, 0, nx, ny, 1, mode)        # size, mode
    struct.pack_into("<3i", head, 28, nx, ny, 1)             # sampling
    struct.pack_into("<3f", head, 40, nx * pixel_A, ny * pixel_A, pixel_A)  # cell, A
    struct.pack_into("<3f", head, 52, 90.0, 90.0, 90.0)      # cell angles
    struct.pack_into("<3i", head, 64, 1, 2, 3)               # axis order
    struct.pack_into("<3f", head, 76, dmin, dmax, dmean)     # statistics
    # MRC2014 version; left 0 for bytes (as SerialEM does: MRC2014 would read them as signed)
    struct.pack_into("<i", head, 108, 0 if mode == 0 else 20140)
    head[208:212] = b"MAP "
    head[212:216] = b"\x44\x44\x00\x00"                      # little-endian
    struct.pack_into("<f", head, 216, -1.0)                  # rms: not computed
    struct.pack_into("<i", head, 220, 1)                     # one label
    label = "bisect_serialem.py  " + time.strftime("%d-%b-%y  %H:%M:%S")
    head[224:304] = label.ljust(80)[:80].encode("ascii")
    return bytes(head)


def write_mrc(path, image, pixel_A=1.0, flip_y=True, use_numpy=None):
    """Write a 2-D image (anything with the buffer protocol) to an MRC file.

    use_numpy: None = use numpy if it is installed; False = standard library only.
    """
    if use_numpy is None:
        use_numpy = numpy is not None
    if use_numpy:
        pixels = numpy.asarray(image)
        if pixels.ndim != 2:
            raise ValueError("image is not 2-D (shape %s)" % (pixels.shape,))
        mode = {"float32": 2, "int16": 1, "uint16": 6, "uint8": 0}.get(pixels.dtype.name)
        if mode is None:
            pixels, mode = pixels.astype(numpy.float32), 2
        if flip_y:
            pixels = pixels[::-1]
        ny, nx = pixels.shape
        data = numpy.ascontiguousarray(pixels, dtype=pixels.dtype.newbyteorder("<"))
        dmin, dmax = float(data.min()), float(data.max())
        dmean = float(data.mean(dtype=numpy.float64))
        payload = data.tobytes()
    else:
        view = memoryview(image)
        if view.ndim != 2:
            raise ValueError("image is not 2-D (ndim %d)" % view.ndim)
        ny, nx = view.shape
        fmt = view.format.lstrip("@=<>!")
        if fmt not in array.typecodes:
            raise ValueError("image pixel format %r cannot be saved" % view.format)
        raw = view.tobytes()                  # C order, padding of rows removed
        row = nx * view.itemsize
        if flip_y:
            raw = b"".join(raw[y * row:(y + 1) * row] for y in range(ny - 1, -1, -1))
        pixels = array.array(fmt)
        pixels.frombytes(raw)
        mode = MRC_MODE_OF_FORMAT.get(fmt)
        if mode is None:
            pixels, mode = array.array("f", pixels), 2
        dmin, dmax = float(min(pixels)), float(max(pixels))
        dmean = float(sum(pixels)) / len(pixels)
        if sys.byteorder == "big":
            pixels.byteswap()
        payload = pixels.tobytes()
    tmp = path + ".part"                      # the tracker never sees half a file
    with open(tmp, "wb") as f:
        f.write(_mrc_header(nx, ny, mode, float(pixel_A), dmin, dmax, dmean))
        f.write(payload)
    os.replace(tmp, path)
    return path


# ------------------------------ the bridge ----------------------------------

class Bridge(object):

    def __init__(self, tracker_cmd, project, data_dir):
        self.tracker_cmd = tracker_cmd
        self.project = project
        self.data_dir = data_dir
        self.proc = None
        self.log_file = None
        # The image shift the bridge has applied, in specimen microns relative
        # to the image shift found at start (= the stage position's centre).
        self.applied_shift_um = [0.0, 0.0]
        self.start_image_shift = None         # SerialEM IS units, for restoring
        self.start_defocus = None
        self.restored = False
        self.tilt_index = 0
        self.counts = {"tilt": 0, "track": 0, "focus": 0, "record": 0}

    # ---- messages to the log window and the log file ----

    def echo(self, message):
        for line in str(message).splitlines() or [""]:
            try:
                sem.Echo("BISECT: " + line)
            except Exception:                 # e.g. after STOP: keep going
                pass
        self.log("# " + str(message))

    def log(self, text):
        if self.log_file is not None:
            self.log_file.write(time.strftime("%Y-%m-%d %H:%M:%S ") + text + "\n")
            self.log_file.flush()

    # ---- the tracker process ----

    def start_tracker(self):
        for sub in ("", "tracking", "records"):
            os.makedirs(os.path.join(self.data_dir, sub), exist_ok=True)
        self.log_file = open(os.path.join(self.data_dir, "bisect_bridge.log"), "a")
        serve_log = open(os.path.join(self.data_dir, "bisect_track_serve.log"), "a")
        cmd = list(self.tracker_cmd) + ["serve", "-p", self.project]
        self.log("# starting: " + " ".join(cmd))
        flags = 0x08000000 if os.name == "nt" else 0   # CREATE_NO_WINDOW on Windows
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=serve_log,
            universal_newlines=True, encoding="utf-8", errors="replace",
            bufsize=1, creationflags=flags)
        serve_log.close()                     # the child keeps its own handle

    def stop_tracker(self):
        if self.proc is None:
            return
        try:
            self.proc.stdin.close()           # end of input: `serve` exits
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc = None

    def exchange(self, event):
        """Send one event line, return the tracker's one action line (a dict)."""
        event["time_s"] = seconds_since_2020()
        line = json.dumps(event, separators=(", ", ": "))
        self.log("> " + line)
        try:
            self.proc.stdin.write(line + "\n")
            self.proc.stdin.flush()
        except (OSError, ValueError):
            raise TrackerError("bisect-track is not running any more (see "
                               "bisect_track_serve.log)")
        reply = self.proc.stdout.readline()
        if not reply:
            raise TrackerError("bisect-track stopped without answering (see "
                               "bisect_track_serve.log)")
        reply = reply.strip()
        self.log("< " + reply)
        try:
            action = json.loads(reply)
        except ValueError:
            raise TrackerError("unreadable answer from bisect-track: " + reply[:200])
        if not isinstance(action, dict):
            raise TrackerError("unreadable answer from bisect-track: " + reply[:200])
        return action

    # ---- microscope helpers ----

    def optional(self, command, *args):
        """Run a SerialEM command that may be missing or fail; None if so."""
        function = getattr(sem, command, None)
        if function is None:
            return None
        try:
            return function(*args)
        except SEM_ERRORS:
            return None

    def set_image_shift(self, target_um):
        """Move the beam to an absolute specimen shift (microns, X = tilt axis).

        ImageShiftByMicrons is relative, so we move by the difference from what
        we applied last. No cos(tilt) is applied here: the tracker does that.
        """
        x, y = float(target_um[0]), float(target_um[1])
        dx, dy = x - self.applied_shift_um[0], y - self.applied_shift_um[1]
        if abs(dx) > 1e-6 or abs(dy) > 1e-6:
            sem.ImageShiftByMicrons(dx, dy)
            self.applied_shift_um = [x, y]
            if DELAY_AFTER_IMAGE_SHIFT_S > 0:
                sem.Delay(DELAY_AFTER_IMAGE_SHIFT_S, "s")

    def pixel_size_A(self):
        """Pixel size of the image in buffer A (ImageProperties gives nm)."""
        props = self.optional("ImageProperties", "A")
        try:
            return float(props[4]) * 10.0
        except (TypeError, IndexError, ValueError):
            return 1.0

    def save_copy_for_tracker(self, path):
        """Write the image in buffer A to `path` for the tracker to read."""
        return write_mrc(path, sem.bufferImage("A"), pixel_A=self.pixel_size_A(),
                         flip_y=FLIP_Y_LIKE_SERIALEM)

    def remember_start_state(self):
        shift = sem.ReportImageShift()
        self.start_image_shift = (float(shift[0]), float(shift[1]))
        self.start_defocus = first_value(sem.ReportDefocus())
        self.restored = False

    def restore(self):
        """Put back the image shift (and focus) found at start. Safe to repeat."""
        if self.restored or self.start_image_shift is None:
            return
        self.restored = True
        try:
            sem.SetImageShift(self.start_image_shift[0], self.start_image_shift[1])
            self.applied_shift_um = [0.0, 0.0]
        except Exception as e:
            self.echo("could not restore the image shift: %s" % e)
        if RESTORE_FOCUS_AT_END and self.start_defocus is not None:
            try:
                sem.SetDefocus(self.start_defocus)
            except Exception as e:
                self.echo("could not restore the focus: %s" % e)

    # ---- one handler per action; each returns the event to send ----

    def do_tilt(self, action):
        angle = float(action["angle_deg"])
        branch = int(action.get("branch", 0))
        self.tilt_index = int(action.get("tilt_index", self.tilt_index))
        # Backlash: on the negative branch come from below, the same way each time.
        below = angle - NEGATIVE_BRANCH_BACKLASH_DEG
        if branch < 0 and NEGATIVE_BRANCH_BACKLASH_DEG > 0 and below >= -MAX_STAGE_TILT_DEG:
            sem.TiltTo(below)
        sem.TiltTo(angle)
        if DELAY_AFTER_TILT_S > 0:
            sem.Delay(DELAY_AFTER_TILT_S, "s")
        reported = first_value(sem.ReportTiltAngle())
        self.echo("tilt %d: %.2f deg (stage reports %.2f)" % (self.tilt_index, angle, reported))
        return {"event": "tilted", "angle_deg": round(reported, 4)}

    def do_track(self, action):
        mag = str(action["mag"])
        if mag not in TRACKING_SHOT:
            raise TrackerError("tracking magnification %r is not in TRACKING_SHOT" % mag)
        iteration = int(action.get("iteration", 1))
        self.set_image_shift(action["image_shift_um"])
        getattr(sem, TRACKING_SHOT[mag])()    # e.g. sem.View()
        name = "t%03d_%s_%02d.mrc" % (self.tilt_index, mag, iteration)
        path = self.save_copy_for_tracker(os.path.join(self.data_dir, "tracking", name))
        return {"event": "tracking_image", "mag": mag, "image": path}

    def do_focus(self, action):
        self.set_image_shift(action["image_shift_um"])
        sem.AutoFocus()                       # brings the focus area to the target defocus
        event = {"event": "focus", "focus_um": round(first_value(sem.ReportDefocus()), 4)}
        report = self.optional("ReportAutoFocus")     # (measured defocus, failure code)
        if isinstance(report, (tuple, list)) and len(report) >= 2:
            event["measured_defocus_um"] = round(float(report[0]), 4)
            event["fail_code"] = int(report[1])
        elif report is not None:
            event["measured_defocus_um"] = round(first_value(report), 4)
        if event.get("fail_code"):
            self.echo("autofocus reported failure code %d" % event["fail_code"])
        return event

    def do_record(self, action):
        roi = str(action["roi"])
        name = safe_name(action.get("frame_name") or ("roi_" + roi))
        self.set_image_shift(action["image_shift_um"])
        sem.SetDefocus(float(action["focus_um"]))
        sem.SetFrameBaseName(*(tuple(FRAME_BASENAME_ARGS) + (name,)))
        if BEAM_TILT_COMPENSATION:
            sem.AdjustBeamTiltforIS()
        try:
            sem.Record()
        finally:
            if BEAM_TILT_COMPENSATION:
                sem.RestoreBeamTilt()
        # Append the Record to this ROI's tilt-series stack (SerialEM writes it
        # and its .mdoc); open and close the file each time so that any number
        # of ROIs works and a restarted run appends to the same stack.
        stack = os.path.join(self.data_dir, name + ".mrc")
        if os.path.exists(stack):
            sem.OpenOldFile(stack)
        else:
            sem.OpenNewFile(stack)
        try:
            sem.Save()
        finally:
            sem.CloseFile()
        copy = os.path.join(self.data_dir, "records", "%s_t%03d.mrc" % (name, self.tilt_index))
        event = {"event": "roi_image", "roi": roi,
                 "image": self.save_copy_for_tracker(copy)}
        mean = self.optional("ReportMeanCounts", "A")
        if mean is not None:
            event["mean_counts"] = round(first_value(mean), 3)
        conditions = self.optional("ImageConditions", "A")   # (dose e/A2, mag, ...)
        if conditions is not None and first_value(conditions) > 0:
            event["dose_e_per_A2"] = round(first_value(conditions), 4)
        frames = self.optional("ReportLastFrameFile")
        if isinstance(frames, str) and frames:
            event["frame_path"] = frames
        self.echo("ROI %s recorded at focus %.2f um -> %s" % (roi, float(action["focus_um"]), stack))
        return event

    # ---- the main loop ----

    def run(self):
        handlers = {"tilt": self.do_tilt, "track": self.do_track,
                    "focus": self.do_focus, "record": self.do_record}
        self.remember_start_state()
        self.start_tracker()
        self.echo("started %s on %s" % (" ".join(self.tracker_cmd), self.project))
        # `bisect-track start` would print the first action; in serve mode we ask
        # for it with a "begin" event. The tracker answers it with the action
        # that is due: the first one of a new run, or the unanswered one when
        # the run is resumed after a stop.
        action = self.exchange({"event": "begin"})
        while True:
            if "error" in action:
                raise TrackerError("bisect-track refused the last event: %s" % action["error"])
            kind = action.get("action")
            if kind == "done":
                self.restore()
                self.echo("acquisition finished: %d tilts, %d tracking images, "
                          "%d autofocus, %d Records" % (self.counts["tilt"], self.counts["track"],
                                                       self.counts["focus"], self.counts["record"]))
                summary = action.get("summary")
                if isinstance(summary, dict):
                    for key in sorted(summary):
                        self.echo("  %s = %s" % (key, json.dumps(summary[key])))
                return 0
            if kind not in handlers:
                raise TrackerError("unknown action from bisect-track: %s" % json.dumps(action))
            check_action(action)
            event = handlers[kind](action)
            self.counts[kind] += 1
            action = self.exchange(event)


REQUIRED_FIELDS = {"tilt": ("angle_deg",),
                   "track": ("mag", "image_shift_um"),
                   "focus": ("image_shift_um",),
                   "record": ("roi", "image_shift_um", "focus_um")}


def check_action(action):
    """Refuse an action that lacks a field we need, before moving anything."""
    kind = action["action"]
    for field in REQUIRED_FIELDS[kind]:
        if field not in action:
            raise TrackerError("%s action without %s: %s" % (kind, field, json.dumps(action)))
    try:
        if "image_shift_um" in action:
            shift = action["image_shift_um"]
            if len(shift) != 2:
                raise ValueError
            float(shift[0]), float(shift[1])
        if "angle_deg" in action:
            float(action["angle_deg"])
        if "focus_um" in action:
            float(action["focus_um"])
    except (TypeError, ValueError):
        raise TrackerError("%s action with a bad number: %s" % (kind, json.dumps(action)))


def tracker_command():
    """The tracker's command line from BISECT_TRACK (a path or a command string)."""
    cmd = os.environ.get("BISECT_TRACK") or BISECT_TRACK
    if isinstance(cmd, (list, tuple)):
        return list(cmd)
    if os.path.isfile(cmd):
        return [cmd]
    parts = shlex.split(cmd, posix=(os.name != "nt"))
    return [p[1:-1] if len(p) > 1 and p[0] == p[-1] == '"' else p for p in parts]


def main():
    project = os.path.abspath(os.environ.get("BISECT_PROJECT") or PROJECT_FILE)
    data_dir = os.environ.get("BISECT_DATA_DIR") or DATA_DIR or \
        os.path.join(os.path.dirname(project), "bisect_images")
    bridge = Bridge(tracker_command(), project, os.path.abspath(data_dir))
    # Inside a SerialEM "try" block, errors of SerialEM commands come back as
    # Python exceptions (SEMerror) instead of ending the script at once.
    in_try = False
    if hasattr(sem, "StartTry"):
        try:
            sem.StartTry(1)
            in_try = True
        except SEM_ERRORS:
            pass
    status = 1
    try:
        status = bridge.run()
    except TrackerError as e:
        bridge.echo("STOPPED: %s" % e)
    except SEM_ERRORS as e:
        bridge.echo("STOPPED by a SerialEM error: %s" % e)
    except SEM_EXITED as e:
        bridge.echo("STOPPED (%s)" % e)
    except OSError as e:
        bridge.echo("STOPPED: %s" % e)
    except Exception:
        bridge.echo("STOPPED by an unexpected error:\n" + traceback.format_exc())
    finally:
        bridge.restore()
        if status != 0:
            bridge.echo("image shift restored; run the script again to continue")
        bridge.stop_tracker()
        if in_try:
            try:
                sem.EndTry()
            except Exception:
                pass
        if bridge.log_file is not None:
            bridge.log_file.close()
    return status


if __name__ == "__main__":
    sys.exit(main())
