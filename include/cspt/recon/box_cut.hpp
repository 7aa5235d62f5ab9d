// One particle box cut from a raw tilt image: the step stored extraction (`extract_particles`) and
// on-the-fly extraction (refinement's ranks cutting their own projections) share, so that both
// give the same pixels.
#pragma once

#include "cspt/core/image.hpp"

namespace cspt {

/// The mean a tilt image's boxes are normalised by (contrast = image / mean - 1).
double tilt_image_mean(const Image& tilt_image);

/// Whether a square box of `raw_box_px` raw pixels centred at the integer pixel (ix, iy) (its
/// first pixel at ix - raw_box_px/2) lies inside an nx x ny image.
bool box_inside_image(int nx_px, int ny_px, int ix, int iy, int raw_box_px);

/// The box of box_px * bin raw pixels centred at (ix, iy) of `tilt_image` (which it must lie in),
/// as contrast (sign * (image / mean - 1), 0 when the mean is not positive), Fourier-cropped to
/// box_px when bin > 1; its pixel size is the raw one times bin.
Image cut_box(const Image& tilt_image, double mean, int ix, int iy, int box_px, int bin, float contrast_sign);

/// The square image `im` (even size) Fourier-cropped to n x n (even, n <= size): every frequency
/// below the new Nyquist kept, the rest (and the new Nyquist row and column) dropped, so nothing
/// aliases; the mean is kept and the pixel size grows by size / n.
Image fourier_crop(const Image& im, int n);

}  // namespace cspt
