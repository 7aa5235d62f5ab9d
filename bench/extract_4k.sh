#!/usr/bin/env bash
# Extraction benchmark: 1,000 particles x 41 tilts, box 128, from 4096 x 4096 tilt images
# (issue target: < 30 s on 2 cores). The stack is synthetic noise with a SerialEM .mdoc (bisect60
# order): extraction cost does not depend on the content.
#   bench/extract_4k.sh [WORK_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-/tmp/cspt-bench-extract}
CSPT=$root/build/cspt
[ -x "$CSPT" ] || "$root/scripts/build"
mkdir -p "$work" && cd "$work"
if [ ! -s ts4k.mrc ]; then
  echo "== writing a 41 x 4096 x 4096 stack and its .mdoc"
  /usr/bin/python3 - <<'PY'
import numpy as np, mrcfile
angles = [0,3,-3,-6,6,9,-9,-12,12,15,-15,-18,-21,18,21,24,27,-24,-27,-30,-33,30,33,36,39,42,-36,-39,-42,-45,-48,45,48,51,54,57,60,-51,-54,-57,-60]
rng = np.random.default_rng(1)
with mrcfile.new_mmap('ts4k.mrc', shape=(41, 4096, 4096), mrc_mode=2, overwrite=True) as m:
    for i in range(41):
        m.data[i] = rng.normal(10.0, 3.0, (4096, 4096)).astype(np.float32)
    m.voxel_size = 1.0
with open('ts4k.mrc.mdoc', 'w') as f:
    f.write('PixelSpacing = 1.0\nVoltage = 300\nImageFile = ts4k.mrc\n\n')
    for z, a in enumerate(angles):
        f.write(f'[ZValue = {z}]\nTiltAngle = {a}\nExposureDose = 3.0\nTargetDefocus = -2.5\nRotationAngle = 175.0\n'
                f'DateTime = 25-Nov-2026  10:{z // 10:02d}:{(z % 10) * 6:02d}\n\n')
with open('coords.txt', 'w') as f:
    for i in range(1000):
        x, y = rng.uniform(600, 3500, 2)
        f.write(f'{x:.1f} {y:.1f} {rng.uniform(100, 300):.1f}\n')
PY
fi
rm -f p.h5
"$CSPT" import mdoc -p p.h5 --stack ts4k.mrc --name ts4k > /dev/null
"$CSPT" import coords -p p.h5 --series ts4k --file coords.txt --tomo-z-px 400 > /dev/null
# A fitted CTF for every tilt (per-projection defocus derives from it); noise gives low confidence,
# which does not matter for timing extraction.
"$CSPT" ctf -p p.h5 --threads 2 > /dev/null 2>&1
cat ts4k.mrc > /dev/null  # page cache warm
rm -rf parts
/usr/bin/time -f "extract: wall %e s, peak RSS %M kB" "$CSPT" extract -p p.h5 --box 128 --defocus tilts -o parts
echo "target: < 30 s on 2 cores"
