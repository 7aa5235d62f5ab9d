// FSC-weighted, low-passed, masked references.
#include "cspt/refine/reference.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "cspt/fft/transforms.hpp"
#include "cspt/recon/mask.hpp"

namespace cspt {

Volume filtered_reference(const Volume& map, const std::vector<double>& fsc, double resolution_A, const Volume& mask,
                          int threads) {
  const int n = map.nx();
  FourierVolume f = fft::forward(map, threads);
  const double s_max = n * map.pixel_size_A() / resolution_A;  // in shells
  const double lo = 0.9 * s_max, hi = 1.1 * s_max;
  const int nxh = f.nx_half();
  for (int z = 0; z < n; ++z) {
    const int kz = f.frequency(z);
    for (int y = 0; y < n; ++y) {
      const int ky = f.frequency(y);
      for (int x = 0; x < nxh; ++x) {
        const double r = std::sqrt(double(x * x + ky * ky + kz * kz));
        double w = r <= lo ? 1.0 : r >= hi ? 0.0 : 0.5 * (1.0 + std::cos(std::numbers::pi * (r - lo) / (hi - lo)));
        if (!fsc.empty()) {
          const auto shell = std::size_t(std::lround(r));
          const double c = shell < fsc.size() ? fsc[shell] : 0.0;
          w *= c > 0 ? std::sqrt(2.0 * c / (1.0 + c)) : 0.0;
        }
        f.at(x, y, z) *= float(w);
      }
    }
  }
  Volume out = fft::inverse(f, threads);
  out.set_pixel_size_A(map.pixel_size_A());
  if (mask.size() == out.size() && mask.size() > 0) apply_mask(out, mask);
  return out;
}

}  // namespace cspt
