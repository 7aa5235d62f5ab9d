// Fourier-slice projector: central slices of a map's padded transform, for simulation and refinement.
#pragma once

#include <complex>
#include <span>
#include <vector>

#include <Eigen/Core>

#include "cspt/core/fourier_volume.hpp"
#include "cspt/core/image.hpp"
#include "cspt/core/volume.hpp"

namespace cspt {

/// Projects a cubic map along any orientation by trilinear interpolation of its zero-padded
/// transform. The map is divided by the transform of the trilinear kernel (sinc^2 per axis) before
/// padding, so slices are not attenuated towards Nyquist. Thread-safe after construction.
class Projector {
 public:
  /// `pad`: padding factor of the transform (2 is accurate to about 1% at Nyquist).
  /// `max_radius_px` > 0 keeps only the cube of the transform that interpolation within that
  /// radius (pixels of the map's box) touches: slices are exact within the radius, undefined
  /// beyond it (zero outside the cube), and the small cube stays in cache (refinement at a limited
  /// resolution). 0 keeps everything up to Nyquist.
  explicit Projector(const Volume& map, int pad = 2, int threads = 1, double max_radius_px = 0.0);

  int box() const { return box_; }
  double pixel_size_A() const { return pixel_size_A_; }

  /// The transform of the projection of V(A^T r) (RELION's convention: image = sum over z of the map
  /// rotated by A), centred at the origin: box rows, box/2+1 columns, FFTW order, unnormalised
  /// (the k = 0 value is the sum of all voxels). Frequencies beyond box/2 are zero.
  void project(const Eigen::Matrix3d& a, FourierImage& out) const;

  /// The same slice at given frequencies only (pixels of the box, any sign): out[i] = slice at
  /// (kx[i], ky[i]). Used by refinement, which scores a band of frequencies per orientation.
  void project_at(const Eigen::Matrix3d& a, std::span<const int> kx, std::span<const int> ky,
                  std::complex<float>* out) const;

  /// The real-space projection with the particle centre at pixel (box/2, box/2) - shift / pixel.
  Image project_image(const Eigen::Matrix3d& a, double shift_x_A = 0.0, double shift_y_A = 0.0) const;

 private:
  int box_ = 0, n_pad_ = 0;
  double pixel_size_A_ = 1.0;
  /// The padded transform for |kx|, |ky|, |kz| <= reach_ (padded-grid units): x = 0..reach_,
  /// y and z = -reach_..reach_ stored from 0, x fastest. No wrapping needed when interpolating.
  int reach_ = 0;
  std::vector<std::complex<float>> cube_;
};

}  // namespace cspt
