// Real-space 3D volume: nx by ny by nz float voxels, x fastest, with pixel size and origin.
#pragma once

#include <array>
#include <cstddef>
#include <vector>

namespace cspt {

/// A real-space volume. Voxel (x, y, z) is data()[(z * ny + y) * nx + x]. Maps made by cspt are
/// cubic with the particle centre at voxel (n/2, n/2, n/2), as RELION expects.
class Volume {
 public:
  Volume() = default;
  Volume(int nx, int ny, int nz, double pixel_size_A = 1.0)
      : nx_(nx), ny_(ny), nz_(nz), pixel_size_A_(pixel_size_A),
        data_(std::size_t(nx) * std::size_t(ny) * std::size_t(nz), 0.0f) {}
  /// A cubic volume of n^3 voxels.
  explicit Volume(int n, double pixel_size_A = 1.0) : Volume(n, n, n, pixel_size_A) {}

  int nx() const { return nx_; }
  int ny() const { return ny_; }
  int nz() const { return nz_; }
  bool is_cubic() const { return nx_ == ny_ && ny_ == nz_; }
  std::size_t size() const { return data_.size(); }
  double pixel_size_A() const { return pixel_size_A_; }
  void set_pixel_size_A(double a) { pixel_size_A_ = a; }
  /// Origin of voxel (0,0,0) in Angstrom, as stored in the MRC header (ORIGIN field).
  const std::array<double, 3>& origin_A() const { return origin_A_; }
  void set_origin_A(const std::array<double, 3>& o) { origin_A_ = o; }

  float& at(int x, int y, int z) { return data_[(std::size_t(z) * ny_ + y) * nx_ + x]; }
  float at(int x, int y, int z) const { return data_[(std::size_t(z) * ny_ + y) * nx_ + x]; }
  float* data() { return data_.data(); }
  const float* data() const { return data_.data(); }
  std::vector<float>& values() { return data_; }
  const std::vector<float>& values() const { return data_; }

 private:
  int nx_ = 0, ny_ = 0, nz_ = 0;
  double pixel_size_A_ = 1.0;
  std::array<double, 3> origin_A_{0.0, 0.0, 0.0};
  std::vector<float> data_;
};

}  // namespace cspt
