#!/usr/bin/env bash
# bisect-track under load (bench/track_load.py): one `serve` process answering a whole acquisition
# at full rate (closed loop) with malformed lines interleaved and SIGKILLs in the middle of events;
# every event answered once, every accepted event in the project's tables, the final project equal
# to an uninterrupted clean run's, the file byte-identical across every refused line. Then: no
# tracker command opens a socket (pipes only; nothing is reachable from the network).
# The bench runs the same driver with 10,000 events (docs/tracker-protocol.md, "Under load").
set -euo pipefail
: "${BISECT:?}"
BISECT=$(readlink -f "$BISECT")
src=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
py=/usr/bin/python3

# 1) load: ~600 events, 9 ROIs, 8 kills, malformed lines, compared with a clean run.
$py "$src/bench/track_load.py" --bisect "$BISECT" --events 600 --lattice 3 --kills 8 --malformed --compare \
  --work "$work/load" --json "$work/load.json" > /dev/null 2> "$work/refused.txt"
$py - "$work/load.json" <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))
assert f["events"] >= 600 and f["kills"] == 8 and f["refused"] > 0 and f["same_as_clean_run"], f
assert f["socket_checks"] >= 1, f
r = f["round_trip_ms"]
print("track_load: %d events, round trip p50 %.1f ms, p99 %.1f ms, max %.1f ms, %.0f events/s; "
      "%d malformed lines refused; %d kills (%d events sent again)"
      % (f["events"], r["p50"], r["p99"], r["max"], f["events_per_s"], f["refused"], f["kills"], f["resent_after_kill"]))
PY
# every kind of malformed line was tried
for name in "invalid JSON" "truncated line" "binary garbage" "10 MB line" "NaN literal" "Infinity literal" \
            "unknown event" "missing event" "deep nesting" "answers a different action" "string where a number" \
            "tilt out of range" "missing field" "cc out of range" "num_frames huge" "another ROI" "time_s negative"; do
  grep -q "^refused $name:" "$work/refused.txt" || { echo "malformed case '$name' was not tried"; exit 1; }
done

# 2) no sockets. The acquisition sources call no socket API and the bridge imports no network module.
if grep -rnE '\b(socket|bind|listen|connect|accept4?|getaddrinfo)\s*\(' "$src/acquisition" --include='*.cpp' --include='*.hpp'; then
  echo "socket calls in acquisition/"; exit 1
fi
if grep -rnE '^\s*(import|from)\s+(socket|socketserver|http|xmlrpc|asyncio)' "$src/acquisition"; then
  echo "a network module in acquisition/"; exit 1
fi
printf 'name: s\nscheme: {angles_deg: [0, 3, -3]}\nrois: {n: 2, m: 2, spacing_um: 2.5}\n' > "$work/s.yaml"
"$BISECT" plan -c "$work/s.yaml" -p "$work/s.h5" 2> /dev/null
printf 'plan:\n  name: s\n  scheme: {angles_deg: [0, 3, -3, 6, -6, 9]}\n  rois: {n: 2, m: 2, spacing_um: 2.5}\n' > "$work/sim.yaml"
# simulate: its file descriptors while it runs
"$BISECT" simulate --scenario ideal -c "$work/sim.yaml" -o "$work/sim" --quiet > /dev/null &
sim=$!
while kill -0 "$sim" 2>/dev/null; do
  if ls -l "/proc/$sim/fd" 2>/dev/null | grep -q 'socket:'; then echo "simulate holds a socket"; exit 1; fi
  sleep 0.05
done
wait "$sim"
# step, serve and simulate under strace: not one network system call (socket, bind, listen, ...).
if strace -f -o /dev/null true 2>/dev/null; then
  # LeakSanitizer cannot run under ptrace: in sanitizer builds the traced runs skip the leak check.
  export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
  strace -f -qq -e trace=network -o "$work/step.trace" "$BISECT" step -p "$work/s.h5" --event '{"event":"begin"}' > /dev/null
  echo '{"event":"tilted","angle_deg":0}' | strace -f -qq -e trace=network -o "$work/serve.trace" \
    "$BISECT" serve -p "$work/s.h5" > /dev/null
  strace -f -qq -e trace=network -o "$work/sim.trace" "$BISECT" simulate --scenario ideal -c "$work/sim.yaml" -o "$work/sim2" --quiet > /dev/null
  for t in step serve sim; do
    if grep -v -e '+++ exited' -e '--- SIG' "$work/$t.trace" | grep -q .; then
      echo "$t made network system calls:"; cat "$work/$t.trace"; exit 1
    fi
  done
  echo "track_load: step, serve and simulate made no network system call (strace)"
else
  echo "track_load: strace cannot trace here; the /proc checks stand alone"
fi
echo "track_load: ok"
