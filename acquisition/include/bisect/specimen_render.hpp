// Image mode of the acquisition simulator: a deterministic synthetic specimen rendered at any tilt.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cspt/core/image.hpp"

namespace bisect {

/// A bead at an explicit position on the untilted specimen plane.
struct BeadPosition {
  double x_um = 0.0;
  double y_um = 0.0;
};

/// The synthetic specimen on the untilted plane: µm, X along the tilt axis, Y perpendicular, origin
/// at the eucentric point. A film (carbon with holes of ice) of optical density
/// d = material × (1 + texture), whose path grows as 1 / cos θ, carries gold beads: spheres on the
/// film, so they project as discs of the same size at any tilt. Transmission at tilt θ is
/// exp(−d / cos θ − beads).
struct SpecimenParams {
  std::uint64_t seed = 1;  ///< Texture and random bead placement.

  /// Pink-noise texture: value-noise octaves of wavelength finest·2^o, o = 0..octaves−1; each
  /// coarser octave has octave_gain times the amplitude of the finer one (1 = equal power per
  /// octave, i.e. 1/f). texture_rms is the relative density modulation on carbon.
  double texture_rms = 0.3;
  double texture_finest_nm = 6.0;
  int texture_octaves = 8;
  double texture_octave_gain = 1.0;

  /// Holey film: a square lattice of holes rotated by lattice_angle_deg from the tilt axis, one
  /// hole centred at lattice_origin. hole_diameter_um = 0 gives continuous carbon.
  double carbon_od = 0.4;
  double ice_od = 0.25;
  double ice_texture_fraction = 0.4;  ///< Texture amplitude in the holes relative to carbon.
  double hole_diameter_um = 1.2;
  double hole_spacing_um = 2.5;
  double hole_edge_nm = 15.0;  ///< Width of the smooth carbon/ice transition.
  double lattice_angle_deg = 7.0;
  double lattice_origin_x_um = 0.0;
  double lattice_origin_y_um = 0.0;

  /// Gold beads (projected spheres): placed at random with beads_per_um2, plus extra_beads.
  double bead_diameter_nm = 10.0;
  double bead_od = 2.5;  ///< Optical density through the bead centre.
  double beads_per_um2 = 3.0;
  std::vector<BeadPosition> extra_beads;
};

/// A validated specimen. Every density is a pure function of position (no stored map), so
/// any area at any resolution renders the same structure.
class Specimen {
 public:
  /// Throws cspt::ConfigError naming the offending field.
  explicit Specimen(SpecimenParams params = {});
  const SpecimenParams& params() const { return params_; }
  /// Optical density of the film at an untilted-plane point (at normal incidence).
  double film_density(double x_um, double y_um) const;
  /// Pink-noise texture at an untilted-plane point, about zero mean and unit rms.
  double texture(double x_um, double y_um) const;
  /// 1 inside a hole, 0 on carbon, smooth across hole_edge_nm (untilted plane).
  double hole_fraction(double x_um, double y_um) const;
  /// Optical density of the beads at projected point (x, y_proj) of a view at tilt acos(cos_tilt):
  /// a bead at untilted (bx, by) is a disc about (bx, by·cos θ).
  double bead_density(double x_um, double y_proj_um, double cos_tilt = 1.0) const;
  /// exp(−film / cos θ − beads) at projected point (x, y_proj); the film is sampled at y_proj / cos θ.
  double transmission(double x_um, double y_proj_um, double cos_tilt) const;

 private:
  SpecimenParams params_;
  double texture_norm_ = 1.0;                     // 1 / rms of the raw octave sum
  std::vector<double> octave_offsets_;            // per octave: u, v lattice offsets
  double lattice_cos_ = 1.0, lattice_sin_ = 0.0;  // of lattice_angle_deg
  double bead_cell_um_ = 0.25;                    // random beads: at most one per cell of this size
  double bead_probability_ = 0.0;                 // chance that a cell holds a bead
};

/// What the camera sees. Camera pixel p, at offset d = p − (nx/2, ny/2), shows the projected
/// specimen point (centre_x + d·a·s, centre_y + d·b·s) with a = (cos φ, sin φ), b = (−sin φ, cos φ),
/// φ = axis_from_x_deg and s the pixel size in µm (the convention of specimen_shift_nm). The
/// untilted point is then (X, Y_proj / cos θ): a flat specimen at the eucentric height; pass any
/// offsets in the centre.
struct RenderView {
  double centre_x_um = 0.0;  ///< Along the axis.
  double centre_y_um = 0.0;  ///< Projected, perpendicular to the axis.
  double tilt_deg = 0.0;
  double pixel_size_A = 5.0;
  int nx = 1024, ny = 1024;
  double axis_from_x_deg = 0.0;  ///< mdoc RotationAngle.
  double dose_e_per_A2 = 0.5;    ///< Expected counts = dose · pixel_size² · transmission.
  std::uint64_t noise_seed = 1;
  bool poisson_noise = true;  ///< false: the expected counts (for geometry tests).
};

/// Renders the view: counts per pixel, Poisson-distributed from noise_seed (deterministic, one
/// counter-based random stream per pixel).
cspt::Image render(const Specimen& specimen, const RenderView& view);

/// Renders the view binned by factor (view.nx / factor by view.ny / factor, remainder cropped,
/// pixel size × factor), with the statistics of render() then sum-binning: each output pixel is
/// Poisson with the sum of its factor² pixels' expected counts, estimated from s² sub-samples,
/// s = min(factor, max_samples_per_axis) (exact when s = factor; 1 samples the block centre).
cspt::Image render_binned(const Specimen& specimen, const RenderView& view, int factor, int max_samples_per_axis = 4);

/// Rounds counts to uint16 (clamped to [0, 65535]), x fastest, for MRC mode 6
/// (cspt::io::write_mrc_image_uint16).
std::vector<std::uint16_t> to_uint16(const cspt::Image& image);

}  // namespace bisect
