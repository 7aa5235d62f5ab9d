#!/bin/bash
# Test fixture shared by the RELION, MPI and bad-input tests: a D3 Gaussian-atom phantom (box 64,
# 2 A/px), 4000 particles with true angles, origins and CTF, projected by RELION's relion_project
# (an independent implementation), plus white noise at SNR 1; and relion_reconstruct's half-maps.
source "$(dirname "$0")/lib.sh"
dir=${1:?fixture folder}
rm -rf "$dir" && mkdir -p "$dir" && cd "$dir"
command -v relion_project >/dev/null || { echo "relion_project missing: scripts/test installs Debian's relion"; exit 1; }
"$TESTDATA" phantom --box 64 --apix 2 --atoms 60 --radius-A 40 --sym D3 --seed 7 --out truth.mrc
"$TESTDATA" star --n 4000 --box 64 --apix 2 --seed 2024 --stack particles.mrcs --out particles.star
relion_project --i truth.mrc --ang particles.star --ctf --o clean > relion_project.log 2>&1
"$TESTDATA" noise --in clean.mrcs --out particles.mrcs --snr 1 --diam-A 90 --seed 1
for h in 1 2; do
  relion_reconstruct --i particles.star --o relion_half$h.mrc --ctf --subset $h > relion_reconstruct_$h.log 2>&1
done
echo "fixture ready in $dir"
