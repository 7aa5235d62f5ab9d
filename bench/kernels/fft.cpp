// Transforms through cspt's plan cache (FFTW_ESTIMATE plans, chosen for bit-reproducibility)
// against plain FFTW plans made with FFTW_MEASURE for the same shape: the "FFTW" rows are the
// bound of the cspt rows. 2D: the forward r2c of a particle box (every image reconstruct and
// refine read). 3D: the inverse c2r of the padded grid (pad 2) that finishes each half-map.
#include <complex>
#include <cstddef>
#include <cstdint>

#include <benchmark/benchmark.h>
#include <fftw3.h>

#include "common.hpp"
#include "cspt/fft/plan.hpp"

namespace {

using cspt::fft::AlignedBuffer;

// FFTW's own memory traffic for an out-of-place transform is at least input + output once.
int64_t r2c_bytes(std::size_t real, std::size_t cplx) { return int64_t(real * 4 + cplx * 8); }

void fill(AlignedBuffer<float>& b) {
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = float(i % 7) - 3.0f;
}
void fill(AlignedBuffer<std::complex<float>>& b) {
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = {float(i % 5) - 2.0f, float(i % 3) - 1.0f};
}

void BM_Fft2dR2C(benchmark::State& state) {
  const int box = int(state.range(0));
  AlignedBuffer<float> img(std::size_t(box) * box);
  AlignedBuffer<std::complex<float>> spec(std::size_t(box) * (box / 2 + 1));
  fill(img);
  const auto& plan = cspt::fft::cached_forward_plan(box, box);
  for (auto _ : state) {
    plan.execute(img.data(), spec.data());
    benchmark::DoNotOptimize(spec.data());
  }
  state.SetItemsProcessed(int64_t(state.iterations()));
  state.SetBytesProcessed(int64_t(state.iterations()) * r2c_bytes(img.size(), spec.size()));
}
BENCHMARK(BM_Fft2dR2C)->Apply(cspt::bench::box_sizes);

void BM_Fftw2dR2C_Measure(benchmark::State& state) {
  const int box = int(state.range(0));
  AlignedBuffer<float> img(std::size_t(box) * box);
  AlignedBuffer<std::complex<float>> spec(std::size_t(box) * (box / 2 + 1));
  auto* out = reinterpret_cast<fftwf_complex*>(spec.data());
  fftwf_plan p = fftwf_plan_dft_r2c_2d(box, box, img.data(), out, FFTW_MEASURE);  // measuring overwrites
  fill(img);
  for (auto _ : state) {
    fftwf_execute_dft_r2c(p, img.data(), out);
    benchmark::DoNotOptimize(spec.data());
  }
  fftwf_destroy_plan(p);
  state.SetItemsProcessed(int64_t(state.iterations()));
  state.SetBytesProcessed(int64_t(state.iterations()) * r2c_bytes(img.size(), spec.size()));
}
BENCHMARK(BM_Fftw2dR2C_Measure)->Apply(cspt::bench::box_sizes);

// The padded grid of a box-B reconstruction is (2B)^3: 128^3, 256^3 and 512^3 here. c2r may
// overwrite its input, so it is refilled outside the timed region.
void BM_Fft3dC2RPadded(benchmark::State& state) {
  const int n = 2 * int(state.range(0));
  AlignedBuffer<std::complex<float>> spec(std::size_t(n) * n * (n / 2 + 1));
  AlignedBuffer<float> vol(std::size_t(n) * n * n);
  const auto& plan = cspt::fft::cached_inverse_plan(n, n, n);
  for (auto _ : state) {
    state.PauseTiming();
    fill(spec);
    state.ResumeTiming();
    plan.execute(spec.data(), vol.data());
    benchmark::DoNotOptimize(vol.data());
  }
  state.SetItemsProcessed(int64_t(state.iterations()));
  state.SetBytesProcessed(int64_t(state.iterations()) * r2c_bytes(vol.size(), spec.size()));
}
BENCHMARK(BM_Fft3dC2RPadded)->Apply(cspt::bench::box_sizes)->Unit(benchmark::kMillisecond);

void BM_Fftw3dC2RPadded_Measure(benchmark::State& state) {
  const int n = 2 * int(state.range(0));
  AlignedBuffer<std::complex<float>> spec(std::size_t(n) * n * (n / 2 + 1));
  AlignedBuffer<float> vol(std::size_t(n) * n * n);
  auto* in = reinterpret_cast<fftwf_complex*>(spec.data());
  // Measuring a 512^3 plan exhaustively would take minutes; FFTW keeps the best found in 30 s.
  fftwf_set_timelimit(30.0);
  fftwf_plan p = fftwf_plan_dft_c2r_3d(n, n, n, in, vol.data(), FFTW_MEASURE);
  fftwf_set_timelimit(FFTW_NO_TIMELIMIT);
  for (auto _ : state) {
    state.PauseTiming();
    fill(spec);
    state.ResumeTiming();
    fftwf_execute_dft_c2r(p, in, vol.data());
    benchmark::DoNotOptimize(vol.data());
  }
  fftwf_destroy_plan(p);
  state.SetItemsProcessed(int64_t(state.iterations()));
  state.SetBytesProcessed(int64_t(state.iterations()) * r2c_bytes(vol.size(), spec.size()));
}
BENCHMARK(BM_Fftw3dC2RPadded_Measure)->Apply(cspt::bench::box_sizes)->Unit(benchmark::kMillisecond);

}  // namespace
