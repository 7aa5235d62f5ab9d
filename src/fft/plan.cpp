// FFTW plan creation under a global lock (the FFTW planner is not thread-safe), new-array execution.
#include "cspt/fft/plan.hpp"

#include <fftw3.h>

#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <new>

namespace cspt::fft {
namespace {
std::mutex& planner_mutex() {
  static std::mutex m;
  return m;
}

void ensure_threads_initialised() {
  static const bool ok = fftwf_init_threads() != 0;
  (void)ok;
}
}  // namespace

float* alloc_real(std::size_t n) {
  auto* p = fftwf_alloc_real(n == 0 ? 1 : n);
  if (!p) throw std::bad_alloc();
  return p;
}

std::complex<float>* alloc_complex(std::size_t n) {
  auto* p = fftwf_alloc_complex(n == 0 ? 1 : n);
  if (!p) throw std::bad_alloc();
  return reinterpret_cast<std::complex<float>*>(p);
}

void free_buffer(void* p) {
  if (p) fftwf_free(p);
}

void set_planner_threads(int threads) {
  std::lock_guard lock(planner_mutex());
  ensure_threads_initialised();
  fftwf_plan_with_nthreads(threads < 1 ? 1 : threads);
}

RealToComplex::RealToComplex(int nx, int ny, int nz, int threads) {
  std::lock_guard lock(planner_mutex());
  ensure_threads_initialised();
  fftwf_plan_with_nthreads(threads < 1 ? 1 : threads);
  const std::size_t nreal = std::size_t(nx) * ny * nz;
  const std::size_t ncplx = std::size_t(nx / 2 + 1) * ny * nz;
  float* in = fftwf_alloc_real(nreal);
  fftwf_complex* out = fftwf_alloc_complex(ncplx);
  // FFTW_ESTIMATE, never FFTW_MEASURE: measured plans depend on timings, so two runs could pick
  // different algorithms and round differently, and a seed would no longer fix the bits.
  const unsigned flags = FFTW_ESTIMATE;
  plan_ = nz == 1 ? fftwf_plan_dft_r2c_2d(ny, nx, in, out, flags)
                  : fftwf_plan_dft_r2c_3d(nz, ny, nx, in, out, flags);
  fftwf_free(in);
  fftwf_free(out);
  if (!plan_) throw std::bad_alloc();
}

RealToComplex::~RealToComplex() {
  std::lock_guard lock(planner_mutex());
  fftwf_destroy_plan(static_cast<fftwf_plan>(plan_));
}

void RealToComplex::execute(float* in, std::complex<float>* out) const {
  fftwf_execute_dft_r2c(static_cast<fftwf_plan>(plan_), in, reinterpret_cast<fftwf_complex*>(out));
}

ComplexToReal::ComplexToReal(int nx, int ny, int nz, int threads) {
  std::lock_guard lock(planner_mutex());
  ensure_threads_initialised();
  fftwf_plan_with_nthreads(threads < 1 ? 1 : threads);
  const std::size_t nreal = std::size_t(nx) * ny * nz;
  const std::size_t ncplx = std::size_t(nx / 2 + 1) * ny * nz;
  float* out = fftwf_alloc_real(nreal);
  fftwf_complex* in = fftwf_alloc_complex(ncplx);
  const unsigned flags = FFTW_ESTIMATE;  // deterministic plans (see RealToComplex)
  plan_ = nz == 1 ? fftwf_plan_dft_c2r_2d(ny, nx, in, out, flags)
                  : fftwf_plan_dft_c2r_3d(nz, ny, nx, in, out, flags);
  fftwf_free(in);
  fftwf_free(out);
  if (!plan_) throw std::bad_alloc();
}

ComplexToReal::~ComplexToReal() {
  std::lock_guard lock(planner_mutex());
  fftwf_destroy_plan(static_cast<fftwf_plan>(plan_));
}

void ComplexToReal::execute(std::complex<float>* in, float* out) const {
  fftwf_execute_dft_c2r(static_cast<fftwf_plan>(plan_), reinterpret_cast<fftwf_complex*>(in), out);
}

namespace {
template <class Plan>
const Plan& cached_plan(int nx, int ny, int nz, int threads) {
  static std::mutex m;
  // Never destroyed: fftwf_mpi_cleanup (MpiEnvironment's destructor) ends FFTW before static
  // destructors run, and destroying a plan after that crashes at exit. The OS takes them back.
  static auto* plans = new std::map<std::array<int, 4>, std::unique_ptr<Plan>>();
  std::lock_guard lock(m);
  auto& slot = (*plans)[{nx, ny, nz, threads}];
  if (!slot) slot = std::make_unique<Plan>(nx, ny, nz, threads);
  return *slot;
}
}  // namespace

const RealToComplex& cached_forward_plan(int nx, int ny, int nz, int threads) {
  return cached_plan<RealToComplex>(nx, ny, nz, threads);
}

const ComplexToReal& cached_inverse_plan(int nx, int ny, int nz, int threads) {
  return cached_plan<ComplexToReal>(nx, ny, nz, threads);
}

}  // namespace cspt::fft
