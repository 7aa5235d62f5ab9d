// RELION 3.1 particle STAR files (data_optics + data_particles) to and from ParticleSet.
#pragma once

#include <string>

#include "cspt/recon/particle_set.hpp"

namespace cspt::io {

/// Reads a RELION particle STAR file (3.1 layout; a 3.0 file with everything in one table also
/// works). Each row is one projection; rows sharing rlnTomoParticleName form one particle,
/// otherwise each row is its own particle. Half-sets come from rlnRandomSubset, or, when absent,
/// alternate by particle (even index -> 1, odd -> 2). The CTF takes voltage, Cs and amplitude
/// contrast from the optics group (or the particle row), defocus, phase shift, B and scale from the
/// particle row. Image "index@path" names are resolved as RELION does: relative to the working
/// directory, else relative to the STAR file's folder; stacks are only checked to exist.
/// A set extracted on the fly (cspt extract --on-the-fly) has no rlnImageName but, per row,
/// rlnMicrographName "tilt@raw stack" (1-based tilt image, resolved like image names) and
/// rlnCoordinateX/Y (integer raw-pixel box centre, origin at the first pixel), with the bin factor
/// in cspt's own optics column csptBin (1 when absent): read into raw_stack_paths / raw_cuts / bin.
/// relion_ctf_sign is set (RELION images have protein white). Throws IoError naming the file,
/// line, column and value on missing columns, bad numbers, bad half-sets, mixed pixel or box sizes
/// and missing stacks.
ParticleSet read_relion_particles(const std::string& star_path);

/// Writes a RELION 3.1 particle STAR file that read_relion_particles reads back to the same set:
/// one optics group per distinct (voltage, Cs, amplitude contrast), stack paths written as stored,
/// numbers in shortest exact form, rlnRandomSubset always and rlnTomoParticleName whenever rows
/// alone would not reproduce the particle grouping. A set with raw_cuts is written on the fly
/// (rlnMicrographName + rlnCoordinateX/Y + csptBin instead of rlnImageName; for cspt only, as
/// RELION cannot read a stack-less set). Writes atomically. Only metadata is written, so
/// the set must describe RELION-contrast images (relion_ctf_sign, protein white); IoError
/// otherwise, and on a non-positive pixel size or an image reference outside stack_paths.
void write_relion_particles(const std::string& star_path, const ParticleSet& set);

}  // namespace cspt::io
