#!/bin/bash
# cspt report in a real headless browser: a small simulated run (acquisition tracked by bisect-track,
# simulation, CTF with diagnostics, refinement) is reported twice (explicit folders, and --run), and
# Debian's chromium loads the page offline: no console error, every figure present and non-empty
# (inline SVG with drawing elements, or an embedded PNG), every linked CSV beside the page. The
# screenshot is kept at ${ARTIFACT_DIR:-$PWD}/report_screenshot.png. Exits 77 (skip) without chromium.
source "$(dirname "$0")/lib.sh"
CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
[ -n "$CHROMIUM" ] || { echo "SKIP: chromium not installed (apt-get install --no-install-recommends chromium)"; exit 77; }
BISECT=${BISECT:-$(dirname "$CSPT")/bisect-track}
ARTIFACTS=${ARTIFACT_DIR:-$PWD}
work=$(mktemp -d) && trap 'rm -rf "$work"' EXIT
cd "$work"

# --- a small run, laid out as `cspt run` does (RUN/track, RUN/simulate, RUN/ctf, RUN/refine, RUN/.stages)
mkdir -p run/.stages
stamp() { printf '{"stage": "%s", "wall_s": %.3f}\n' "$1" "$2" > "run/.stages/$1.done.json"; }
timed() { local t0=$(date +%s.%N); "$@"; local rc=$?; LAST_S=$(echo "$(date +%s.%N) - $t0" | bc); return $rc; }
if [ -x "$BISECT" ]; then
  printf 'plan:\n  scheme: {angles_deg: [0, 3, -3, -6, 6, 9, 12, -9, -12, -15, 15, 18, -18, -21, 21, 24]}\n' > scenario.yaml
  timed "$BISECT" simulate --scenario nominal-krios -c scenario.yaml -o run/track --quiet > track.log 2>&1 \
    || { cat track.log; fail "bisect-track simulate"; finish; }
  stamp track "$LAST_S"
else
  echo "note: no bisect-track at $BISECT: the acquisition section will say so"
fi
timed "$CSPT" simulate --model builtin:phantom --particle-box-px 64 --pixel-size-A 2 --image-nx-px 384 --image-ny-px 384 \
  --n-tilt-series 2 --particles-per-series 4 --tilt-scheme bisect36 --dose-per-tilt-e-per-A2 200 --radiation-damage false \
  --target-defocus-A 15000 --seed 4 -o run/simulate > sim.log 2>&1 || { cat sim.log; fail "simulate"; finish; }
stamp simulate "$LAST_S"
timed "$CSPT" ctf -p run/simulate/project.h5 --tile 256 --diagnostics run/ctf/diagnostics > ctf.log 2>&1 \
  || { cat ctf.log; fail "ctf"; finish; }
stamp ctf "$LAST_S"
"$TESTDATA" perturb --project run/simulate/project.h5 --seed 1 > /dev/null
timed "$CSPT" refine -p run/simulate/project.h5 --reference run/simulate/truth/map.mrc --box 64 --sym D3 --iterations 2 \
  --grid-range-deg 4 --grid-step-deg 4 -o run/refine > refine.log 2>&1 || { cat refine.log; fail "refine"; finish; }
stamp refine "$LAST_S"

# --- the report, from explicit folders and from the run folder
explicit=(-p run/simulate/project.h5 --refine run/refine --ctf-diagnostics run/ctf/diagnostics -o explicit)
[ -d run/track ] && explicit+=(--track run/track)
"$CSPT" report "${explicit[@]}" > explicit.log 2>&1 && pass "report from folders: $(cat explicit.log)" \
  || { cat explicit.log; fail "report from folders"; }
timed "$CSPT" report --run run > report.log 2>&1 || { cat report.log; fail "report --run"; finish; }
pass "report --run in $(printf %.2f "$LAST_S") s: $(cat report.log)"
page=$work/run/report/index.html
[ -s "$page" ] || { fail "no $page"; finish; }
figures=$(sed -n 's/.*(\([0-9]*\) figures).*/\1/p' report.log)
[ "$(grep -c "<figure" "$page")" = "$figures" ] && pass "$figures figures on the page" || fail "figure count"
[ -z "$(find run/report -name '.staging-*')" ] && pass "no staging folder left" || fail "staging folder left"

# Bad input: one line naming the problem, exit 2, nothing written.
set +e; "$CSPT" report -p missing.h5 -o bad > /dev/null 2> bad.err; rc=$?; set -e
[ $rc -eq 2 ] && [ "$(wc -l < bad.err)" = 1 ] && grep -q "missing.h5" bad.err && [ ! -e bad ] \
  && pass "missing project: $(cat bad.err)" || fail "missing project: rc $rc, $(cat bad.err)"

set +e; "$CSPT" report -p run/simulate/project.h5 --refine nope -o bad > /dev/null 2> bad.err; rc=$?; set -e
[ $rc -eq 2 ] && grep -q -- "--refine = nope" bad.err && [ ! -e bad ] \
  && pass "missing refinement folder: $(cat bad.err)" || fail "missing refinement folder: rc $rc, $(cat bad.err)"

# The numbers behind the FSC figure agree with the refinement's own summary.
/usr/bin/python3 - "$work" <<'PY' && pass "resolution in fsc_resolution.csv = refine/summary.json" || fail "resolution mismatch"
import csv, json, sys
work = sys.argv[1]
rows = list(csv.DictReader(open(f"{work}/run/report/fsc_resolution.csv")))
want = json.load(open(f"{work}/run/refine/summary.json"))["resolution_A"]
got = float(rows[-1]["resolution_corrected_A"])
sys.exit(0 if abs(got - want) < 1e-3 * want else 1)
PY

# --- the browser: screenshot and DOM, offline, with its own profile
export HOME=$work/home && mkdir -p "$HOME"
browser=("$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking --disable-extensions
         --no-first-run --user-data-dir="$work/profile" --enable-logging=stderr --v=0 --window-size=1400,10000)
"${browser[@]}" --screenshot="$work/screenshot.png" "file://$page" > shot.out 2> shot.err \
  && [ -s screenshot.png ] && pass "screenshot ($(stat -c %s screenshot.png) bytes)" || { tail -5 shot.err; fail "screenshot"; }
cp -f screenshot.png "$ARTIFACTS/report_screenshot.png" 2>/dev/null && echo "screenshot kept at $ARTIFACTS/report_screenshot.png"
"${browser[@]}" --dump-dom "file://$page" > dom.html 2> dom.err && [ -s dom.html ] && pass "DOM dumped" || fail "dump-dom"
# Console messages reach stderr as "CONSOLE" lines; an uncaught error or a missing resource would too.
if grep -hE "CONSOLE|Uncaught|ERR_FILE_NOT_FOUND|Failed to load resource|net::ERR" shot.err dom.err > console.txt; then
  fail "browser console: $(head -3 console.txt)"
else
  pass "no console errors"
fi

# Every figure in the rendered DOM: an SVG that draws something, or embedded PNGs; every CSV beside.
/usr/bin/python3 - "$work/dom.html" "$work/run/report" "$figures" <<'PY' && pass "every figure present and non-empty" || fail "figures"
import base64, os, sys
from html.parser import HTMLParser
DRAW = {"line", "polyline", "polygon", "rect", "circle", "path"}
class Page(HTMLParser):
    def __init__(self):
        super().__init__(); self.figures = []; self.stack = []; self.links = []; self.sections = []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "figure": self.figures.append({"id": a.get("id"), "draw": 0, "svg": 0, "png": []})
        if tag == "section": self.sections.append(a.get("id"))
        if not self.figures or self.figures[-1] is None: pass
        f = self.figures[-1] if self.figures else None
        if f is not None and tag == "svg": f["svg"] += 1
        if f is not None and tag in DRAW: f["draw"] += 1
        if f is not None and tag == "img": f["png"].append(a.get("src", ""))
        if tag == "a" and a.get("href", "").endswith(".csv"): self.links.append(a["href"])
    def handle_startendtag(self, tag, attrs): self.handle_starttag(tag, attrs)
dom, folder, want = sys.argv[1], sys.argv[2], int(sys.argv[3])
p = Page(); p.feed(open(dom).read())
bad = []
if len(p.figures) != want: bad.append(f"{len(p.figures)} figures in the DOM, {want} reported")
for f in p.figures:
    if f["svg"]:
        if f["draw"] < 3: bad.append(f"{f['id']}: SVG draws nothing")
    elif not f["png"]:
        bad.append(f"{f['id']}: neither SVG nor image")
    for src in f["png"]:
        if not src.startswith("data:image/png;base64,"): bad.append(f"{f['id']}: image not embedded"); continue
        png = base64.b64decode(src.split(",", 1)[1])
        if not png.startswith(b"\x89PNG\r\n\x1a\n") or len(png) < 200: bad.append(f"{f['id']}: empty PNG")
for s in ["overview", "fsc", "map", "weighting", "ctf", "acquisition", "orientations", "truth"]:
    if s not in p.sections: bad.append(f"section {s} missing")
for c in set(p.links):
    path = os.path.join(folder, c)
    if not os.path.exists(path) or len(open(path).read().splitlines()) < 2: bad.append(f"{c}: missing or empty")
print(f"{len(p.figures)} figures, {len(set(p.links))} CSV files")
for b in bad: print("  " + b)
sys.exit(1 if bad else 0)
PY
if [ -d run/track ]; then
  grep -q 'id="fig-acquisition_pattern"' dom.html && grep -q 'id="fig-track_targeting_truth"' dom.html \
    && pass "acquisition figures from the track folder" || fail "acquisition figures"
fi
finish
