// Single-process context: reductions are identities, the 3D FFTs are FFTW's serial (threaded) ones.
#include <fftw3.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "cspt/fft/plan.hpp"
#include "cspt/fft/wisdom.hpp"
#include "cspt/parallel/context.hpp"

namespace cspt::parallel {
namespace {

class LocalRealFft final : public DistributedRealFft {
 public:
  LocalRealFft(int n, int threads) : n_(n), buffer_(std::size_t(n) * n * (n / 2 + 1)) {
    layout_.z0 = {0};
    layout_.nz = {n};
    fft::set_planner_threads(threads);
    auto* c = reinterpret_cast<fftwf_complex*>(buffer_.data());
    auto* r = reinterpret_cast<float*>(buffer_.data());
    inverse_ = fftwf_plan_dft_c2r_3d(n, n, n, c, r, fft::large_transform_flags());
    if (!inverse_) inverse_ = fftwf_plan_dft_c2r_3d(n, n, n, c, r, FFTW_ESTIMATE);  // not in the wisdom file
    forward_ = fftwf_plan_dft_r2c_3d(n, n, n, r, c, fft::large_transform_flags());
    if (!forward_) forward_ = fftwf_plan_dft_r2c_3d(n, n, n, r, c, FFTW_ESTIMATE);
    if (!inverse_ || !forward_) throw std::runtime_error("FFTW could not plan a 3D real transform");
  }
  ~LocalRealFft() override {
    fftwf_destroy_plan(inverse_);
    fftwf_destroy_plan(forward_);
  }
  int n() const override { return n_; }
  const SlabLayout& layout() const override { return layout_; }
  std::complex<float>* fourier_slab() override { return buffer_.data(); }
  float* real_slab() override { return reinterpret_cast<float*>(buffer_.data()); }
  void forward() override { fftwf_execute(forward_); }
  void inverse() override { fftwf_execute(inverse_); }
  int rank() const override { return 0; }

 private:
  int n_;
  SlabLayout layout_;
  fft::AlignedBuffer<std::complex<float>> buffer_;
  fftwf_plan inverse_ = nullptr, forward_ = nullptr;
};

class LocalContext final : public Context {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  int ranks_on_node() const override { return 1; }
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
    if (full) std::memcpy(my_slabs, full + floats_per_z * std::size_t(layout.z0[0]), sizeof(float) * n);
    else std::fill(my_slabs, my_slabs + n, 0.0f);
  }
  std::vector<float> gather_to_root_collective(std::span<const float> mine) override {
    return {mine.begin(), mine.end()};
  }
  std::vector<std::string> gather_text_to_root_collective(const std::string& mine) override { return {mine}; }
  Received exchange_collective(std::span<const float> send, std::span<const std::size_t> counts) override {
    if (counts.size() != 1 || counts[0] != send.size()) throw std::logic_error("exchange: counts do not match");
    return Received{{send.begin(), send.end()}, {send.size()}};
  }
  std::unique_ptr<DistributedRealFft> make_real_fft_collective(int n, int threads) override {
    return std::make_unique<LocalRealFft>(n, threads);
  }
};

}  // namespace

std::unique_ptr<Context> make_local_context() { return std::make_unique<LocalContext>(); }

}  // namespace cspt::parallel
