// Per-projection preparation (read, FFT, centre, CTF, weights) and insertion, OpenMP over projections.
#include <cmath>
#include <complex>
#include <exception>
#include <memory>
#include <mutex>
#include <numbers>
#include <atomic>

#include <omp.h>

#include "cspt/core/euler.hpp"
#include "cspt/core/symmetry.hpp"
#include "cspt/fft/plan.hpp"
#include "cspt/recon/reconstruct.hpp"
#include "recon/prepare_slice.hpp"

namespace cspt {
using detail::prepare_slice;
using detail::SliceWorkspace;

std::array<std::size_t, 2> insert_projections(const ParticleSet& set, const ImageSource& images,
                                              std::span<const std::size_t> mine, const ReconstructOptions& opts,
                                              HalfAccumulators& acc) {
  const int box = images.box_px();
  const int threads = std::max(1, opts.threads);
  const auto ops = point_group(opts.symmetry).operators;
  double r_max = box / 2.0 - 1.0;
  if (opts.max_resolution_A > 0) r_max = std::min(r_max, box * set.pixel_size_A / opts.max_resolution_A);
  const fft::RealToComplex& plan = fft::cached_forward_plan(box, box);

  // Thread 0 inserts into `acc`; the others into private grids summed afterwards in thread order,
  // so a given thread count always gives the same bits.
  std::vector<std::unique_ptr<HalfAccumulators>> extra(std::size_t(threads - 1));
  for (auto& e : extra) {
    e = std::make_unique<HalfAccumulators>();
    for (int h = 0; h < 2; ++h) e->half[h] = FourierAccumulator(acc.half[h].n_pad());
  }
  std::array<std::atomic<std::size_t>, 2> counts{0, 0};
  std::atomic<std::size_t> done{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;

#pragma omp parallel num_threads(threads)
  {
    const int tid = omp_get_thread_num();
    HalfAccumulators& my = tid == 0 ? acc : *extra[std::size_t(tid - 1)];
    SliceWorkspace ws(box);
    BatchedInserter inserters[2] = {BatchedInserter(my.half[0]), BatchedInserter(my.half[1])};
#pragma omp for schedule(static) nowait
    for (std::size_t j = 0; j < mine.size(); ++j) {
      if (failure) continue;
      try {
        const Projection& p = set.projections[mine[j]];
        images.read(p, ws.image.data());
        prepare_slice(set, p, opts, box, plan, ws);
        const Eigen::Matrix3d a = matrix_from_euler_zyz({p.rot_deg, p.tilt_deg, p.psi_deg});
        auto& inserter = inserters[p.half == 2 ? 1 : 0];
        for (const auto& s : ops) inserter.add_slice(ws.spectrum.data(), ws.weights.data(), box, a * s, r_max);
        ++counts[p.half == 2 ? 1 : 0];
        const std::size_t d = ++done;
        if (tid == 0 && opts.progress) opts.progress(d, mine.size());
      } catch (...) {
        std::lock_guard lock(failure_mutex);
        if (!failure) failure = std::current_exception();
      }
    }
    try {
      for (auto& ins : inserters) ins.flush();
    } catch (...) {
      std::lock_guard lock(failure_mutex);
      if (!failure) failure = std::current_exception();
    }
  }
  if (failure) std::rethrow_exception(failure);
  for (auto& e : extra)
    for (int h = 0; h < 2; ++h) acc.half[h].add(e->half[h]);
  if (opts.progress) opts.progress(mine.size(), mine.size());
  return {counts[0].load(), counts[1].load()};
}

}  // namespace cspt
