// Soft spherical masks.
#include "cspt/recon/mask.hpp"

#include "cspt/io/mrc.hpp"

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

Volume read_mask(const std::string& path, int box, double px) {
  Volume m = io::read_mrc_volume(path);
  if (!m.is_cubic() || m.nx() != box) {
    throw IoError(path, "box", std::to_string(m.nx()) + "x" + std::to_string(m.ny()) + "x" + std::to_string(m.nz()),
                  "a cubic mask of the particle box " + std::to_string(box));
  }
  const double mpx = m.pixel_size_A();
  if (mpx > 0 && std::abs(mpx - 1.0) > 1e-6 && std::abs(mpx - px) > 0.01 * px) {
    throw IoError(path, "pixel size", std::to_string(mpx) + " A", "the particles' " + std::to_string(px) + " A");
  }
  for (float v : m.values())
    if (v < -1e-3f || v > 1.001f) throw IoError(path, "mask value", std::to_string(v), "values in [0, 1]");
  m.set_pixel_size_A(px);
  return m;
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
