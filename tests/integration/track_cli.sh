#!/usr/bin/env bash
# bisect-track from the command line: plan, start, step, serve killed with SIGKILL and restarted
# (identical actions), bad input refused with the state unchanged, exports read back by cspt, and
# the SerialEM bridge driven through the fake serialem module.
set -euo pipefail
: "${BISECT:?}" "${CSPT:?}"
BISECT=$(readlink -f "$BISECT"); CSPT=$(readlink -f "$CSPT")
src=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
py=/usr/bin/python3

# A small plan: 3 x 3 ROIs over +-12 deg.
cat > "$work/plan.yaml" <<YAML
name: t1
scheme: {angles_deg: [0, 3, -3, -6, 6, 9, 12, -9, -12]}
rois: {n: 3, m: 3, spacing_um: 2.5}
camera: {nx_px: 256, ny_px: 256}
tracking: {low: {nx_px: 4096, ny_px: 4096}, high: {nx_px: 4096, ny_px: 4096}}
YAML
"$BISECT" plan -c "$work/plan.yaml" -p "$work/a.h5"
if "$BISECT" plan -c "$work/plan.yaml" -p "$work/a.h5" 2>"$work/err"; then echo "replaced a project without --force"; exit 1; fi
grep -q "exists" "$work/err"

# Unknown keys are refused with a suggestion.
printf 'name: t1\nrois: {n: 3, m: 3, spacng_um: 2.5}\n' > "$work/typo.yaml"
if "$BISECT" plan -c "$work/typo.yaml" -p "$work/typo.h5" 2>"$work/err"; then echo "accepted a typo"; exit 1; fi
grep -q "rois.spacng_um" "$work/err" && grep -q "did you mean 'rois.spacing_um'" "$work/err"
test ! -e "$work/typo.h5"

# A microscope in Python answering every action (geometry: shifts measured by the microscope side).
cat > "$work/scope.py" <<'PY'
import json, sys
def event_for(a, k):
    kind = a["action"]
    if kind == "begin": return {"event": "begin", "time_s": k}
    if kind == "tilt": return {"event": "tilted", "angle_deg": a["angle_deg"] + 0.01, "time_s": k}
    if kind == "track": return {"event": "tracking_image", "mag": a["mag"], "shift_nm": [3.0 / a["iteration"], -2.0], "cc": 0.4, "psr": 8, "time_s": k}
    if kind == "focus": return {"event": "focus", "focus_um": -3.1, "time_s": k}
    if kind == "record": return {"event": "roi_image", "roi": a["roi"], "shift_nm": [1.5, -0.5], "cc": 0.3, "psr": 7, "time_s": k}
    return None
PY

# 1) one process per event, 2) serve killed with SIGKILL after some events and restarted.
run_steps() {  # project -> actions file
  local p=$1 out=$2 k=0
  local a; a=$("$BISECT" start -p "$p")
  echo "$a" > "$out"
  while true; do
    e=$(echo "$a" | $py -c "import json,sys; sys.path.insert(0,'$work'); import scope; e=scope.event_for(json.loads(sys.stdin.read()), $k); print(json.dumps(e) if e else '')")
    [ -z "$e" ] && break
    a=$("$BISECT" step -p "$p" --event "$e")
    echo "$a" >> "$out"
    k=$((k + 1))
  done
}
cp "$work/a.h5" "$work/b.h5"
run_steps "$work/a.h5" "$work/steps.txt"
tail -1 "$work/steps.txt" | grep -q '"action":"done"'

$py - "$BISECT" "$work/b.h5" "$work/serve.txt" "$work" <<'PY'
import json, subprocess, sys, signal
sys.path.insert(0, sys.argv[4]); import scope
bisect, project, out = sys.argv[1], sys.argv[2], sys.argv[3]
def serve():
    return subprocess.Popen([bisect, "serve", "-p", project], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
p = serve()
actions, k, kills = [], 0, 0
p.stdin.write(json.dumps({"event": "begin", "time_s": 0}) + "\n"); p.stdin.flush()
a = json.loads(p.stdout.readline()); actions.append(a)
while a["action"] != "done":
    if k in (5, 23, 61) :  # the tracker dies without warning and is started again
        p.send_signal(signal.SIGKILL); p.wait(); kills += 1
        p = serve()
        p.stdin.write(json.dumps({"event": "begin"}) + "\n"); p.stdin.flush()
        again = json.loads(p.stdout.readline())
        assert again == a, (again, a)
    e = scope.event_for(a, k + 1)
    p.stdin.write(json.dumps(e) + "\n"); p.stdin.flush()
    a = json.loads(p.stdout.readline()); actions.append(a); k += 1
p.stdin.close(); p.wait()
open(out, "w").write("\n".join(json.dumps(x, separators=(",", ":")) for x in actions) + "\n")
print("serve: %d events, %d kills" % (k, kills))
PY
$py - "$work/steps.txt" "$work/serve.txt" <<'PY'
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(l) for l in open(sys.argv[2])]
assert len(a) == len(b), (len(a), len(b))
for x, y in zip(a, b):
    assert x == y, (x, y)
print("step and killed-serve runs gave identical actions:", len(a))
PY

# Bad input: an unknown ROI and a tilt out of sequence are refused, the file does not change.
"$BISECT" plan -c "$work/plan.yaml" -p "$work/c.h5"
"$BISECT" start -p "$work/c.h5" > /dev/null
sum_before=$(md5sum < "$work/c.h5")
rc=0; "$BISECT" step -p "$work/c.h5" --event '{"event":"tilted","angle_deg":30}' 2>"$work/err" || rc=$?
test "$rc" = 2 || { echo "a wrong tilt gave exit code $rc, not 2"; exit 1; }
test "$(wc -l < "$work/err")" = 1
grep -q "angle_deg = 30" "$work/err"
if "$BISECT" step -p "$work/c.h5" --event '{"event":"roi_image","roi":"099","shift_nm":[0,0],"cc":1,"psr":5}' 2>"$work/err"; then echo "accepted an unknown ROI"; exit 1; fi
grep -q "roi = '099'" "$work/err"
if "$BISECT" step -p "$work/c.h5" --event '{"event":"tracking_image","mag":"low","image":"/nonexistent.mrc"}' 2>"$work/err"; then echo "accepted a missing image"; exit 1; fi
"$BISECT" step -p "$work/c.h5" --event '{"event":"tilted","angle_deg":0.01}' > /dev/null
sum_before=$(md5sum < "$work/c.h5")
$py -c "
import mrcfile, numpy
mrcfile.new('$work/small.mrc', numpy.zeros((64, 64), numpy.float32)).close()
mrcfile.new('$work/complex.mrc', numpy.zeros((4096, 4096), numpy.complex64)).close()"
if "$BISECT" step -p "$work/c.h5" --event "{\"event\":\"tracking_image\",\"mag\":\"low\",\"image\":\"$work/small.mrc\"}" 2>"$work/err"; then echo "accepted a wrong-size image"; exit 1; fi
grep -q "64 x 64" "$work/err" && grep -q "4096 x 4096 as in the plan" "$work/err"
if "$BISECT" step -p "$work/c.h5" --event "{\"event\":\"tracking_image\",\"mag\":\"low\",\"image\":\"$work/complex.mrc\"}" 2>"$work/err"; then echo "accepted a complex image"; exit 1; fi
grep -q "mode" "$work/err"
test "$(md5sum < "$work/c.h5")" = "$sum_before"

# Exports: the mdoc files read back by cspt's mdoc importer keep angles, doses and order.
"$BISECT" export mdoc -p "$work/a.h5" -o "$work/mdoc"
test "$(ls "$work/mdoc"/*.mdoc | wc -l)" = 9
grep -q "^DateTime = [0-9][0-9]-[A-Z][a-z][a-z]-20[0-9][0-9]  [0-9:]*$" "$work/mdoc/t1_001.mrc.mdoc"
grep -q "^PriorRecordDose = 24$" "$work/mdoc/t1_001.mrc.mdoc"
$py -c "import mrcfile, numpy; mrcfile.new('$work/mdoc/t1_001.mrc', numpy.zeros((9, 256, 256), numpy.float32)).close()"
"$CSPT" import mdoc --stack "$work/mdoc/t1_001.mrc" -p "$work/imported.h5" > /dev/null
$py - "$work/imported.h5" "$work/steps.txt" <<'PY'
import subprocess, sys
# h5py is not installed; h5dump prints the columns.
out = subprocess.run(["h5dump", "-d", "/tilt_series/t1_001/tilts/nominal_tilt_deg", "-d",
                      "/tilt_series/t1_001/tilts/prior_dose_e_per_A2", sys.argv[1]], capture_output=True, text=True).stdout
nums = [float(x) for x in out.replace(",", " ").split() if x.replace(".", "").replace("-", "").isdigit()]
assert "0.01" in out and "-11.99" in out and "24" in out, out
print("mdoc read back by cspt import mdoc")
PY
"$BISECT" export relion -p "$work/a.h5" -o "$work/relion"
test -s "$work/relion/tilt_series.star"
test "$(ls "$work/relion/tilt_series"/*.star | wc -l)" = 9
# ... and read back by cspt's RELION-5 importer: 9 series of 9 tilts, angles and doses kept (the
# stacks the microscope would have saved stand in as blank files).
$py -c "
import mrcfile, numpy
for i in range(1, 10): mrcfile.new('$work/relion/t1_%03d.mrc' % i, numpy.zeros((9, 256, 256), numpy.float32)).close()"
"$CSPT" import relion -p "$work/relion.h5" --star "$work/relion/tilt_series.star" > /dev/null
h5dump -d /tilt_series/t1_005/tilts/nominal_tilt_deg -d /tilt_series/t1_005/tilts/prior_dose_e_per_A2 \
  "$work/relion.h5" > "$work/relion.txt"
grep -q -- "-11.99" "$work/relion.txt" && grep -q "24" "$work/relion.txt"
test "$(h5dump -a /tilt_series/order "$work/relion.h5" | grep -o '"t1_[0-9]*"' | wc -l)" = 9

# The SerialEM bridge, inside a fake SerialEM, against the real tracker.
# (the fake camera gives every image one size: 4096 x 4096 here, as the plan says)
printf 'name: t1\nscheme: {angles_deg: [0, 3, -3]}\nrois: {n: 3, m: 3, spacing_um: 2.5}\n' > "$work/bridge.yaml"
"$BISECT" plan -c "$work/bridge.yaml" -p "$work/bridge.h5"
BISECT_TRACK="$BISECT" BISECT_PROJECT="$work/bridge.h5" FAKE_SERIALEM_IMAGE_SIZE=4096x4096 \
  $py "$src/tests/acquisition/test_bridge.py"
echo "track_cli: ok"
