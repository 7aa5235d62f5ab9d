// The particle projections a reconstruction consumes: image references, orientation, shift, CTF, half-set.
#pragma once

#include <string>
#include <vector>

#include "cspt/core/ctf.hpp"

namespace cspt {

/// Where one projection image lives: a stack file (index into ParticleSet::stack_paths) and a
/// 0-based section in it.
struct ImageRef {
  int file = 0;
  int section = 0;
};

/// One particle projection. Euler angles are ZYZ in RELION's convention (rot, tilt, psi: A = Rz(psi)
/// Ry(tilt) Rz(rot), image = projection of V(A^T r)); see docs/conventions.md.
struct Projection {
  ImageRef image;
  double rot_deg = 0.0, tilt_deg = 0.0, psi_deg = 0.0;
  /// RELION's rlnOriginX/YAngst: the particle centre sits at -shift in the image, so reconstruction
  /// applies +shift to re-centre it.
  double shift_x_A = 0.0, shift_y_A = 0.0;
  CtfParams ctf;
  int particle = 0;  ///< index of the 3D particle this projection belongs to
  int half = 1;      ///< gold-standard half-set, 1 or 2; the same for all projections of a particle
  /// Index of the tilt (in its tilt series' acquisition-ordered list) this projection was cut
  /// from, or -1 when unknown (sets read from STAR files).
  int tilt = -1;
  /// Index into ParticleSet::frequency_weights, or -1 for weight 1 at every frequency. This is the
  /// hook through which exposure weighting scales each projection per spatial frequency.
  int weight_table = -1;
};

/// Where an on-the-fly set (no particle stack) cuts one projection's box from the raw tilt series:
/// the same cut as stored extraction (box_cut.hpp), box_px * bin raw pixels centred at (x_px, y_px),
/// Fourier-cropped to box_px when bin > 1.
struct RawCut {
  int stack = 0;    ///< index into ParticleSet::raw_stack_paths
  int section = 0;  ///< 0-based tilt image in that stack
  /// Integer raw-pixel box centre, origin at the image's first pixel (RELION's micrograph
  /// coordinates): the box's first pixel is (x_px - raw_box / 2, y_px - raw_box / 2).
  int x_px = 0, y_px = 0;
};

/// A set of projections sharing one box size and pixel size.
struct ParticleSet {
  std::string source;                     ///< file the set was read from (for messages)
  std::vector<std::string> stack_paths;   ///< resolved paths of the image stacks
  std::vector<Projection> projections;
  int n_particles = 0;
  int box_px = 0;
  double pixel_size_A = 0.0;
  /// True for images in RELION's convention: protein white, CTF = +sin(chi), the negative of our CTF
  /// (algorithms.md 1.3). Such images are used as they are and the CTF is applied with RELION's
  /// sign, so the two conventions never mix (invert the CTF or the contrast, never both).
  bool relion_ctf_sign = false;
  /// Radial weight tables: table[i] is the weight at Fourier shell i (|k| in pixels of the image box).
  std::vector<std::vector<float>> frequency_weights;
  /// On-the-fly sets: the raw tilt stacks the boxes are cut from, one RawCut per projection (its
  /// image reference then unused), and the bin factor (pixel_size_A / raw pixel). Empty raw_cuts:
  /// the images are in stack_paths.
  std::vector<std::string> raw_stack_paths;
  std::vector<RawCut> raw_cuts;
  int bin = 1;
};

}  // namespace cspt
