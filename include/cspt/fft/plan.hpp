// FFTW plans: created under one planner lock, reused, executed with the new-array interface.
#pragma once

#include <algorithm>
#include <complex>
#include <cstddef>
#include <memory>
#include <type_traits>
#include <utility>

namespace cspt::fft {

/// Buffers for FFTW must come from here so that plans made once can run on any of them.
float* alloc_real(std::size_t n);
std::complex<float>* alloc_complex(std::size_t n);
void free_buffer(void* p);

/// RAII owner of an FFTW-aligned array.
template <class T>
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  explicit AlignedBuffer(std::size_t n) : n_(n), p_(allocate(n)) {}
  AlignedBuffer(AlignedBuffer&& o) noexcept : n_(o.n_), p_(o.p_) { o.n_ = 0; o.p_ = nullptr; }
  AlignedBuffer& operator=(AlignedBuffer&& o) noexcept {
    std::swap(n_, o.n_);
    std::swap(p_, o.p_);
    return *this;
  }
  /// Copies are deep (value semantics for the types built on it).
  AlignedBuffer(const AlignedBuffer& o) : n_(o.n_), p_(o.n_ ? allocate(o.n_) : nullptr) {
    if (n_) std::copy(o.p_, o.p_ + n_, p_);
  }
  AlignedBuffer& operator=(const AlignedBuffer& o) {
    if (this != &o) *this = AlignedBuffer(o);
    return *this;
  }
  ~AlignedBuffer() { free_buffer(p_); }
  T* data() { return p_; }
  const T* data() const { return p_; }
  std::size_t size() const { return n_; }
  T& operator[](std::size_t i) { return p_[i]; }
  const T& operator[](std::size_t i) const { return p_[i]; }

 private:
  static T* allocate(std::size_t n) {
    if constexpr (std::is_same_v<T, float>) return alloc_real(n);
    else return alloc_complex(n);
  }
  std::size_t n_ = 0;
  T* p_ = nullptr;
};

/// Set the number of threads FFTW uses for plans made after this call (large 3D transforms).
void set_planner_threads(int threads);

/// A reusable forward real-to-complex transform of ny x nx images (or nz x ny x nx volumes when
/// nz > 1), unnormalised. Output layout: [z][y][x] with x in 0..nx/2, FFTW order on y and z.
/// execute() is thread-safe: different threads may run the same plan on different buffers.
class RealToComplex {
 public:
  RealToComplex(int nx, int ny, int nz = 1, int threads = 1);
  ~RealToComplex();
  RealToComplex(const RealToComplex&) = delete;
  RealToComplex& operator=(const RealToComplex&) = delete;
  void execute(float* in, std::complex<float>* out) const;

 private:
  void* plan_;
};

/// The inverse of RealToComplex, unnormalised (a forward then inverse transform scales by nx*ny*nz).
/// It may overwrite its input.
class ComplexToReal {
 public:
  ComplexToReal(int nx, int ny, int nz = 1, int threads = 1);
  ~ComplexToReal();
  ComplexToReal(const ComplexToReal&) = delete;
  ComplexToReal& operator=(const ComplexToReal&) = delete;
  void execute(std::complex<float>* in, float* out) const;

 private:
  void* plan_;
};

/// Plans for a shape and thread count, made once per process and shared (thread-safe).
const RealToComplex& cached_forward_plan(int nx, int ny, int nz = 1, int threads = 1);
const ComplexToReal& cached_inverse_plan(int nx, int ny, int nz = 1, int threads = 1);

}  // namespace cspt::fft
