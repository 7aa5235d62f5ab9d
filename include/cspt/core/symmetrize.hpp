// Real-space symmetrisation of a map under a point group.
#pragma once

#include "cspt/core/symmetry.hpp"
#include "cspt/core/volume.hpp"

namespace cspt {

/// The average of the map over the group: out(r) = (1/N) sum_S v(S^T r) over the N operators of g,
/// with r measured from the centre voxel (nx/2, ny/2, nz/2) and v sampled by trilinear
/// interpolation. Samples that fall outside the box count as 0 (no wrapping), as in RELION's
/// `relion_image_handler --sym`. The result keeps v's size, pixel size and origin.
/// Throws InternalError if g has no operators.
Volume symmetrize(const Volume& v, const PointGroup& g);

}  // namespace cspt
