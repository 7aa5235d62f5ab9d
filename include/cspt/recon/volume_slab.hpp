// A cubic volume spread over the ranks in z-slabs, and moving such volumes between layouts.
#pragma once

#include <cstddef>
#include <vector>

#include "cspt/core/volume.hpp"
#include "cspt/parallel/context.hpp"

namespace cspt {

/// Planes z0 .. z0+nz-1 of an n^3 volume (x fastest). A rank may hold no planes (nz = 0).
struct VolumeSlab {
  int n = 0, z0 = 0, nz = 0;
  double pixel_size_A = 1.0;
  std::vector<float> values;  ///< nz * n * n
  std::size_t plane_size() const { return std::size_t(n) * std::size_t(n); }
  float* plane(int z) { return values.data() + std::size_t(z - z0) * plane_size(); }
  const float* plane(int z) const { return values.data() + std::size_t(z - z0) * plane_size(); }
};

/// Collective: the same volume in `target`'s layout (rank r gets planes target.z0[r] ..). Every rank's
/// slab may cover any z-range; together they must cover every plane a target rank needs.
VolumeSlab redistribute_collective(parallel::Context& ctx, const VolumeSlab& mine, const parallel::SlabLayout& target);

/// Collective: the whole volume on the root (empty elsewhere). The slabs must tile 0..n-1 in rank order.
Volume gather_volume_collective(parallel::Context& ctx, const VolumeSlab& mine);

/// Collective: the root's volume cut into `layout`'s slabs (the volume is ignored on other ranks).
VolumeSlab scatter_volume_collective(parallel::Context& ctx, const Volume& on_root, const parallel::SlabLayout& layout);

/// The slab of a volume every rank holds (no communication).
VolumeSlab slab_of(const Volume& v, int z0, int nz);

}  // namespace cspt
