// Cutting one particle box from a raw tilt image, with optional Fourier-cropping (binning).
#include "cspt/recon/box_cut.hpp"

#include <algorithm>
#include <complex>
#include <cstdlib>
#include <numeric>
#include <string>

#include "cspt/fft/transforms.hpp"
#include "cspt/util/error.hpp"

namespace cspt {

double tilt_image_mean(const Image& tilt_image) {
  return std::accumulate(tilt_image.values().begin(), tilt_image.values().end(), 0.0) / double(tilt_image.size());
}

bool box_inside_image(int nx_px, int ny_px, int ix, int iy, int raw_box_px) {
  const int x0 = ix - raw_box_px / 2, y0 = iy - raw_box_px / 2;
  return x0 >= 0 && y0 >= 0 && x0 + raw_box_px <= nx_px && y0 + raw_box_px <= ny_px;
}

Image cut_box(const Image& tilt_image, double mean, int ix, int iy, int box_px, int bin, float contrast_sign) {
  const int raw_box = box_px * bin;
  if (bin < 1 || !box_inside_image(tilt_image.nx(), tilt_image.ny(), ix, iy, raw_box))
    throw InternalError("cut_box: box of " + std::to_string(raw_box) + " px at (" + std::to_string(ix) + ", " +
                        std::to_string(iy) + ") outside the tilt image");
  Image cut(raw_box, raw_box, tilt_image.pixel_size_A());
  for (int y = 0; y < raw_box; ++y)
    for (int x = 0; x < raw_box; ++x)
      cut.at(x, y) = mean > 0
                         ? contrast_sign * float(tilt_image.at(ix - raw_box / 2 + x, iy - raw_box / 2 + y) / mean - 1.0)
                         : 0.0f;
  return bin == 1 ? cut : fourier_crop(cut, box_px);
}

Image fourier_crop(const Image& im, int n) {
  const int m = im.nx();
  if (im.ny() != m || m % 2 || n % 2 || n < 2 || n > m)
    throw InternalError("fourier_crop: " + std::to_string(im.nx()) + "x" + std::to_string(im.ny()) + " to " +
                        std::to_string(n));
  if (n == m) return im;
  const FourierImage big = fft::forward(im);
  FourierImage small(n, n, im.pixel_size_A() * m / n);
  std::fill(small.data(), small.data() + small.size(), std::complex<float>(0.0f, 0.0f));  // not zeroed on allocation
  // The forward transform is unnormalised and the inverse divides by n^2: scaling by (n/m)^2 keeps
  // the mean (a binned pixel is the average of the raw ones it covers, in the band it keeps).
  const float scale = float(double(n) * n / (double(m) * m));
  for (int ky = 0; ky < n; ++ky) {
    const int f = small.frequency(ky);
    if (std::abs(f) == n / 2) continue;  // the new Nyquist row stays zero
    const int big_ky = f >= 0 ? f : f + m;
    for (int kx = 0; kx < n / 2; ++kx) small.at(kx, ky) = big.data()[std::size_t(big_ky) * big.nx_half() + kx] * scale;
  }
  Image out = fft::inverse(small);
  out.set_pixel_size_A(im.pixel_size_A() * m / n);
  return out;
}

}  // namespace cspt
