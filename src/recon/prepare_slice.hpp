// One projection turned into a central slice: read, FFT, re-centre, CTF and frequency weights.
#pragma once

#include <complex>
#include <vector>

#include "cspt/fft/plan.hpp"
#include "cspt/recon/reconstruct.hpp"

namespace cspt::detail {

/// Scratch buffers one thread reuses for every projection.
struct SliceWorkspace {
  explicit SliceWorkspace(int box)
      : image(std::size_t(box) * box),
        spectrum(std::size_t(box) * (box / 2 + 1)),
        ctf(std::size_t(box) * (box / 2 + 1)),
        weights(std::size_t(box) * (box / 2 + 1)),
        phase_x(std::size_t(box / 2 + 1)),
        phase_y(std::size_t(box)) {}
  fft::AlignedBuffer<float> image;
  fft::AlignedBuffer<std::complex<float>> spectrum;
  std::vector<float> ctf, weights;
  std::vector<std::complex<float>> phase_x, phase_y;
};

/// Turn the image in ws.image into the slice values (ws.spectrum) and weights (ws.weights).
void prepare_slice(const ParticleSet& set, const Projection& p, const ReconstructOptions& opts, int box,
                   const fft::RealToComplex& plan, SliceWorkspace& ws);

}  // namespace cspt::detail
