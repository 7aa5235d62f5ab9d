// Single-process context: reductions are identities, the inverse FFT is FFTW's serial (threaded) one.
#include <fftw3.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "cspt/fft/plan.hpp"
#include "cspt/parallel/context.hpp"

namespace cspt::parallel {
namespace {

class LocalInverseFft final : public DistributedInverseFft {
 public:
  LocalInverseFft(int n, int threads)
      : n_(n), buffer_(std::size_t(n) * n * (n / 2 + 1)) {
    layout_.z0 = {0};
    layout_.nz = {n};
    fft::set_planner_threads(threads);
    plan_ = fftwf_plan_dft_c2r_3d(n, n, n, reinterpret_cast<fftwf_complex*>(buffer_.data()),
                                  reinterpret_cast<float*>(buffer_.data()), FFTW_ESTIMATE);
    if (!plan_) throw std::runtime_error("FFTW could not plan an inverse 3D transform");
  }
  ~LocalInverseFft() override { fftwf_destroy_plan(plan_); }
  int n() const override { return n_; }
  const SlabLayout& layout() const override { return layout_; }
  std::complex<float>* fourier_slab() override { return buffer_.data(); }
  float* real_slab() override { return reinterpret_cast<float*>(buffer_.data()); }
  void execute() override { fftwf_execute(plan_); }
  int rank() const override { return 0; }

 private:
  int n_;
  SlabLayout layout_;
  fft::AlignedBuffer<std::complex<float>> buffer_;
  fftwf_plan plan_ = nullptr;
};

class LocalContext final : public Context {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void barrier_collective() override {}
  void sum_collective(std::span<double>) override {}
  void sum_collective(std::span<long long>) override {}
  void broadcast_collective(std::vector<double>&) override {}
  void broadcast_collective(std::string&) override {}
  bool any_collective(bool flag) override { return flag; }
  SlabLayout slab_layout(int n) const override { return SlabLayout{{0}, {n}}; }
  void reduce_to_slabs_collective(const float* full, std::size_t floats_per_z, const SlabLayout& layout,
                                  float* my_slabs) override {
    const std::size_t n = floats_per_z * std::size_t(layout.nz[0]);
    if (full) std::memcpy(my_slabs, full, sizeof(float) * n);
    else std::fill(my_slabs, my_slabs + n, 0.0f);
  }
  std::vector<float> gather_to_root_collective(std::span<const float> mine) override {
    return {mine.begin(), mine.end()};
  }
  std::vector<std::string> gather_text_to_root_collective(const std::string& mine) override { return {mine}; }
  std::unique_ptr<DistributedInverseFft> make_inverse_fft_collective(int n, int threads) override {
    return std::make_unique<LocalInverseFft>(n, threads);
  }
};

}  // namespace

std::unique_ptr<Context> make_local_context() { return std::make_unique<LocalContext>(); }

}  // namespace cspt::parallel
