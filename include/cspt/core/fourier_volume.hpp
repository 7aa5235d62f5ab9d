// Fourier-space volumes and images: the non-redundant half of a real signal's transform, as a type
// distinct from the real-space Volume and Image (moving between them goes through fft/transforms).
#pragma once

#include <complex>
#include <cstddef>

#include "cspt/fft/plan.hpp"

namespace cspt {

/// The transform of an n x n x n real volume: n * n * (n/2 + 1) coefficients, layout
/// [kz][ky][kx] with kx in 0..n/2 and FFTW order on ky, kz (negative frequencies at n + k).
/// Unnormalised: the coefficient at k = 0 is the sum of the voxels.
class FourierVolume {
 public:
  FourierVolume() = default;
  FourierVolume(int n, double pixel_size_A)
      : n_(n), pixel_size_A_(pixel_size_A), data_(std::size_t(n) * n * (n / 2 + 1)) {}

  int n() const { return n_; }
  int nx_half() const { return n_ / 2 + 1; }
  double pixel_size_A() const { return pixel_size_A_; }
  std::size_t size() const { return data_.size(); }
  std::complex<float>* data() { return data_.data(); }
  const std::complex<float>* data() const { return data_.data(); }
  std::complex<float>& at(int kx_index, int ky_index, int kz_index) {
    return data_[(std::size_t(kz_index) * n_ + ky_index) * nx_half() + kx_index];
  }
  /// Signed frequency of an FFTW-order index along y or z.
  int frequency(int index) const { return index <= n_ / 2 ? index : index - n_; }

 private:
  int n_ = 0;
  double pixel_size_A_ = 0.0;
  fft::AlignedBuffer<std::complex<float>> data_;
};

/// The transform of an nx x ny real image: ny * (nx/2 + 1) coefficients, layout [ky][kx], kx in
/// 0..nx/2, FFTW order on ky. Unnormalised.
class FourierImage {
 public:
  FourierImage() = default;
  FourierImage(int nx, int ny, double pixel_size_A)
      : nx_(nx), ny_(ny), pixel_size_A_(pixel_size_A), data_(std::size_t(ny) * (nx / 2 + 1)) {}

  int nx() const { return nx_; }
  int ny() const { return ny_; }
  int nx_half() const { return nx_ / 2 + 1; }
  double pixel_size_A() const { return pixel_size_A_; }
  std::size_t size() const { return data_.size(); }
  std::complex<float>* data() { return data_.data(); }
  const std::complex<float>* data() const { return data_.data(); }
  std::complex<float>& at(int kx_index, int ky_index) { return data_[std::size_t(ky_index) * nx_half() + kx_index]; }
  /// Signed frequency of an FFTW-order index along y.
  int frequency(int index) const { return index <= ny_ / 2 ? index : index - ny_; }

 private:
  int nx_ = 0, ny_ = 0;
  double pixel_size_A_ = 0.0;
  fft::AlignedBuffer<std::complex<float>> data_;
};

}  // namespace cspt
