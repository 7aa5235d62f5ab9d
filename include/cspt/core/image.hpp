// Real-space 2D image: nx by ny float pixels, row-major with x fastest, and its pixel size.
#pragma once

#include <cstddef>
#include <vector>

namespace cspt {

/// A real-space image. Pixel (x, y) is data()[y * nx + x]; the image centre is pixel (nx/2, ny/2).
class Image {
 public:
  Image() = default;
  Image(int nx, int ny, double pixel_size_A = 1.0)
      : nx_(nx), ny_(ny), pixel_size_A_(pixel_size_A), data_(std::size_t(nx) * std::size_t(ny), 0.0f) {}

  int nx() const { return nx_; }
  int ny() const { return ny_; }
  std::size_t size() const { return data_.size(); }
  double pixel_size_A() const { return pixel_size_A_; }
  void set_pixel_size_A(double a) { pixel_size_A_ = a; }

  float& at(int x, int y) { return data_[std::size_t(y) * nx_ + x]; }
  float at(int x, int y) const { return data_[std::size_t(y) * nx_ + x]; }
  float* data() { return data_.data(); }
  const float* data() const { return data_.data(); }
  std::vector<float>& values() { return data_; }
  const std::vector<float>& values() const { return data_; }

 private:
  int nx_ = 0, ny_ = 0;
  double pixel_size_A_ = 1.0;
  std::vector<float> data_;
};

}  // namespace cspt
