#!/bin/bash
# Through the command line and files: exact real-space projections of a Gaussian-atom phantom (no CTF,
# no noise) at uniform orientations reconstruct to FSC >= 0.95 against the truth up to 0.8 Nyquist.
source "$(dirname "$0")/lib.sh"
work=$(mktemp -d) && trap 'rm -rf "$work"' EXIT
cd "$work"
"$TESTDATA" projections --no-ctf --n 3000 --star-seed 99 --box 64 --apix 2 --atoms 250 --radius-A 40 --seed 11 \
  --stack exact.mrcs --out exact.star
"$TESTDATA" phantom --box 64 --apix 2 --atoms 250 --radius-A 40 --seed 11 --out truth.mrc > /dev/null
"$CSPT" reconstruct --star exact.star -o out --no-ctf --threads 2
if "$TESTDATA" compare --a out/map.mrc --b out/half1.mrc --truth truth.mrc --mask-radius-A 60 --min-fsc-truth 0.95 --upto 0.8; then
  pass "map matches the analytic truth to 0.8 Nyquist"
else fail "map vs truth"; fi
finish
