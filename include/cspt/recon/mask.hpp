// Real-space masks: soft spheres with a raised-cosine edge.
#pragma once

#include <string>

#include "cspt/core/volume.hpp"

namespace cspt {

/// A cubic mask of n^3 voxels centred at voxel n/2: 1 within radius_A, 0 beyond radius_A + edge_A,
/// a raised cosine in between.
Volume soft_sphere_mask(int n, double pixel_size_A, double radius_A, double edge_A);

/// The default mask radius (Angstrom) for a box: leaves room for the soft edge inside the box.
double default_mask_radius_A(int n, double pixel_size_A, double edge_A);

/// A mask read from an MRC file for particles of `box` px at `pixel_size_A`: cubic of that box,
/// the same pixel size (or none recorded: 0 or 1), values in [0, 1]; IoError naming the file otherwise.
Volume read_mask(const std::string& path, int box, double pixel_size_A);

/// Multiply in place, element by element; sizes must agree.
void apply_mask(Volume& v, const Volume& mask);

}  // namespace cspt
