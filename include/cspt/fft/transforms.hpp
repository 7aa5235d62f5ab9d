// Whole-volume transforms between Volume and FourierVolume.
#pragma once

#include "cspt/core/fourier_volume.hpp"
#include "cspt/core/volume.hpp"

namespace cspt::fft {

/// Forward transform of a cubic volume (unnormalised).
FourierVolume forward(const Volume& v, int threads = 1);

/// Inverse transform, normalised so that inverse(forward(v)) == v.
Volume inverse(const FourierVolume& f, int threads = 1);

}  // namespace cspt::fft
