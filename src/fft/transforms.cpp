// Volume <-> FourierVolume through cached FFTW plans.
#include "cspt/fft/transforms.hpp"

#include <algorithm>

#include "cspt/util/error.hpp"

namespace cspt::fft {

FourierVolume forward(const Volume& v, int threads) {
  if (!v.is_cubic() || v.nx() < 1) throw InternalError("fft::forward needs a cubic volume");
  const int n = v.nx();
  AlignedBuffer<float> in(v.size());
  std::copy(v.values().begin(), v.values().end(), in.data());
  FourierVolume f(n, v.pixel_size_A());
  RealToComplex(n, n, n, threads).execute(in.data(), f.data());
  return f;
}

Volume inverse(const FourierVolume& f, int threads) {
  const int n = f.n();
  AlignedBuffer<std::complex<float>> in(f.size());
  std::copy(f.data(), f.data() + f.size(), in.data());
  AlignedBuffer<float> out(std::size_t(n) * n * n);
  ComplexToReal(n, n, n, threads).execute(in.data(), out.data());
  Volume v(n, f.pixel_size_A());
  const float scale = 1.0f / float(std::size_t(n) * n * n);
  for (std::size_t i = 0; i < v.size(); ++i) v.data()[i] = out[i] * scale;
  return v;
}

}  // namespace cspt::fft
