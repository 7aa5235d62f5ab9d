#!/bin/bash
# cspt refine with on-the-fly extraction (refine.extraction: on-the-fly): no particles.mrcs in the
# run folder, each rank cuts its projections from the raw tilt series, and the result equals the
# stored-stack run's (maps to 1e-6 relative, poses to 1e-6) at 1 and 2 ranks; an on-the-fly run
# resumes (to the same iteration 2 as the stored run resumed) and refuses to resume as stored.
source "$(dirname "$0")/../integration/lib.sh"
work=$(mktemp -d) && trap 'rm -rf "$work"' EXIT
cd "$work"
"$CSPT" simulate --model builtin:phantom --particle-box-px 64 --pixel-size-A 2 --image-nx-px 256 --image-ny-px 256 \
  --n-tilt-series 2 --particles-per-series 5 --tilt-scheme bisect36 --dose-per-tilt-e-per-A2 500 \
  --radiation-damage false --ice-background-rms-rad 0.01 --target-defocus-A 12000 --defocus-spread-A 2000 \
  --ice-thickness-A 400 --seed 5 -o sim > sim.log 2>&1 || { cat sim.log; fail "simulate"; finish; }
cp sim/project.h5 sim/start.h5
"$TESTDATA" perturb --project sim/start.h5 --seed 2 > /dev/null
args=(--reference sim/truth/map.mrc --box 64 --sym D3 --grid-range-deg 8 --grid-step-deg 4 --max-evaluations 60
      --tilt-rounds 1)
run() {  # run NAME RANKS ITERATIONS EXTRACTION
  [ -f "sim/$1.h5" ] || cp sim/start.h5 "sim/$1.h5"
  "${MPIRUN[@]}" -n "$2" "$CSPT" refine -p "sim/$1.h5" -o "$1" "${args[@]}" --iterations "$3" --extraction "$4" \
    --threads 1 >> "$1.log" 2>&1
}
same() {  # same A B: maps within 1e-6 relative, projection poses and tilts within 1e-6
  "$TESTDATA" compare --a "$1/map.mrc" --b "$2/map.mrc" --max-rel-diff 1e-6 > cmp.txt || { cat cmp.txt; return 1; }
  echo "map: $(head -1 cmp.txt)"
  /usr/bin/python3 - "$1" "$2" <<'PY'
import csv, sys
for name in ("projections.csv", "tilts.csv"):
    a = list(csv.DictReader(open(f"{sys.argv[1]}/{name}"))); b = list(csv.DictReader(open(f"{sys.argv[2]}/{name}")))
    assert len(a) == len(b) > 0, name
    worst = 0.0
    for p, q in zip(a, b):
        for k, x in p.items():
            try:
                worst = max(worst, abs(float(x) - float(q[k])) / max(1.0, abs(float(q[k]))))
            except ValueError:
                assert x == q[k], (name, k, x, q[k])
    assert worst <= 1e-6, f"{name}: {worst}"
    print(f"{name}: largest relative difference {worst:.1e}")
PY
}
for n in 1 2; do
  run "stored$n" $n 1 stored || { cat "stored$n.log"; fail "$n rank(s): stored run"; continue; }
  run "fly$n" $n 1 on-the-fly || { cat "fly$n.log"; fail "$n rank(s): on-the-fly run"; continue; }
  [ -f "stored$n/particles.mrcs" ] && [ ! -e "fly$n/particles.mrcs" ] && [ -f "fly$n/extraction.csv" ] \
    && pass "$n rank(s): on the fly, the run folder holds the box table and no stack" || fail "$n rank(s): run folder"
  same "fly$n/iter_001" "stored$n/iter_001" > same.txt && pass "$n rank(s): on-the-fly = stored ($(tr '\n' ' ' < same.txt))" \
    || { cat same.txt; fail "$n rank(s): on-the-fly and stored differ"; }
  grep -h "images of" "stored$n.log" "fly$n.log" | sed 's/^/  /'
done
# Resume: both 1-rank runs continue to iteration 2; on the fly, still without a stack.
run stored1 1 2 stored && run fly1 1 2 on-the-fly || { cat fly1.log; fail "resume"; }
grep -q "resuming after iter_001" fly1.log && [ -f fly1/iter_002/summary.json ] && [ ! -e fly1/particles.mrcs ] \
  && pass "on-the-fly run resumed after iter_001 without a stack" || { cat fly1.log; fail "on-the-fly resume"; }
same fly1/iter_002 stored1/iter_002 > same.txt && pass "resumed: on-the-fly = stored at iter_002" \
  || { cat same.txt; fail "resumed runs differ"; }
# The mode is part of the run's options: resuming an on-the-fly folder as stored is refused in one line.
if run fly1 1 3 stored; then fail "mode change on resume accepted"; else
  line=$(grep -m1 "refine_options.json: extraction" fly1.log) && pass "mode change refused: $line" \
    || { tail -5 fly1.log; fail "refusal message"; }
fi
finish
