// Per-projection preparation for insertion (the reconstruction's per-image work besides the splat).
#include "recon/prepare_slice.hpp"

#include <cmath>
#include <numbers>

#include "cspt/core/ctf.hpp"

namespace cspt::detail {
namespace {

inline int row_frequency(int row, int box) { return row < (box + 1) / 2 ? row : row - box; }

}  // namespace

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


}  // namespace cspt::detail
