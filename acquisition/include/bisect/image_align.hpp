// Cross-correlation of tracking images with cosine stretch, pairwise or against the whole series.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "bisect/image_binning.hpp"
#include "cspt/core/image.hpp"

namespace bisect {

/// How images are binned, filtered and correlated. Frequencies are in cycles per *binned* pixel.
struct AlignFilter {
  int max_size_px = 512;        ///< Bin by the smallest integer factor with max(nx, ny) / factor <= this.
  double taper_fraction = 0.1;  ///< Of each side, blended to the image mean (cosine ramp); [0, 0.5).
  /// Zero padding: each side is padded to an FFT-friendly size >= pad_factor × binned size, [1, 4].
  /// 1.5 leaves lags up to half the image free of wrap-around; 1 is circular correlation.
  double pad_factor = 1.5;
  double highpass_cyc_per_px = 0.03;  ///< Gaussian high-pass σ: 1 − exp(−f² / 2σ²); 0 = none.
  double lowpass_cyc_per_px = 0.3;    ///< Low-pass radius: 1 below, exp(−(f − r)² / 2σ²) above.
  double lowpass_falloff_cyc_per_px = 0.05;  ///< σ of the low-pass edge; 0 = hard cut.
  double exclusion_radius_px = 3.0;  ///< Binned px about the peak not searched for the second peak.
  bool cosine_stretch = true;        ///< false: no stretch (k = 1), for comparisons only.
};

/// One alignment. The new image shows the reference's content moved by +shift along the camera
/// axes, in unbinned pixels of the new image: new(p) ≈ ref(p − shift).
struct AlignResult {
  double shift_x_px = 0.0;
  double shift_y_px = 0.0;
  double cc_peak = 0.0;  ///< Normalised cross-correlation at the peak, in [−1, 1].
  /// Peak over the highest other local maximum farther than exclusion_radius_px from it
  /// (capped at 1000; 0 when the peak is not positive).
  double psr = 0.0;
};

/// A displacement on the specimen, projected on the plane normal to the beam: x along the tilt
/// axis, y perpendicular (SerialEM's ImageShiftByMicrons frame, here in nm).
struct SpecimenShiftNm {
  double x_nm = 0.0;
  double y_nm = 0.0;
};

/// A displacement along the camera axes, in pixels.
struct CameraShiftPx {
  double x_px = 0.0;
  double y_px = 0.0;
};

/// Content moved by +s camera pixels is the specimen moved by X = s·a, Y = s·b (× pixel size),
/// with a = (cos φ, sin φ), b = (−sin φ, cos φ), φ = axis_from_x_deg (docs/tracker-protocol.md).
SpecimenShiftNm specimen_shift_nm(double shift_x_px, double shift_y_px, double pixel_size_A,
                                  double axis_from_x_deg);
/// The inverse of specimen_shift_nm.
CameraShiftPx camera_shift_px(double x_nm, double y_nm, double pixel_size_A, double axis_from_x_deg);

/// The image resampled (bilinear) under the cosine stretch A(k) = a·aᵀ + k·b·bᵀ about centre c,
/// after undoing a translation: out(p) = in(c + A(k)⁻¹(p − c) + shift). Samples outside the input
/// take the input's mean. Coordinates are pixel indices of `image`.
cspt::Image stretch_about(const cspt::Image& image, double centre_x_px, double centre_y_px,
                          double axis_from_x_deg, double k, double shift_x_px = 0.0, double shift_y_px = 0.0);

/// Aligns img (tilt img_tilt_deg) to ref (ref_tilt_deg), both unbinned and the same size. The
/// more tilted image is stretched onto the other's geometry (k = cos θ_less / cos θ_more ≥ 1)
/// and the peak is returned in the new image's unbinned frame. Throws cspt::ConfigError.
AlignResult align_pair(const cspt::Image& ref, double ref_tilt_deg, const cspt::Image& img, double img_tilt_deg,
                       double axis_from_x_deg, const AlignFilter& filter = {});

/// The whole-series (cumulative) tracking reference: R = Σ w·Ĩ / Σ w, where Ĩ is an aligned image
/// mapped to the reference tilt θ0 (stretch k = cos θ0 / cos θ, its shift undone, normalised to
/// zero mean and unit variance), kept binned. The filtered Fourier transform of R is cached, so
/// align() costs one forward and one inverse FFT while the new image is at least as tilted as θ0
/// (otherwise R is stretched onto the new image's geometry and transformed as well).
/// Different objects may be used concurrently; align() is const and also safe to share.
class SeriesReference {
 public:
  /// What a restarted tracker needs to align bit-identically (persist all three).
  struct State {
    cspt::Image sum_binned;  ///< Σ w·Ĩ, binned, in the θ0 frame.
    double weight_sum = 0.0;
    int count = 0;
  };

  /// nx, ny: the unbinned tracking-image size. Throws cspt::ConfigError naming the field.
  SeriesReference(int nx, int ny, double axis_from_x_deg, double reference_tilt_deg, AlignFilter filter = {});
  /// Restores a reference from a saved state (checked against the geometry).
  SeriesReference(int nx, int ny, double axis_from_x_deg, double reference_tilt_deg, AlignFilter filter,
                  State state);
  SeriesReference(const SeriesReference& other);
  SeriesReference& operator=(const SeriesReference& other);
  SeriesReference(SeriesReference&&) noexcept;
  SeriesReference& operator=(SeriesReference&&) noexcept;
  ~SeriesReference();

  bool empty() const;
  int binning() const;  ///< Factor applied to nx by ny images.
  int binned_nx() const;
  int binned_ny() const;
  double reference_tilt_deg() const;

  /// Aligns an unbinned nx by ny image (float or raw uint16) at tilt_deg to the reference.
  /// Throws cspt::Error if the reference is empty, cspt::ConfigError on a size mismatch.
  AlignResult align(const cspt::Image& image, double tilt_deg) const;
  AlignResult align(const std::uint16_t* pixels, int nx, int ny, double tilt_deg) const;
  /// As align(), for an image already binned by binning() (bin_image, read_binned_mrc_section).
  AlignResult align_binned(const cspt::Image& binned, double tilt_deg) const;

  /// Adds an image aligned with shift (unbinned px, as align() reports it) with weight > 0
  /// (the caller's choice, e.g. cos θ).
  void add(const cspt::Image& image, double tilt_deg, double shift_x_px, double shift_y_px, double weight);
  void add_binned(const cspt::Image& binned, double tilt_deg, double shift_x_px, double shift_y_px,
                  double weight);

  const State& state() const;
  /// Replaces the accumulated state (as the restoring constructor does).
  void restore(State state);
  /// R = sum / weight_sum, binned, in the θ0 frame (empty image when nothing was added).
  cspt::Image reference_binned() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bisect
