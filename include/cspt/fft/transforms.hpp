// Whole-volume and whole-image transforms between real and Fourier space, through cached plans.
#pragma once

#include "cspt/core/fourier_volume.hpp"
#include "cspt/core/image.hpp"
#include "cspt/core/volume.hpp"

namespace cspt::fft {

/// Forward transform of a cubic volume (unnormalised).
FourierVolume forward(const Volume& v, int threads = 1);

/// Inverse transform, normalised so that inverse(forward(v)) == v.
Volume inverse(const FourierVolume& f, int threads = 1);

/// Forward transform of an image (unnormalised).
FourierImage forward(const Image& im);

/// Inverse transform of an image, normalised so that inverse(forward(im)) == im.
Image inverse(const FourierImage& f);

}  // namespace cspt::fft
