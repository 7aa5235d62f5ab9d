// Atomic models for simulation: reading PDB/mmCIF (gemmi), assemblies, and the electrostatic
// potential map from electron scattering factors.
#pragma once

#include <string>
#include <vector>

#include <Eigen/Core>

#include "cspt/core/volume.hpp"

namespace cspt {

struct ModelAtom {
  Eigen::Vector3d position_A;
  int atomic_number = 6;
  double b_factor_A2 = 20.0;
};

struct AtomicModel {
  std::string source;  ///< file name, or a description of a built-in model
  std::vector<ModelAtom> atoms;
  double mass_kDa() const;
  /// Centre of the atoms (unweighted).
  Eigen::Vector3d centroid_A() const;
  /// Largest distance of an atom from `centre`.
  double radius_A(const Eigen::Vector3d& centre) const;
};

/// Protein and nucleic-acid atoms of the first model of a PDB or mmCIF file (waters, hydrogens of
/// unknown element and HETATM records dropped). Throws IoError naming the file.
AtomicModel read_atomic_model(const std::string& path);

/// A D3 assembly from a trimer whose 3-fold lies along z: the trimer is centred on its axis, lifted
/// along z until clear of its mate, and copied by a 2-fold about x. RELION's D3 axes (3-fold z,
/// 2-fold x). The assembly is synthetic: say so wherever it is used.
AtomicModel d3_from_c3_trimer(const AtomicModel& trimer, double gap_A = 2.0);

/// Random-walk chains of carbon atoms, closed under the given operators: a built-in phantom that
/// needs no file.
AtomicModel pseudo_atomic_phantom(int atoms_per_asu, double radius_A, unsigned seed,
                                  const std::vector<Eigen::Matrix3d>& operators);

/// The electrostatic potential (volts) of the model, centred on its centroid at voxel n/2:
/// V = (h^2 / 2 pi m0 e) * sum of the atoms' electron scattering densities (International Tables
/// C 4.3.2.2 five-Gaussian fits, via gemmi), each blurred by its B factor plus `extra_b_A2`.
Volume potential_map(const AtomicModel& model, int box, double pixel_size_A, double extra_b_A2 = 0.0);

}  // namespace cspt
