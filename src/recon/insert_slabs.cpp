// Slab-distributed insertion: rounds of prepare -> route points to slab owners -> sort -> splat.
#include "recon/insert_slabs.hpp"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <mutex>

#include "cspt/core/euler.hpp"
#include "cspt/core/symmetry.hpp"
#include "cspt/parallel/guarded.hpp"
#include "recon/prepare_slice.hpp"
#include "recon/slice_points.hpp"

namespace cspt::detail {
namespace {

constexpr int kFloatsPerPoint = 6;  // x, y', z', re, im, weight

/// Sort the points (kFloatsPerPoint floats each) by 8^3 brick, z-major, and splat them with `threads`
/// threads: the z-bricks are cut into 2 * threads chunks, even chunks first, then odd ones, so that no
/// two threads ever write one plane at once (a point writes its floor plane and the next one).
void sort_and_splat(std::vector<float>& points, std::vector<float>& sorted, SlabGrid& grid, int threads) {
  const std::size_t n = points.size() / kFloatsPerPoint;
  if (n == 0) return;
  const int np = grid.n_pad();
  const int nb_x = (np / 2 + 1 + 7) / 8 + 1, nb_yz = (np + 7) / 8;
  const auto key = [&](std::size_t i) {
    const float* p = &points[i * kFloatsPerPoint];
    const int ty = int(p[1]), tz = int(p[2]);
    const int y0 = ty >= np ? ty - np : ty, z0 = tz >= np ? tz - np : tz;
    return (std::size_t(z0 >> 3) * nb_yz + std::size_t(y0 >> 3)) * nb_x + std::size_t(int(p[0]) >> 3);
  };
  std::vector<std::size_t> start(std::size_t(nb_x) * nb_yz * nb_yz + 1, 0);
  for (std::size_t i = 0; i < n; ++i) ++start[key(i) + 1];
  for (std::size_t b = 1; b < start.size(); ++b) start[b] += start[b - 1];
  const std::vector<std::size_t> first = start;
  sorted.resize(points.size());
  for (std::size_t i = 0; i < n; ++i)
    std::copy_n(&points[i * kFloatsPerPoint], kFloatsPerPoint, &sorted[start[key(i)]++ * kFloatsPerPoint]);

  const std::size_t per_z_brick = std::size_t(nb_yz) * nb_x;
  const int chunks = std::max(1, std::min(2 * threads, nb_yz));
  const auto chunk_begin = [&](int c) { return first[std::size_t(nb_yz) * c / chunks * per_z_brick]; };
  for (int parity = 0; parity < 2; ++parity) {
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
    for (int c = parity; c < chunks; c += 2) {
      const std::size_t end = c + 1 < chunks ? chunk_begin(c + 1) : n;
      for (std::size_t i = chunk_begin(c); i < end; ++i) {
        const float* p = &sorted[i * kFloatsPerPoint];
        grid.splat(p[0], p[1], p[2], p[3], p[4], p[5]);
      }
    }
  }
}

}  // namespace

std::size_t projections_per_round(double r_max_px, std::size_t symmetry_operators) {
  const double points = std::max(1.0, 1.6 * r_max_px * r_max_px * double(symmetry_operators));  // ~ pi r^2 / 2
  return std::size_t(std::clamp(double(1 << 21) / points, 1.0, 4096.0));
}

std::array<std::size_t, 2> insert_into_slabs_collective(parallel::Context& ctx, const ParticleSet& set,
                                                        const ImageSource& images, std::span<const std::size_t> mine,
                                                        const ReconstructOptions& opts, ReducedSlabs& grids) {
  const int box = images.box_px();
  const int np = grids.n_pad;
  const int threads = std::max(1, opts.threads);
  const int n_ranks = ctx.size();
  const bool route = opts.insertion == InsertionMode::send_to_owners && n_ranks > 1;
  const auto ops = point_group(opts.symmetry).operators;
  double r_max = box / 2.0 - 1.0;
  if (opts.max_resolution_A > 0) r_max = std::min(r_max, box * set.pixel_size_A / opts.max_resolution_A);
  const fft::RealToComplex& plan = fft::cached_forward_plan(box, box);

  // Which rank owns each plane of the padded grid.
  const auto& layout = grids.layout;
  std::vector<int> owner(static_cast<std::size_t>(np), -1);
  for (int r = 0; r < n_ranks; ++r)
    for (int z = layout.z0[r]; z < layout.z0[r] + layout.nz[r]; ++z) owner[z] = r;
  const int me = ctx.rank();

  const std::size_t per_round = projections_per_round(r_max, ops.size());
  std::vector<double> rounds_of_rank(static_cast<std::size_t>(n_ranks), 0.0);
  rounds_of_rank[me] = double((mine.size() + per_round - 1) / per_round);
  ctx.sum_collective(rounds_of_rank);
  const std::size_t rounds = std::size_t(*std::max_element(rounds_of_rank.begin(), rounds_of_rank.end()));

  std::array<std::size_t, 2> counts{0, 0};
  // buffers[thread][destination]: points, kFloatsPerPoint floats each.
  std::vector<std::vector<std::vector<float>>> buffers(
      std::size_t(threads), std::vector<std::vector<float>>(std::size_t(route ? n_ranks : 1)));
  std::vector<float> send, received, sorted;
  std::vector<SliceWorkspace> workspaces;
  for (int t = 0; t < threads; ++t) workspaces.emplace_back(box);
  std::size_t done = 0;

  for (std::size_t round = 0; round < rounds; ++round) {
    const std::size_t begin = std::min(mine.size(), round * per_round);
    const std::size_t end = std::min(mine.size(), begin + per_round);
    // Each half separately: the points of one half go to that half's grid.
    for (int h = 0; h < 2; ++h) {
      parallel::run_guarded_collective(ctx, [&] {
        std::exception_ptr failure;
        std::mutex failure_mutex;
#pragma omp parallel num_threads(threads)
        {
          const int tid = omp_get_thread_num();
          auto& mybuf = buffers[std::size_t(tid)];
          for (auto& b : mybuf) b.clear();
#pragma omp for schedule(static)
          for (std::size_t j = begin; j < end; ++j) {
            const Projection& p = set.projections[mine[j]];
            if ((p.half == 2 ? 1 : 0) != h || failure) continue;
            try {
              SliceWorkspace& ws = workspaces[std::size_t(tid)];
              images.read(p, ws.image.data());
              prepare_slice(set, p, opts, box, plan, ws);
              const Eigen::Matrix3d a = matrix_from_euler_zyz({p.rot_deg, p.tilt_deg, p.psi_deg});
              for (const auto& s : ops) {
                for_each_slice_point(ws.spectrum.data(), ws.weights.data(), box, np, a * s, r_max,
                                     [&](float x, float yp, float zp, const Float4& v) {
                                       const int tz = int(zp);
                                       const int zl = tz >= np ? tz - np : tz, zh = zl + 1 == np ? 0 : zl + 1;
                                       const float point[kFloatsPerPoint] = {x, yp, zp, v[0], v[1], v[2]};
                                       if (route) {
                                         auto& first = mybuf[std::size_t(owner[zl])];
                                         first.insert(first.end(), point, point + kFloatsPerPoint);
                                         if (owner[zh] != owner[zl]) {
                                           auto& second = mybuf[std::size_t(owner[zh])];
                                           second.insert(second.end(), point, point + kFloatsPerPoint);
                                         }
                                       } else if (grids.half[h].owns(zl) || grids.half[h].owns(zh)) {
                                         mybuf[0].insert(mybuf[0].end(), point, point + kFloatsPerPoint);
                                       }
                                     });
              }
            } catch (...) {
              std::lock_guard lock(failure_mutex);
              if (!failure) failure = std::current_exception();
            }
          }
        }
        if (failure) std::rethrow_exception(failure);
      });
      // Thread buffers in thread order, per destination: the same points in the same order for a
      // given thread count.
      std::vector<std::size_t> send_counts(std::size_t(route ? n_ranks : 1), 0);
      send.clear();
      for (std::size_t d = 0; d < send_counts.size(); ++d)
        for (const auto& per_thread : buffers) {
          send.insert(send.end(), per_thread[d].begin(), per_thread[d].end());
          send_counts[d] += per_thread[d].size();
        }
      if (route) {
        received = std::move(ctx.exchange_collective(send, send_counts).values);
      } else {
        received.swap(send);
      }
      sort_and_splat(received, sorted, grids.half[h], threads);
    }
    for (std::size_t j = begin; j < end; ++j) ++counts[set.projections[mine[j]].half == 2 ? 1 : 0];
    done = end;
    if (opts.progress) opts.progress(done, mine.size());
  }
  return counts;
}

}  // namespace cspt::detail
