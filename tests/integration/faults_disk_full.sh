#!/bin/bash
# Faults: the disk fills up while maps are written. The output folders sit on a small tmpfs:
# - cspt reconstruct: a first run fits; a second run into the same folder does not. It exits 2 with
#   one line naming the map and "No space left on device"; the first run's files are byte-identical,
#   no temporary or staging file is left and the space is given back.
# - cspt refine: iter_001 fits, iter_002 does not. Exit 2, one line naming the map; iter_001 and the
#   project file (iter_001's state) intact, no partial iteration folder left; with more room the same
#   command resumes after iter_001 and finishes.
# Skipped (exit 77) where tmpfs cannot be mounted (not root, no CAP_SYS_ADMIN).
source "$(dirname "$0")/lib.sh"
work=$(mktemp -d)
mounted=()
cleanup() { for m in "${mounted[@]}"; do umount "$m" 2> /dev/null || umount -l "$m"; done; rm -rf "$work"; }
trap cleanup EXIT
cd "$work"
small_disk() {  # DIR SIZE
  mkdir -p "$1"
  mount -t tmpfs -o size="$2" tmpfs "$1" 2> /dev/null || { echo "SKIP: cannot mount a tmpfs here"; exit 77; }
  mounted+=("$1")
}
"$CSPT" simulate --model builtin:phantom --particle-box-px 64 --pixel-size-A 2 --image-nx-px 256 --image-ny-px 256 \
  --n-tilt-series 2 --particles-per-series 3 --tilt-scheme bisect36 --dose-per-tilt-e-per-A2 200 \
  --radiation-damage false --target-defocus-A 12000 --seed 4 -o sim > sim.log 2>&1 || { cat sim.log; fail "simulate"; finish; }
"$CSPT" extract -p sim/project.h5 --box 64 --geometry truth -o ex > ex.log 2>&1 || { cat ex.log; fail "extract"; finish; }

# reconstruct: three 1 MiB maps fit in 5 MiB once, not twice.
small_disk disk1 5m
rec=(--star ex/particles.star --sym D3 --threads 1 -o disk1/rec)
"$CSPT" reconstruct "${rec[@]}" > rec1.log 2>&1 || { cat rec1.log; fail "first reconstruct"; finish; }
(cd disk1/rec && sha256sum * > ../../before.sha)
used_before=$(df --output=used disk1 | tail -1)
set +e; "$CSPT" reconstruct "${rec[@]}" > /dev/null 2> rec2.err; rc=$?; set -e
# Progress goes to stderr too: the error is its last line, and the only one about the disk.
if [ $rc = 2 ] && [ "$(grep -c 'No space left on device' rec2.err)" = 1 ] \
   && tail -1 rec2.err | grep -Eq '^cspt reconstruct: disk1/rec/(half1|half2|map)\.mrc: write = No space left on device'; then
  pass "reconstruct on a full disk: exit 2: $(tail -1 rec2.err)"
else fail "reconstruct on a full disk: exit $rc: $(cat rec2.err)"; fi
(cd disk1/rec && sha256sum -c --quiet ../../before.sha) && [ "$(ls -A disk1/rec | wc -l)" = "$(wc -l < before.sha)" ] \
  && pass "the first run's $(wc -l < before.sha) files are byte-identical" || { ls -la disk1/rec; fail "first outputs changed"; }
[ -z "$(find disk1 -name '.staging-*' -o -name '*.tmp-*')" ] && [ "$(df --output=used disk1 | tail -1)" = "$used_before" ] \
  && pass "no temporary file left, space given back" || { find disk1; fail "leftovers on the full disk"; }

# refine: the run folder (extraction 2.3 MiB, start project, iter_001 3.3 MiB) fits in 7 MiB; iter_002 does not.
"$TESTDATA" perturb --project sim/project.h5 --seed 1 > /dev/null
small_disk disk2 7m
ref=(-p sim/project.h5 -o disk2/run --reference sim/truth/map.mrc --box 64 --sym D3 --iterations 2 --threads 2
     --grid-range-deg 4 --grid-step-deg 4)
set +e; "$CSPT" refine "${ref[@]}" > ref.out 2> ref.err; rc=$?; set -e
if [ $rc = 2 ] && [ "$(grep -c 'No space left on device' ref.err)" = 1 ] \
   && tail -1 ref.err | grep -Eq '^cspt refine: disk2/run/\.iter_002\.part/(half1|half2|map)\.mrc: write = No space left on device'; then
  pass "refine on a full disk: exit 2: $(tail -1 ref.err)"
else cat ref.out; df -h disk2; ls -la disk2/run; fail "refine on a full disk: exit $rc: $(cat ref.err)"; fi
[ -s disk2/run/iter_001/summary.json ] && [ ! -e disk2/run/iter_002 ] && [ -z "$(find disk2 -name '.iter_*' -o -name '*.tmp-*')" ] \
  && pass "iter_001 complete, no iter_002 and no partial folder" || { find disk2; fail "refine folders"; }
cmp -s sim/project.h5 disk2/run/iter_001/project.h5 && pass "project file holds iter_001's state" || fail "project file"
mount -o remount,size=20m disk2
"$CSPT" refine "${ref[@]}" > ref2.log 2>&1 && grep -q "resuming after iter_001" ref2.log && [ -s disk2/run/iter_002/map.mrc ] \
  && pass "with room again: resumed after iter_001 and finished" || { cat ref2.log; fail "resume after the disk was enlarged"; }
finish
