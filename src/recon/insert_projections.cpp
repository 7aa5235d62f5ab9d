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

namespace cspt {
namespace {

/// Scratch buffers one thread reuses for every projection.
struct SliceWorkspace {
  explicit SliceWorkspace(int box)
      : image(std::size_t(box) * box),
        spectrum(std::size_t(box) * (box / 2 + 1)),
        ctf(std::size_t(box) * (box / 2 + 1)),
        weights(std::size_t(box) * (box / 2 + 1)),
        phase_x(std::size_t(box / 2 + 1)),
        phase_y(std::size_t(box)) {}
  fft::AlignedBuffer<float> image;
  fft::AlignedBuffer<std::complex<float>> spectrum;
  std::vector<float> ctf, weights;
  std::vector<std::complex<float>> phase_x, phase_y;
};

inline int row_frequency(int row, int box) { return row < (box + 1) / 2 ? row : row - box; }

/// Turn the image in ws.image into the slice values (ws.spectrum) and weights (ws.weights).
void prepare_slice(const ParticleSet& set, const Projection& p, const ReconstructOptions& opts, int box,
                   const fft::RealToComplex& plan, SliceWorkspace& ws) {
  const int nxh = box / 2 + 1;
  plan.execute(ws.image.data(), ws.spectrum.data());
  // The transform has its origin at pixel 0; the particle centre is at pixel box/2 - shift/px.
  // Multiplying by exp(2 pi i k (box/2 - shift_px) / box) moves it to the origin.
  const double cx = box / 2 - p.shift_x_A / set.pixel_size_A, cy = box / 2 - p.shift_y_A / set.pixel_size_A;
  for (int kx = 0; kx < nxh; ++kx)
    ws.phase_x[kx] = std::polar(1.0f, float(2.0 * std::numbers::pi * kx * cx / box));
  for (int row = 0; row < box; ++row)
    ws.phase_y[row] = std::polar(1.0f, float(2.0 * std::numbers::pi * row_frequency(row, box) * cy / box));
  if (opts.apply_ctf) {
    CtfEvaluator(p.ctf).evaluate_half_plane(box, set.pixel_size_A, ws.ctf.data());
    // RELION's images have protein white and CTF = +sin(chi), the negative of ours (algorithms.md
    // 1.3): for them the CTF is applied with RELION's sign, and the image is left as it is.
    if (set.relion_ctf_sign)
      for (auto& c : ws.ctf) c = -c;
  } else {
    std::fill(ws.ctf.begin(), ws.ctf.end(), 1.0f);
  }
  const std::vector<float>* table =
      p.weight_table >= 0 ? &set.frequency_weights.at(std::size_t(p.weight_table)) : nullptr;
  for (int row = 0; row < box; ++row) {
    const int ky = row_frequency(row, box);
    for (int kx = 0; kx < nxh; ++kx) {
      const std::size_t i = std::size_t(row) * nxh + kx;
      float w = 1.0f;
      if (table) {
        const auto shell = std::size_t(std::lround(std::sqrt(double(kx * kx + ky * ky))));
        w = shell < table->size() ? (*table)[shell] : 0.0f;
      }
      const float c = ws.ctf[i];
      ws.spectrum[i] *= ws.phase_x[kx] * ws.phase_y[row] * (c * w);
      ws.weights[i] = c * c * w;
    }
  }
}

}  // namespace

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
