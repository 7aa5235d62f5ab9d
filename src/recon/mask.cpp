// Soft spherical masks.
#include "cspt/recon/mask.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "cspt/util/error.hpp"

namespace cspt {

Volume soft_sphere_mask(int n, double pixel_size_A, double radius_A, double edge_A) {
  Volume m(n, pixel_size_A);
  const double c = n / 2;
  for (int z = 0; z < n; ++z)
    for (int y = 0; y < n; ++y)
      for (int x = 0; x < n; ++x) {
        const double r = std::sqrt((x - c) * (x - c) + (y - c) * (y - c) + (z - c) * (z - c)) * pixel_size_A;
        double v = 0.0;
        if (r <= radius_A) v = 1.0;
        else if (edge_A > 0 && r < radius_A + edge_A)
          v = 0.5 * (1.0 + std::cos(std::numbers::pi * (r - radius_A) / edge_A));
        m.at(x, y, z) = float(v);
      }
  return m;
}

double default_mask_radius_A(int n, double pixel_size_A, double edge_A) {
  return std::max(pixel_size_A, (n / 2 - 2) * pixel_size_A - edge_A);
}

void apply_mask(Volume& v, const Volume& mask) {
  if (v.size() != mask.size()) {
    throw InternalError("apply_mask: volume and mask sizes differ");
  }
  float* a = v.data();
  const float* b = mask.data();
  for (std::size_t i = 0; i < v.size(); ++i) a[i] *= b[i];
}

}  // namespace cspt
