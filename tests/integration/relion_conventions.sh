#!/bin/bash
# Conventions pinned against RELION: exact real-space projections of a Gaussian-atom phantom, with
# our Euler angles, origin shifts and CTF (RELION sign at export), must equal what relion_project
# makes from the same STAR file. Each wrong convention is shown to fail.
source "$(dirname "$0")/lib.sh"
work=$(mktemp -d) && trap 'rm -rf "$work"' EXIT
cd "$work"
command -v relion_project >/dev/null || { echo "relion_project missing: scripts/test installs Debian's relion"; exit 1; }
common=(--box 64 --apix 2 --atoms 40 --radius-A 40 --seed 5)
"$TESTDATA" projections "${common[@]}" --n 200 --star-seed 3 --stack ours.mrcs --out ours.star > /dev/null
"$TESTDATA" phantom "${common[@]}" --out truth.mrc > /dev/null
run_relion() { relion_project --i truth.mrc --ang "$1" --ctf --o "$2" > "$2.log" 2>&1; }
run_relion ours.star rel
"$TESTDATA" stackcorr --a ours.mrcs --b rel.mrcs --min-corr 0.999 && pass "Euler angles, origins and CTF agree with relion_project" \
  || fail "projections differ from relion_project"

# Negative controls: each wrong convention in turn must break the agreement.
/usr/bin/python3 - <<'PY'
import re
lines = open('ours.star').read().split('\n')
labels, section = [], None
for ln in lines:
    if ln.startswith('data_'): section = ln
    elif ln.startswith('_rln') and section == 'data_particles': labels.append(ln.split()[0])
def variant(name, edit):
    out, sec = [], None
    for ln in lines:
        if ln.startswith('data_'): sec = ln
        if sec == 'data_particles' and '@' in ln:
            f = ln.split(); edit(f); ln = ' '.join(f)
        out.append(ln)
    open(name, 'w').write('\n'.join(out))
ix = {l: labels.index(l) for l in labels}
def neg_origin(f):
    for k in ('_rlnOriginXAngst', '_rlnOriginYAngst'): f[ix[k]] = str(-float(f[ix[k]]) * 2 - 1.5)
def swap_rot_psi(f): f[ix['_rlnAngleRot']], f[ix['_rlnAnglePsi']] = f[ix['_rlnAnglePsi']], f[ix['_rlnAngleRot']]
variant('origin.star', neg_origin)
variant('rotpsi.star', swap_rot_psi)
PY
for v in origin rotpsi; do
  run_relion $v.star rel_$v
  if "$TESTDATA" stackcorr --a ours.mrcs --b rel_$v.mrcs --min-corr 0.95 > /dev/null; then
    fail "negative control $v still agrees"
  else pass "negative control $v: $("$TESTDATA" stackcorr --a ours.mrcs --b rel_$v.mrcs | head -1)"; fi
done
finish
