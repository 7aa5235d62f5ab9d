#!/bin/bash
# Faults: a raw tilt-series stack that cannot be read (truncated, deleted, a corrupt header, a NaN or
# an Inf pixel in a tilt read late in the series). Under extract.on-unreadable-series = stop (the
# default) extraction fails with one line naming the stack, the tilt series, the section and the
# reason, and leaves no output; under skip that series is left out with one warning line, listed in
# summary.json, and the stack holds exactly the other series' boxes, byte-identical to a clean run
# (a series failing half-way is taken back whole). The same through the extract stage of cspt run;
# its ctf stage stops naming the series, under 2 ranks, without a rank left waiting.
source "$(dirname "$0")/lib.sh"
work=$(mktemp -d) && trap 'rm -rf "$work"' EXIT
cd "$work"
"$CSPT" simulate --model builtin:phantom --particle-box-px 48 --pixel-size-A 2 --image-nx-px 192 --image-ny-px 192 \
  --n-tilt-series 3 --particles-per-series 2 --tilt-scheme bisect36 --dose-per-tilt-e-per-A2 200 \
  --radiation-damage false --target-defocus-A 12000 --seed 4 -o sim > sim.log 2>&1 || { cat sim.log; fail "simulate"; finish; }
stack=sim/tilt_series/ts_002.mrc
[ -s "$stack" ] || { ls -R sim; fail "no $stack"; finish; }
cp "$stack" clean.mrc
ex=(-p sim/project.h5 --box 48 --geometry truth)
"$CSPT" extract "${ex[@]}" -o clean > clean.log 2>&1 || { cat clean.log; fail "clean extract"; finish; }
[ "$(/usr/bin/python3 -c "import json; print(json.load(open('clean/summary.json'))['skipped_series'])")" = "[]" ] \
  && pass "clean run: $(tail -1 clean.log)" || fail "clean run lists skipped series"

# The section of ts_002 read last (its last tilt in acquisition order), where a bad pixel goes.
last=$(h5dump -y -w 0 -d /tilt_series/ts_002/tilts/section sim/project.h5 | grep -m1 -A1 'DATA {' | tail -1 | tr -d ' ' | awk -F, '{print $NF}')
damage() {  # KIND: break ts_002's stack
  cp clean.mrc "$stack"
  case $1 in
    truncated) truncate -s $(($(stat -c %s clean.mrc) / 2)) "$stack" ;;
    deleted) rm "$stack" ;;
    header) printf '\x07\x00\x00\x00' | dd of="$stack" bs=1 seek=12 conv=notrunc status=none ;;  # mode 7
    nan|inf) /usr/bin/python3 - "$stack" "$last" "$1" <<'EOF'
import sys, numpy as np
path, section, kind = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(path, 'r+b') as f:
    nx, ny = np.frombuffer(f.read(8), '<i4')
    f.seek(1024 + 4 * (section * nx * ny + 7 * nx + 5))  # pixel (5, 7) of that section
    f.write(np.array([np.nan if kind == 'nan' else np.inf], '<f4').tobytes())
EOF
    ;;
  esac
}
# stop: one line naming the stack, the series, the section or part, and the reason; no output folder.
expect_stop() {  # KIND 'PAT1|PAT2'
  damage "$1"
  set +e; "$CSPT" extract "${ex[@]}" -o stop_$1 > /dev/null 2> stop_$1.err; local rc=$?; set -e
  local IFS='|' ok=1
  for p in ts_002.mrc "tilt series ts_002" $2; do grep -qF -- "$p" stop_$1.err || ok=0; done
  if [ $rc = 2 ] && [ "$(wc -l < stop_$1.err)" = 1 ] && [ $ok = 1 ] && [ ! -e stop_$1 ]; then pass "stop, $1: $(cat stop_$1.err)"
  else fail "stop, $1: exit $rc: $(cat stop_$1.err)"; fi
}
expect_stop truncated 'file size'
expect_stop deleted 'No such file'
expect_stop header 'mode'
expect_stop nan "section $last|NaN"
expect_stop inf "section $last|Inf"

# skip: the other series complete and byte-identical to the clean run; ts_002 listed.
check_skip() {  # NAME DIR LOG
  local name=$1 dir=$2 log=$3
  [ "$(grep -c 'warning: tilt series ts_002 skipped' "$log")" = 1 ] || { cat "$log"; fail "$name: no single warning line"; return; }
  /usr/bin/python3 - clean "$dir" > check.txt 2>&1 <<'EOF' || { cat check.txt; fail "$name: $(tail -1 check.txt)"; return; }
import json, sys, mrcfile, numpy as np
clean, got = sys.argv[1], sys.argv[2]
s = json.load(open(got + '/summary.json'))
assert [x['name'] for x in s['skipped_series']] == ['ts_002'], s['skipped_series']
assert 'ts_002.mrc' in s['skipped_series'][0]['stack'] and s['skipped_series'][0]['reason'], s['skipped_series']
a = mrcfile.open(clean + '/particles.mrcs', permissive=True).data
b = mrcfile.open(got + '/particles.mrcs', permissive=True).data
rows = [l for l in open(got + '/particles.star') if '@' in l]
assert len(rows) == s['n_projections'] == b.shape[0], (len(rows), s['n_projections'], b.shape)
n2 = a.shape[0] - b.shape[0]
assert n2 > 0, 'nothing left out'
n1 = 0
while n1 < b.shape[0] and np.array_equal(a[n1], b[n1]): n1 += 1
assert n1 > 0 and np.array_equal(b[n1:], a[n1 + n2:]), 'the other series differ from the clean run'
print(f'{b.shape[0]} boxes = clean {a.shape[0]} minus ts_002\'s {n2}; ts_001 ({n1}) and ts_003 byte-identical')
EOF
  pass "$name: $(tail -1 check.txt); $(grep -m1 warning "$log" | cut -c1-160)"
}
for kind in truncated deleted nan inf; do
  damage $kind
  "$CSPT" extract "${ex[@]}" -o skip_$kind --on-unreadable-series skip > skip_$kind.log 2>&1 || { cat skip_$kind.log; fail "skip, $kind"; continue; }
  check_skip "skip, $kind" skip_$kind skip_$kind.log
done

# The extract stage of cspt run, under 2 ranks: the config's policy, the same outcomes.
printf 'run:\n  track: false\n  threads: 1\nsimulate:\n  seed: 4\n  model: builtin:phantom\n  particle_box_px: 48\n  pixel_size_A: 2\n  image_nx_px: 192\n  image_ny_px: 192\n  n_tilt_series: 3\n  particles_per_series: 2\n  tilt_scheme: bisect36\n  dose_per_tilt_e_per_A2: 200\n  radiation_damage: false\n  target_defocus_A: 12000\nctf:\n  tile: 128\n  min-res: 30\n  max-res: 8\nextract:\n  box: 48\n  geometry: truth\n' > pipe.yaml
"${MPIRUN[@]}" -n 2 "$CSPT" run -c pipe.yaml -o run --until ctf > run.log 2>&1 || { cat run.log; fail "run until ctf"; finish; }
rstack=$(ls run/simulate/tilt_series/ts_002.mrc 2>/dev/null || find run -name ts_002.mrc | head -1)
cp "$rstack" run_clean.mrc
"${MPIRUN[@]}" -n 2 "$CSPT" run -c pipe.yaml -o run --only extract > /dev/null 2> run_clean.log || { cat run_clean.log; fail "run extract, clean"; }
cp -r run/extract clean_run
/usr/bin/python3 - "$rstack" "$last" <<'EOF'
import sys, numpy as np
with open(sys.argv[1], 'r+b') as f:
    nx, ny = np.frombuffer(f.read(8), '<i4')
    f.seek(1024 + 4 * int(sys.argv[2]) * nx * ny)
    f.write(np.array([np.nan], '<f4').tobytes())
EOF
set +e; timeout 60 "${MPIRUN[@]}" -n 2 "$CSPT" run -c pipe.yaml -o run --only extract --force > /dev/null 2> run_stop.err; rc=$?; set -e
grep -q "ts_002.mrc: tilt series ts_002, section $last = NaN: finite pixel values" run_stop.err && [ $rc = 2 ] \
  && pass "run, stop (exit $rc): $(grep -m1 'NaN' run_stop.err)" || { cat run_stop.err; fail "run, stop (exit $rc)"; }
printf '  on-unreadable-series: skip\n' >> pipe.yaml
"${MPIRUN[@]}" -n 2 "$CSPT" run -c pipe.yaml -o run --only extract > /dev/null 2> run_skip.log || { cat run_skip.log; fail "run, skip"; finish; }
rm -rf clean && mv clean_run clean
check_skip "run, skip" run/extract run_skip.log
# The ctf stage reads the raw stacks on both ranks (ts_002 on rank 1): it stops naming the series,
# and no rank is left waiting for the one that failed.
t0=$(date +%s)
set +e; timeout 60 "${MPIRUN[@]}" -n 2 "$CSPT" run -c pipe.yaml -o run --only ctf --force > /dev/null 2> ctf_stop.err; rc=$?; set -e
grep -q "ts_002.mrc: tilt series ts_002, section $last = NaN: finite pixel values" ctf_stop.err && [ $rc = 2 ] \
  && pass "run ctf, stop (exit $rc after $(($(date +%s) - t0)) s): $(grep -m1 'NaN' ctf_stop.err)" || { cat ctf_stop.err; fail "run ctf, stop (exit $rc)"; }
finish
