// Real-space symmetrisation: average of trilinearly interpolated rotated copies.
#include "cspt/core/symmetrize.hpp"

#include <cmath>

#include "cspt/util/error.hpp"

namespace cspt {
namespace {

/// Trilinear sample of v at voxel coordinates (x, y, z); 0 outside [0, n-1] on any axis.
double sample(const Volume& v, double x, double y, double z) {
  constexpr double eps = 1e-9;
  const int nx = v.nx(), ny = v.ny(), nz = v.nz();
  if (x < -eps || y < -eps || z < -eps || x > nx - 1 + eps || y > ny - 1 + eps ||
      z > nz - 1 + eps)
    return 0.0;
  auto split = [](double p, int n, int& i0, int& i1, double& w) {
    i0 = static_cast<int>(std::floor(p));
    if (i0 < 0) i0 = 0;
    if (i0 > n - 1) i0 = n - 1;
    i1 = i0 + 1 < n ? i0 + 1 : n - 1;
    w = p - i0;
    if (w < 0.0) w = 0.0;
    if (w > 1.0) w = 1.0;
  };
  int x0, x1, y0, y1, z0, z1;
  double wx, wy, wz;
  split(x, nx, x0, x1, wx);
  split(y, ny, y0, y1, wy);
  split(z, nz, z0, z1, wz);
  const double c00 = (1 - wx) * v.at(x0, y0, z0) + wx * v.at(x1, y0, z0);
  const double c10 = (1 - wx) * v.at(x0, y1, z0) + wx * v.at(x1, y1, z0);
  const double c01 = (1 - wx) * v.at(x0, y0, z1) + wx * v.at(x1, y0, z1);
  const double c11 = (1 - wx) * v.at(x0, y1, z1) + wx * v.at(x1, y1, z1);
  const double c0 = (1 - wy) * c00 + wy * c10;
  const double c1 = (1 - wy) * c01 + wy * c11;
  return (1 - wz) * c0 + wz * c1;
}

}  // namespace

Volume symmetrize(const Volume& v, const PointGroup& g) {
  if (g.operators.empty())
    throw InternalError("symmetrize: point group '" + g.symbol + "' has no operators");
  Volume out(v.nx(), v.ny(), v.nz(), v.pixel_size_A());
  out.set_origin_A(v.origin_A());
  const int nx = v.nx(), ny = v.ny(), nz = v.nz();
  const double cx = nx / 2, cy = ny / 2, cz = nz / 2;
  const double inv_n = 1.0 / static_cast<double>(g.operators.size());

#pragma omp parallel for schedule(static)
  for (int z = 0; z < nz; ++z) {
    for (int y = 0; y < ny; ++y) {
      for (int x = 0; x < nx; ++x) {
        const Eigen::Vector3d r(x - cx, y - cy, z - cz);
        double sum = 0.0;
        for (const auto& s : g.operators) {
          const Eigen::Vector3d p = s.transpose() * r;
          sum += sample(v, p.x() + cx, p.y() + cy, p.z() + cz);
        }
        out.at(x, y, z) = static_cast<float>(sum * inv_n);
      }
    }
  }
  return out;
}

}  // namespace cspt
