// Moving z-slab volumes between ranks: redistribution, gather to the root, scatter from the root.
#include "cspt/recon/volume_slab.hpp"

#include <algorithm>

#include "cspt/util/error.hpp"

namespace cspt {

VolumeSlab redistribute_collective(parallel::Context& ctx, const VolumeSlab& mine, const parallel::SlabLayout& target) {
  const int n_ranks = ctx.size();
  std::vector<std::size_t> counts(static_cast<std::size_t>(n_ranks), 0);
  std::vector<float> send;
  for (int r = 0; r < n_ranks; ++r) {
    const int lo = std::max(mine.z0, target.z0[r]), hi = std::min(mine.z0 + mine.nz, target.z0[r] + target.nz[r]);
    if (hi <= lo) continue;
    send.insert(send.end(), mine.plane(lo), mine.plane(lo) + std::size_t(hi - lo) * mine.plane_size());
    counts[r] = std::size_t(hi - lo) * mine.plane_size();
  }
  // Planes arrive in rank order, and the senders' slabs are in z order, so they arrive in z order.
  auto got = ctx.exchange_collective(send, counts);
  VolumeSlab out;
  out.n = mine.n;
  out.pixel_size_A = mine.pixel_size_A;
  out.z0 = target.z0[ctx.rank()];
  out.nz = target.nz[ctx.rank()];
  if (got.values.size() != std::size_t(out.nz) * out.plane_size()) {
    throw InternalError("redistribution received " + std::to_string(got.values.size()) + " values for " +
                        std::to_string(out.nz) + " planes");
  }
  out.values = std::move(got.values);
  return out;
}

Volume gather_volume_collective(parallel::Context& ctx, const VolumeSlab& mine) {
  auto all = ctx.gather_to_root_collective(mine.values);
  Volume v;
  if (ctx.is_root()) {
    v = Volume(mine.n, mine.pixel_size_A);
    if (all.size() != v.size()) throw InternalError("gathered volume has the wrong number of voxels");
    v.values() = std::move(all);
  }
  return v;
}

VolumeSlab scatter_volume_collective(parallel::Context& ctx, const Volume& on_root, const parallel::SlabLayout& layout) {
  VolumeSlab whole;
  if (ctx.is_root()) {
    whole = slab_of(on_root, 0, on_root.nz());
  } else {
    whole.n = layout.z0.empty() ? 0 : layout.z0.back() + layout.nz.back();
  }
  std::vector<double> header = {double(whole.n), on_root.pixel_size_A()};
  ctx.broadcast_collective(header);
  whole.n = int(header[0]);
  whole.pixel_size_A = header[1];
  return redistribute_collective(ctx, whole, layout);
}

VolumeSlab slab_of(const Volume& v, int z0, int nz) {
  if (!v.is_cubic() || z0 < 0 || z0 + nz > v.nz()) throw InternalError("slab outside the volume");
  VolumeSlab s;
  s.n = v.nx();
  s.z0 = z0;
  s.nz = nz;
  s.pixel_size_A = v.pixel_size_A();
  const std::size_t plane = s.plane_size();
  s.values.assign(v.data() + std::size_t(z0) * plane, v.data() + std::size_t(z0 + nz) * plane);
  return s;
}

}  // namespace cspt
