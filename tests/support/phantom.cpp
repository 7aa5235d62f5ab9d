// Gaussian-atom phantoms and their analytic projections (test ground truth).
#include "phantom.hpp"

#include <cmath>
#include <numbers>
#include <random>

namespace cspt::test {

std::vector<GaussianAtom> random_phantom(int n_atoms, double radius_A, std::uint64_t seed,
                                         const std::vector<Eigen::Matrix3d>& symmetry) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> gauss(0.0, 1.0);
  std::uniform_real_distribution<double> uni(0.0, 1.0);
  std::vector<GaussianAtom> asu;
  Eigen::Vector3d p(0.3 * radius_A, 0.1 * radius_A, -0.2 * radius_A);
  while (int(asu.size()) < n_atoms) {
    Eigen::Vector3d step(gauss(rng), gauss(rng), gauss(rng));
    Eigen::Vector3d q = p + 3.8 * step.normalized();
    if (q.norm() > radius_A) {  // restart the chain somewhere inside
      q = Eigen::Vector3d(uni(rng) - 0.5, uni(rng) - 0.5, uni(rng) - 0.5) * radius_A;
    }
    p = q;
    asu.push_back({p, 1.5 + uni(rng), 0.6 + 0.8 * uni(rng)});
  }
  if (symmetry.empty()) return asu;
  std::vector<GaussianAtom> all;
  for (const auto& s : symmetry)
    for (const auto& a : asu) all.push_back({s * a.position_A, a.sigma_A, a.weight});
  return all;
}

Volume phantom_map(const std::vector<GaussianAtom>& atoms, int n, double px) {
  Volume v(n, px);
  const double c = n / 2;
  for (const auto& a : atoms) {
    const double reach = 5.0 * a.sigma_A;
    const double inv2s2 = 1.0 / (2.0 * a.sigma_A * a.sigma_A);
    const int lo[3] = {int(std::floor((a.position_A.x() - reach) / px + c)),
                       int(std::floor((a.position_A.y() - reach) / px + c)),
                       int(std::floor((a.position_A.z() - reach) / px + c))};
    const int span = int(std::ceil(2 * reach / px)) + 2;
    for (int z = std::max(0, lo[2]); z < std::min(n, lo[2] + span); ++z)
      for (int y = std::max(0, lo[1]); y < std::min(n, lo[1] + span); ++y)
        for (int x = std::max(0, lo[0]); x < std::min(n, lo[0] + span); ++x) {
          const Eigen::Vector3d r((x - c) * px, (y - c) * px, (z - c) * px);
          v.at(x, y, z) += float(a.weight * std::exp(-(r - a.position_A).squaredNorm() * inv2s2));
        }
  }
  return v;
}

Image phantom_projection(const std::vector<GaussianAtom>& atoms, int n, double px, const Eigen::Matrix3d& a,
                         double shift_x_A, double shift_y_A) {
  Image img(n, n, px);
  const double c = n / 2;
  for (const auto& atom : atoms) {
    // V(A^T r) has the atom at A p; the line integral of a 3D Gaussian along z is sqrt(2 pi) sigma
    // times a 2D Gaussian. Dividing by the pixel size gives the units of a sum over voxels along z.
    const Eigen::Vector3d q = a * atom.position_A;
    const double cx = q.x() - shift_x_A, cy = q.y() - shift_y_A;
    const double amp = atom.weight * std::sqrt(2.0 * std::numbers::pi) * atom.sigma_A / px;
    const double inv2s2 = 1.0 / (2.0 * atom.sigma_A * atom.sigma_A);
    const double reach = 5.0 * atom.sigma_A;
    const int x0 = std::max(0, int(std::floor((cx - reach) / px + c)));
    const int x1 = std::min(n - 1, int(std::ceil((cx + reach) / px + c)));
    const int y0 = std::max(0, int(std::floor((cy - reach) / px + c)));
    const int y1 = std::min(n - 1, int(std::ceil((cy + reach) / px + c)));
    for (int y = y0; y <= y1; ++y) {
      const double dy = (y - c) * px - cy;
      for (int x = x0; x <= x1; ++x) {
        const double dx = (x - c) * px - cx;
        img.at(x, y) += float(amp * std::exp(-(dx * dx + dy * dy) * inv2s2));
      }
    }
  }
  return img;
}

std::vector<RandomEuler> uniform_orientations(int n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> uni(0.0, 1.0);
  std::vector<RandomEuler> out(static_cast<std::size_t>(n));
  for (auto& e : out) {
    e.rot_deg = 360.0 * uni(rng);
    e.tilt_deg = std::acos(2.0 * uni(rng) - 1.0) * 180.0 / std::numbers::pi;
    e.psi_deg = 360.0 * uni(rng);
  }
  return out;
}

double correlation(const std::vector<float>& a, const std::vector<float>& b) {
  double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
  const double n = double(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    sa += a[i];
    sb += b[i];
    saa += double(a[i]) * a[i];
    sbb += double(b[i]) * b[i];
    sab += double(a[i]) * b[i];
  }
  const double cov = sab - sa * sb / n, va = saa - sa * sa / n, vb = sbb - sb * sb / n;
  return cov / std::sqrt(va * vb);
}

}  // namespace cspt::test
