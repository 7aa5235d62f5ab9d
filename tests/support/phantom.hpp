// Test ground truth independent of the code under test: Gaussian-atom phantoms with analytic
// maps and analytic real-space projections (no FFT, no interpolation).
#pragma once

#include <cstdint>
#include <vector>

#include <Eigen/Core>

#include "cspt/core/image.hpp"
#include "cspt/core/volume.hpp"

namespace cspt::test {

struct GaussianAtom {
  Eigen::Vector3d position_A;  ///< relative to the map centre
  double sigma_A = 2.0;
  double weight = 1.0;  ///< peak density of the 3D Gaussian
};

/// Random-walk chains of atoms within radius_A (seeded), optionally closed under a point group
/// given by its operators (identity included).
std::vector<GaussianAtom> random_phantom(int n_atoms, double radius_A, std::uint64_t seed,
                                         const std::vector<Eigen::Matrix3d>& symmetry = {});

/// The map sampled at voxel centres: voxel (x, y, z) is at ((x, y, z) - n/2) * pixel_size_A.
Volume phantom_map(const std::vector<GaussianAtom>& atoms, int n, double pixel_size_A);

/// The exact projection along z of the map rotated by A (RELION: image(r) = integral V(A^T r) dz),
/// shifted so the particle centre sits at -shift (RELION's rlnOriginX/YAngst), sampled at pixel
/// centres and divided by the pixel size (the units of a sum of voxels along z).
Image phantom_projection(const std::vector<GaussianAtom>& atoms, int n, double pixel_size_A,
                         const Eigen::Matrix3d& a, double shift_x_A = 0.0, double shift_y_A = 0.0);

/// Uniformly distributed random orientation (rot, tilt, psi) in degrees.
struct RandomEuler {
  double rot_deg, tilt_deg, psi_deg;
};
std::vector<RandomEuler> uniform_orientations(int n, std::uint64_t seed);

/// Pearson correlation of two equally sized arrays.
double correlation(const std::vector<float>& a, const std::vector<float>& b);

}  // namespace cspt::test
