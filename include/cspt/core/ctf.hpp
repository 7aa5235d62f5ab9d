// The contrast transfer function, cisTEM sign convention (CTF = -sin chi), defocus positive = underfocus.
#pragma once

namespace cspt {

/// CTF parameters of one image, every field with its unit. Defocus is positive for underfocus;
/// defocus_u_A lies along defocus_angle_deg, measured counter-clockwise from +x of the image.
struct CtfParams {
  double voltage_kV = 300.0;
  double cs_mm = 2.7;
  double amplitude_contrast = 0.07;
  double defocus_u_A = 20000.0;
  double defocus_v_A = 20000.0;
  double defocus_angle_deg = 0.0;
  double phase_shift_deg = 0.0;
  double bfactor_A2 = 0.0;  ///< envelope exp(-B s^2 / 4), as RELION's rlnCtfBfactor
  double scale = 1.0;       ///< as RELION's rlnCtfScalefactor
};

/// Relativistic electron wavelength in Angstrom for an accelerating voltage in kV.
double electron_wavelength_A(double voltage_kV);

/// Precomputed constants for evaluating one CTF at many frequencies (hot loops).
class CtfEvaluator {
 public:
  explicit CtfEvaluator(const CtfParams& p);
  /// CTF at spatial frequency (sx, sy) in 1/Angstrom. Internal (cisTEM) sign: negative near s = 0.
  double operator()(double sx_per_A, double sy_per_A) const;
  /// Phase aberration chi (radians) at (sx, sy) in 1/Angstrom, including the amplitude-contrast phase.
  double chi(double sx_per_A, double sy_per_A) const;
  /// The CTF on the non-redundant half of a box x box image transform, FFTW layout: row r is
  /// ky = r (r < box/2) or r - box, column c is kx = c in 0..box/2. Single precision, vectorised;
  /// agrees with operator() to about 1e-5.
  void evaluate_half_plane(int box, double pixel_size_A, float* out) const;

 private:
  double lambda_A_, cs_A_, mean_defocus_A_, half_astig_A_, astig_angle_rad_;
  double const_phase_rad_, bfactor_A2_, scale_;
};

/// Value of RELION's CTF for the same parameters: the opposite sign of ours (algorithms.md 1.3).
/// Used only at RELION import/export and in tests that compare with relion_project.
inline double relion_ctf_from_internal(double internal_ctf) { return -internal_ctf; }

}  // namespace cspt
