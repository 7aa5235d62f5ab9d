// Atomic models through gemmi; potential maps from the C4322 electron form factors.
#include "cspt/sim/atomic_model.hpp"

#include <gemmi/c4322.hpp>
#include <gemmi/elem.hpp>
#include <gemmi/mmread.hpp>

#include <cmath>
#include <random>

#include <Eigen/Geometry>

#include "cspt/util/error.hpp"

namespace cspt {
namespace {
// h^2 / (2 pi m0 e) in V A^2: converts an electron scattering density (1/A^2) into volts.
constexpr double kPotentialPerDensity = 47.878;
}  // namespace

double AtomicModel::mass_kDa() const {
  double m = 0;
  for (const auto& a : atoms) m += gemmi::Element(gemmi::El(a.atomic_number)).weight();
  return m / 1000.0;
}

Eigen::Vector3d AtomicModel::centroid_A() const {
  Eigen::Vector3d c = Eigen::Vector3d::Zero();
  for (const auto& a : atoms) c += a.position_A;
  return atoms.empty() ? c : Eigen::Vector3d(c / double(atoms.size()));
}

double AtomicModel::radius_A(const Eigen::Vector3d& centre) const {
  double r = 0;
  for (const auto& a : atoms) r = std::max(r, (a.position_A - centre).norm());
  return r;
}

AtomicModel read_atomic_model(const std::string& path) {
  gemmi::Structure st;
  try {
    st = gemmi::read_structure_file(path);
  } catch (const std::exception& e) {
    throw IoError(path, "atomic model", "", std::string("a readable PDB or mmCIF file (") + e.what() + ")");
  }
  if (st.models.empty()) throw IoError(path, "models", "0", "at least one model");
  AtomicModel m;
  m.source = path;
  for (const auto& chain : st.models[0].chains)
    for (const auto& res : chain.residues) {
      if (res.het_flag == 'H' || res.is_water()) continue;
      for (const auto& atom : res.atoms) {
        const int z = int(atom.element.elem);
        if (z < 1 || z > 98) continue;
        m.atoms.push_back({Eigen::Vector3d(atom.pos.x, atom.pos.y, atom.pos.z), z, double(atom.b_iso)});
      }
    }
  if (m.atoms.empty()) throw IoError(path, "atoms", "0", "protein or nucleic-acid atoms");
  return m;
}

AtomicModel d3_from_c3_trimer(const AtomicModel& trimer, double gap_A) {
  // The 3-fold axis passes through the centroid's (x, y); lift the trimer so that its lowest atom
  // sits gap/2 above z = 0, then add its image under the 2-fold about x: (x, y, z) -> (x, -y, -z).
  const Eigen::Vector3d c = trimer.centroid_A();
  double z_min = 1e300;
  for (const auto& a : trimer.atoms) z_min = std::min(z_min, a.position_A.z());
  const Eigen::Vector3d shift(-c.x(), -c.y(), gap_A / 2 - z_min);
  AtomicModel d3;
  d3.source = "synthetic D3 hexamer from " + trimer.source;
  for (const auto& a : trimer.atoms) d3.atoms.push_back({a.position_A + shift, a.atomic_number, a.b_factor_A2});
  const std::size_t n = d3.atoms.size();
  for (std::size_t i = 0; i < n; ++i) {
    ModelAtom b = d3.atoms[i];
    b.position_A = Eigen::Vector3d(b.position_A.x(), -b.position_A.y(), -b.position_A.z());
    d3.atoms.push_back(b);
  }
  return d3;
}

AtomicModel pseudo_atomic_phantom(int atoms_per_asu, double radius_A, unsigned seed,
                                  const std::vector<Eigen::Matrix3d>& operators) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0.0, 1.0);
  std::uniform_real_distribution<double> u(-0.5, 0.5);
  AtomicModel m;
  m.source = "built-in pseudo-atomic phantom";
  Eigen::Vector3d p(0.3 * radius_A, 0.1 * radius_A, 0.2 * radius_A);
  std::vector<Eigen::Vector3d> asu;
  while (int(asu.size()) < atoms_per_asu) {
    Eigen::Vector3d q = p + 1.5 * Eigen::Vector3d(g(rng), g(rng), g(rng)).normalized();
    if (q.norm() > radius_A) q = radius_A * Eigen::Vector3d(u(rng), u(rng), u(rng));
    p = q;
    asu.push_back(p);
  }
  const std::vector<Eigen::Matrix3d> ops = operators.empty() ? std::vector<Eigen::Matrix3d>{Eigen::Matrix3d::Identity()} : operators;
  for (const auto& s : ops)
    for (const auto& a : asu) m.atoms.push_back({s * a, 6, 20.0});
  return m;
}

Volume potential_map(const AtomicModel& model, int box, double px, double extra_b_A2) {
  Volume v(box, px);
  const Eigen::Vector3d centre = model.centroid_A();
  const double c = box / 2;
  for (const auto& atom : model.atoms) {
    const auto& coef = gemmi::C4322<double>::get(gemmi::El(atom.atomic_number));
    const double b = std::max(atom.b_factor_A2, 0.0) + extra_b_A2;
    // The widest Gaussian of the fit decides how far the atom reaches (to 1e-4 of its peak).
    double widest = 0;
    for (int i = 0; i < 5; ++i) widest = std::max(widest, coef.b(i) + b);
    const double reach_A = std::sqrt(widest * std::log(1e4)) / (2 * 3.14159265358979323846);
    const Eigen::Vector3d r0 = (atom.position_A - centre) / px + Eigen::Vector3d(c, c, c);
    const int span = int(std::ceil(reach_A / px));
    const auto density = coef.precalculate_density_iso(b);
    for (int z = std::max(0, int(r0.z()) - span); z <= std::min(box - 1, int(r0.z()) + span + 1); ++z)
      for (int y = std::max(0, int(r0.y()) - span); y <= std::min(box - 1, int(r0.y()) + span + 1); ++y)
        for (int x = std::max(0, int(r0.x()) - span); x <= std::min(box - 1, int(r0.x()) + span + 1); ++x) {
          const double r2 = ((Eigen::Vector3d(x, y, z) - r0) * px).squaredNorm();
          if (r2 > reach_A * reach_A) continue;
          v.at(x, y, z) += float(kPotentialPerDensity * density.calculate(r2));
        }
  }
  return v;
}

}  // namespace cspt
