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
  cached_forward_plan(n, n, n, threads).execute(in.data(), f.data());
  return f;
}

Volume inverse(const FourierVolume& f, int threads) {
  const int n = f.n();
  AlignedBuffer<std::complex<float>> in(f.size());
  std::copy(f.data(), f.data() + f.size(), in.data());
  AlignedBuffer<float> out(std::size_t(n) * n * n);
  cached_inverse_plan(n, n, n, threads).execute(in.data(), out.data());
  Volume v(n, f.pixel_size_A());
  const float scale = 1.0f / float(std::size_t(n) * n * n);
  for (std::size_t i = 0; i < v.size(); ++i) v.data()[i] = out[i] * scale;
  return v;
}

FourierImage forward(const Image& im) {
  AlignedBuffer<float> in(im.size());
  std::copy(im.values().begin(), im.values().end(), in.data());
  FourierImage f(im.nx(), im.ny(), im.pixel_size_A());
  cached_forward_plan(im.nx(), im.ny()).execute(in.data(), f.data());
  return f;
}

Image inverse(const FourierImage& f) {
  AlignedBuffer<std::complex<float>> in(f.size());
  std::copy(f.data(), f.data() + f.size(), in.data());
  AlignedBuffer<float> out(std::size_t(f.nx()) * f.ny());
  cached_inverse_plan(f.nx(), f.ny()).execute(in.data(), out.data());
  Image im(f.nx(), f.ny(), f.pixel_size_A());
  const float scale = 1.0f / float(std::size_t(f.nx()) * f.ny());
  for (std::size_t i = 0; i < im.size(); ++i) im.data()[i] = out[i] * scale;
  return im;
}

}  // namespace cspt::fft
