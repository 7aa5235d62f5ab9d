#!/bin/bash
# Bad input: each case exits non-zero with exactly one line on stderr that names the file, the field
# and the value or expectation, and leaves no output folder behind.
source "$(dirname "$0")/lib.sh"
fx=${1:?fixture folder}
work=$(mktemp -d) && trap 'rm -rf "$work"' EXIT
cp "$fx"/particles.star "$fx"/particles.mrcs "$work"/ && cd "$work"
PY=/usr/bin/python3

# expect_error NAME 'PATTERN1|...' -- ARGS...: non-zero exit, one stderr line, each pattern in it.
expect_error() {
  local name=$1 patterns=$2; shift 3
  local out="$work/out_$name"
  set +e; "$CSPT" reconstruct "$@" -o "$out" > stdout.txt 2> stderr.txt; local rc=$?; set -e
  # Progress lines (the banner, the memory statement and "inserted ..." lines) may precede the error.
  grep -vE 'projections of .* particles, box|inserted [0-9]+/[0-9]+ projections|insertion, peak memory per rank about' stderr.txt > error.txt || true
  mv error.txt stderr.txt
  local lines; lines=$(grep -c . stderr.txt || true)
  if [ $rc -eq 0 ]; then fail "$name: exit code 0"; return; fi
  if [ "$lines" -ne 1 ]; then fail "$name: $lines lines on stderr"; cat stderr.txt; return; fi
  local IFS='|'
  for p in $patterns; do grep -qF -- "$p" stderr.txt || { fail "$name: '$p' not in: $(cat stderr.txt)"; return; }; done
  [ ! -e "$out" ] || { fail "$name: output folder left behind"; return; }
  pass "$name (exit $rc): $(cat stderr.txt)"
}

# Truncated stack.
head -c 2000000 particles.mrcs > truncated.mrcs
sed 's/particles\.mrcs/truncated.mrcs/' particles.star > truncated.star
expect_error truncated_mrc 'truncated.mrcs|file size|expected' -- --star truncated.star

# Unsupported MRC mode (4: complex).
cp particles.mrcs mode4.mrcs
$PY -c "import struct; f=open('mode4.mrcs','r+b'); f.seek(12); f.write(struct.pack('<i', 4))"
sed 's/particles\.mrcs/mode4.mrcs/' particles.star > mode4.star
expect_error unsupported_mode 'mode4.mrcs|mode|4' -- --star mode4.star
# A run that would need more memory per rank than allowed stops before any work.
expect_error memory_limit "--max-memory-gb|peak memory per rank = |at most 0.01 GB" -- --star particles.star --max-memory-gb 0.01

# Not an MRC file at all.
head -c 5000 particles.star > text.mrcs
sed 's/particles\.mrcs/text.mrcs/' particles.star > text.star
expect_error not_mrc 'text.mrcs' -- --star text.star

# NaN pixels in image 17.
cp particles.mrcs nan.mrcs
$PY -c "import struct; f=open('nan.mrcs','r+b'); f.seek(1024 + 16*64*64*4 + 100*4); f.write(struct.pack('<f', float('nan')))"
sed 's/particles\.mrcs/nan.mrcs/' particles.star > nan.star
expect_error nan_pixels 'nan.mrcs|section 16|NaN|finite' -- --star nan.star

# A STAR file without a needed column.
sed 's/^_rlnDefocusU /_rlnSomethingElse /' particles.star > nodefocus.star
expect_error missing_column 'nodefocus.star|rlnDefocusU|missing' -- --star nodefocus.star

# Two optics groups with different pixel sizes: a second group at 1.75 A, used by particle 2.
$PY - <<'PYEOF'
lines = open('particles.star').read().split('\n')
out, section, optics_labels, particle_labels, n = [], None, [], [], 0
for ln in lines:
    if ln.startswith('data_'): section = ln
    elif ln.startswith('_rln'):
        (optics_labels if section == 'data_optics' else particle_labels).append(ln.split()[0])
    elif section == 'data_optics' and ln.strip() and not ln.startswith('loop_') and not ln.startswith('#'):
        f = ln.split()
        f[optics_labels.index('_rlnOpticsGroup')] = '2'
        f[optics_labels.index('_rlnOpticsGroupName')] = 'opticsGroup2'
        f[optics_labels.index('_rlnImagePixelSize')] = '1.75'
        out.append(ln)
        ln = ' '.join(f)
    elif section == 'data_particles' and '@' in ln:
        n += 1
        if n == 2:
            f = ln.split()
            f[particle_labels.index('_rlnOpticsGroup')] = '2'
            ln = ' '.join(f)
    out.append(ln)
open('twopix.star', 'w').write('\n'.join(out))
PYEOF
expect_error pixel_mismatch 'twopix.star|rlnImagePixelSize|1.75' -- --star twopix.star

# A mask whose pixel size does not match the particles'.
$PY -c "
import numpy as np, mrcfile
with mrcfile.new('mask3A.mrc', overwrite=True) as m:
    m.set_data(np.ones((64,64,64), np.float32)); m.voxel_size = 3.0"
expect_error mask_pixel 'mask3A.mrc|pixel size|3' -- --star particles.star --mask mask3A.mrc

# No particles at all.
awk '/^data_particles/{p=1} !(p && /@/){print}' particles.star > empty.star
expect_error empty_set 'empty.star|data_particles|0' -- --star empty.star

# Bad option values and config keys.
expect_error bad_symmetry 'sym|X5' -- --star particles.star --sym X5
printf 'reconstruct:\n  star: particles.star\n  padd: 3\n' > bad.yaml
expect_error bad_config_key 'bad.yaml:3|padd' -- -c bad.yaml
expect_error missing_star 'nothere.star' -- --star nothere.star
finish
