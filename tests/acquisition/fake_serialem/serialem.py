"""A fake `serialem` module: enough of SerialEM's Python interface to run
acquisition/serialem/bisect_serialem.py without a microscope.

Every command is appended as one JSON line {"i", "call", "args", "result"} to
the file named by FAKE_SERIALEM_LOG (no log when unset). The first line
("__init__") and the last line ("__exit__") carry the fake's state.

Behaviour (deterministic):
  * stage: ReportTiltAngle = last TiltTo/TiltBy target + FAKE_SERIALEM_TILT_ERROR_DEG
    (default 0.02); from the n-th ReportTiltAngle on (FAKE_SERIALEM_BAD_TILT_FROM=n)
    the error is 5 degrees, so that the tracker refuses the reading;
  * image shift kept in "IS units" = M * specimen microns (M not the identity);
  * focus: SetDefocus/ChangeFocus/ReportDefocus; AutoFocus measures a defocus
    that depends on tilt and image shift and sets the target defocus;
  * images: View/Search/Trial/Focus/Preview/Record put a smooth float32 pattern
    (FAKE_SERIALEM_IMAGE_SIZE, default 256x256) into buffer A, moved by the
    current specimen shift; bufferImage('A') hands it out through the buffer
    protocol; older images roll to B, C, ...;
  * files: OpenNewFile/OpenOldFile/Save/CloseFile (the file is created empty);
  * FAKE_SERIALEM_FAIL_ON="Name:n" makes the n-th call of Name raise SEMerror.
Misuse (unknown buffer, empty buffer, Save without an open file, tilt beyond
70 degrees, ...) raises SEMerror.
"""
import array
import atexit
import json
import math
import os


class SEMerror(Exception):
    """A SerialEM command failed."""


class SEMmoduleError(Exception):
    """The module itself failed (not used by the fake, defined for completeness)."""


class SEMexited(Exception):
    """The user pressed STOP."""


_LOG_PATH = os.environ.get("FAKE_SERIALEM_LOG")
_size = os.environ.get("FAKE_SERIALEM_IMAGE_SIZE", "256x256").lower().split("x")
_NX, _NY = int(_size[0]), int(_size[-1])
_TILT_ERROR = float(os.environ.get("FAKE_SERIALEM_TILT_ERROR_DEG", "0.02"))
_BAD_TILT_FROM = int(os.environ.get("FAKE_SERIALEM_BAD_TILT_FROM", "0") or 0)
_fail = os.environ.get("FAKE_SERIALEM_FAIL_ON", "")
_FAIL_NAME, _FAIL_N = (_fail.split(":") + ["1"])[:2] if _fail else ("", "0")
_FAIL_N = int(_FAIL_N)

_MAX_TILT = 70.0
_IS_PER_UM = ((0.9, 0.2), (-0.2, 0.9))          # IS units per specimen micron
_PIXEL_NM = {"View": 2.0, "Search": 5.0, "Trial": 0.5, "Focus": 0.5,
             "Preview": 0.25, "Record": 0.25}
_DOSE = {"View": 0.05, "Search": 0.01, "Trial": 0.1, "Focus": 0.1,
         "Preview": 0.5, "Record": 3.0}
_BUFFERS = "ABCDEFGHIJKLMNOPQRST"

_state = {
    "tilt": 0.0,
    "is_units": [0.3, -0.7],            # not zero: the bridge must restore it exactly
    "defocus": -1.5,
    "target_defocus": -3.0,
    "open_file": None,
    "sections": {},
    "frame_base": None,
    "frames_saved": 0,
    "try_depth": 0,
}
_buffers = {}                            # letter -> dict(pixels, area, ...)
_counts = {}
_seq = [0]
_last_autofocus = [None]


def _write(record):
    if not _LOG_PATH:
        return
    _seq[0] += 1
    record = dict(record, i=_seq[0])
    with open(_LOG_PATH, "a") as f:
        f.write(json.dumps(record) + "\n")


def _public_state():
    return {"tilt": _state["tilt"], "is_units": list(_state["is_units"]),
            "specimen_shift_um": list(_specimen_shift()), "defocus": _state["defocus"],
            "open_file": _state["open_file"], "sections": dict(_state["sections"]),
            "try_depth": _state["try_depth"]}


def _jsonable(value):
    if isinstance(value, (int, float, str)) or value is None:
        return value
    if isinstance(value, (tuple, list)):
        return [_jsonable(v) for v in value]
    return repr(value)


def _command(function):
    name = function.__name__

    def wrapper(*args):
        _counts[name] = _counts.get(name, 0) + 1
        record = {"call": name, "args": [_jsonable(a) for a in args]}
        if name == _FAIL_NAME and _counts[name] == _FAIL_N:
            record["error"] = "injected failure"
            _write(record)
            raise SEMerror("%s failed (injected by FAKE_SERIALEM_FAIL_ON)" % name)
        try:
            result = function(*args)
        except SEMerror as e:
            record["error"] = str(e)
            _write(record)
            raise
        record["result"] = _jsonable(result)
        _write(record)
        return result
    wrapper.__name__ = name
    wrapper.__doc__ = function.__doc__
    return wrapper


def _specimen_shift():
    (a, b), (c, d) = _IS_PER_UM
    det = a * d - b * c
    u, v = _state["is_units"]
    return ((d * u - b * v) / det, (-c * u + a * v) / det)


def _number(value, what):
    try:
        return float(value)
    except (TypeError, ValueError):
        raise SEMerror("%s: %r is not a number" % (what, value))


def _buffer(letter):
    letter = str(letter).upper() if letter is not None else "A"
    if len(letter) != 1 or letter not in _BUFFERS:
        raise SEMerror("\"%s\" is not a valid buffer specification" % letter)
    if letter not in _buffers:
        raise SEMerror("There is no image in buffer %s" % letter)
    return _buffers[letter]


# ----------------------------- messages, flow --------------------------------

@_command
def Echo(*args):
    """Print to the log window."""
    return None


@_command
def Delay(amount, unit="ms"):
    return None


@_command
def StartTry(level=0):
    _state["try_depth"] += 1


@_command
def EndTry():
    if _state["try_depth"] <= 0:
        raise SEMerror("EndTry without StartTry")
    _state["try_depth"] -= 1


@_command
def NoMessageBoxOnError(value=1):
    return None


# ----------------------------------- stage -----------------------------------

def _tilt_to(angle):
    if abs(angle) > _MAX_TILT + 1e-9:
        raise SEMerror("Tilt angle %.2f is beyond the limit of %.0f degrees" % (angle, _MAX_TILT))
    _state["tilt"] = angle


@_command
def TiltTo(angle):
    _tilt_to(_number(angle, "TiltTo"))


@_command
def TiltBy(delta):
    _tilt_to(_state["tilt"] + _number(delta, "TiltBy"))


@_command
def ReportTiltAngle():
    error = _TILT_ERROR
    if _BAD_TILT_FROM and _counts["ReportTiltAngle"] >= _BAD_TILT_FROM:
        error = 5.0
    return _state["tilt"] + error


# -------------------------------- image shift ---------------------------------

@_command
def ImageShiftByMicrons(dx, dy, *rest):
    dx, dy = _number(dx, "ImageShiftByMicrons"), _number(dy, "ImageShiftByMicrons")
    (a, b), (c, d) = _IS_PER_UM
    _state["is_units"][0] += a * dx + b * dy
    _state["is_units"][1] += c * dx + d * dy


@_command
def ReportImageShift():
    return (_state["is_units"][0], _state["is_units"][1])


@_command
def SetImageShift(x, y, *rest):
    _state["is_units"] = [_number(x, "SetImageShift"), _number(y, "SetImageShift")]


@_command
def ReportSpecimenShift():
    return _specimen_shift()


# ----------------------------------- focus -------------------------------------

@_command
def SetDefocus(value):
    _state["defocus"] = _number(value, "SetDefocus")


@_command
def ChangeFocus(delta):
    _state["defocus"] += _number(delta, "ChangeFocus")


@_command
def ReportDefocus():
    return _state["defocus"]


@_command
def SetTargetDefocus(value):
    _state["target_defocus"] = _number(value, "SetTargetDefocus")


@_command
def ReportTargetDefocus():
    return _state["target_defocus"]


def _autofocus():
    # The specimen is 0.4 um below eucentric and tilted about y: what autofocus
    # "measures" depends on tilt and on where the beam is.
    sx, sy = _specimen_shift()
    height = -0.4 + sy * math.tan(math.radians(_state["tilt"]))
    measured = _state["defocus"] - height
    _state["defocus"] += _state["target_defocus"] - measured
    _last_autofocus[0] = (measured, 0.0)
    _acquire("Focus")


@_command
def AutoFocus(*args):
    _autofocus()


@_command
def G(*args):
    _autofocus()


@_command
def ReportAutoFocus():
    if _last_autofocus[0] is None:
        raise SEMerror("No autofocus has been done")
    return _last_autofocus[0]


# ----------------------------------- images ------------------------------------

def _pattern(shift_px_x, shift_px_y):
    """A smooth 2-D pattern (two sinusoids and a blob) moved by (sx, sy) pixels."""
    two_pi = 2.0 * math.pi
    xs = [x + shift_px_x for x in range(_NX)]
    ys = [y + shift_px_y for y in range(_NY)]
    cx = [200.0 * math.sin(two_pi * x / 41.0) for x in xs]
    sx = [math.sin(two_pi * x / 97.0) for x in xs]
    ex = [math.exp(-((x - 0.6 * _NX) ** 2) / (2.0 * (0.08 * _NX) ** 2)) for x in xs]
    pixels = array.array("f")
    for y in ys:
        cy = 1000.0 + 150.0 * math.cos(two_pi * y / 57.0)
        ky = 80.0 * math.cos(two_pi * y / 73.0)
        ey = 500.0 * math.exp(-((y - 0.4 * _NY) ** 2) / (2.0 * (0.1 * _NY) ** 2))
        pixels.extend(cy + cx[i] + ky * sx[i] + ey * ex[i] for i in range(_NX))
    return pixels


def _acquire(area):
    sx_um, sy_um = _specimen_shift()
    pixel_nm = _PIXEL_NM[area]
    # The content moves opposite to the beam: shifting the beam by +s shows
    # what was at +s in the centre.
    pixels = _pattern(sx_um * 1000.0 / pixel_nm, sy_um * 1000.0 / pixel_nm)
    for i in range(len(_BUFFERS) - 1, 0, -1):
        if _BUFFERS[i - 1] in _buffers:
            _buffers[_BUFFERS[i]] = _buffers[_BUFFERS[i - 1]]
    _buffers["A"] = {"pixels": pixels, "area": area, "pixel_nm": pixel_nm,
                     "dose": _DOSE[area], "tilt": _state["tilt"],
                     "mean": sum(pixels) / len(pixels)}


@_command
def View(*args):
    _acquire("View")


@_command
def Search(*args):
    _acquire("Search")


@_command
def Trial(*args):
    _acquire("Trial")


@_command
def Focus(*args):
    _acquire("Focus")


@_command
def Preview(*args):
    _acquire("Preview")


@_command
def Record(*args):
    _acquire("Record")
    if _state["frame_base"] is not None:
        _state["frames_saved"] += 1


@_command
def bufferImage(letter="A"):
    """SerialEM's buffer image: the pixels of a buffer through the buffer protocol."""
    entry = _buffer(letter)
    return memoryview(entry["pixels"]).cast("B").cast("f", [_NY, _NX])


@_command
def ImageProperties(letter="A"):
    entry = _buffer(letter)
    return (float(_NX), float(_NY), 1.0, 1.0, entry["pixel_nm"], 0.0)


@_command
def ImageConditions(letter="A"):
    entry = _buffer(letter)
    return (entry["dose"], 64000.0, 7.0, 0.45, 1.0, 0.0)


@_command
def ReportMeanCounts(letter="A", *rest):
    return _buffer(letter)["mean"]


@_command
def AdjustBeamTiltforIS(*args):
    return None


@_command
def RestoreBeamTilt():
    return None


# ------------------------------ files and frames --------------------------------

@_command
def OpenNewFile(path):
    if _state["open_file"] is not None:
        raise SEMerror("fake: a file is already open (%s)" % _state["open_file"])
    with open(path, "wb"):
        pass
    _state["open_file"] = path
    _state["sections"][path] = 0


@_command
def OpenOldFile(path):
    if _state["open_file"] is not None:
        raise SEMerror("fake: a file is already open (%s)" % _state["open_file"])
    if not os.path.exists(path):
        raise SEMerror("File %s does not exist" % path)
    _state["open_file"] = path
    _state["sections"].setdefault(path, 0)


@_command
def Save(*args):
    if _state["open_file"] is None:
        raise SEMerror("There is no open file to save into")
    _buffer("A")
    _state["sections"][_state["open_file"]] += 1


@_command
def CloseFile(*args):
    if _state["open_file"] is None:
        raise SEMerror("There is no open file to close")
    _state["open_file"] = None


@_command
def SetFrameBaseName(*args):
    if not args:
        raise SEMerror("SetFrameBaseName needs arguments")
    _state["frame_base"] = str(args[-1])


@_command
def ReportLastFrameFile():
    if not _state["frames_saved"]:
        raise SEMerror("No frames have been saved")
    return "X:\\frames\\%s_%03d.tif" % (_state["frame_base"], _state["frames_saved"])


# ----------------------------------- logging ------------------------------------

_write({"call": "__init__", "args": [], "state": _public_state()})
atexit.register(lambda: _write({"call": "__exit__", "args": [], "state": _public_state()}))
