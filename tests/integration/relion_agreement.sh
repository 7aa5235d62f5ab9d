#!/bin/bash
# cspt reconstruct against relion_reconstruct on particles made by relion_project (CTF, origins, noise):
# half-maps correlate >= 0.99 within the particle, and the FSC against the truth is nowhere more
# than 0.02 below RELION's below 0.9 Nyquist.
source "$(dirname "$0")/lib.sh"
fx=${1:?fixture folder}
work=$(mktemp -d) && trap 'rm -rf "$work"' EXIT
cd "$fx"
"$CSPT" reconstruct --star particles.star -o "$work/out" --threads 2
for h in 1 2; do
  if "$TESTDATA" compare --a "$work/out/half$h.mrc" --b relion_half$h.mrc --truth truth.mrc --mask-radius-A 50 \
       --corr-mask-radius-A 50 --min-corr 0.99 --max-fsc-deficit 0.02 --upto 0.9; then
    pass "half $h agrees with relion_reconstruct"
  else fail "half $h differs from relion_reconstruct"; fi
done
# Negative control: the same particles reconstructed without CTF correction must not agree.
"$CSPT" reconstruct --star particles.star -o "$work/noctf" --no-ctf --threads 2 > /dev/null 2>&1
if "$TESTDATA" compare --a "$work/noctf/half1.mrc" --b relion_half1.mrc --corr-mask-radius-A 50 --min-corr 0.99 > /dev/null; then
  fail "ignoring the CTF still matched RELION: the comparison cannot fail"
else pass "negative control: without CTF correction the map no longer matches"; fi
res=$(json_get "$work/out/summary.json" resolution_A)
/usr/bin/python3 -c "import sys; r=float(sys.argv[1]); sys.exit(0 if 4.0 <= r < 8.0 else 1)" "$res" \
  && pass "gold-standard resolution $res A is plausible (Nyquist 4 A)" || fail "resolution $res A"
finish
