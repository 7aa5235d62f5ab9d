// A simulated microscope (acquisition.md 8) that drives the real tracker through the protocol:
// stage runout, eucentricity and tilt-axis errors, backlash, jitter, drift, image-shift calibration
// error, specimen topography, autofocus and correlation noise with failures rising with tilt, and
// a timing model. Two fidelities: geometry (the correlation is an oracle with a noise and failure
// model) and image (images are rendered from a synthetic specimen and correlated for real).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bisect/plan.hpp"

namespace bisect {

/// The true microscope and specimen. Lengths in um unless named otherwise.
struct ScopeModel {
  std::uint64_t seed = 1;
  bool render_images = false;  ///< image mode (B) instead of the geometry oracle (A)

  // stage
  double eucentric_error_sigma_um = 0.7;  ///< e, drawn once per stage position
  double eucentric_error_um = 0.0;        ///< added to the drawn value (eucentric-sweep)
  double axis_offset_sigma_um = 0.2;      ///< y_ax
  double runout_y_um_at_60 = 1.5;         ///< runout perpendicular to the axis reaches this at 60 deg
  double runout_z_um_at_60 = 0.6;
  double runout_x_um_at_60 = 0.1;
  double backlash_um = 0.2;               ///< offset when the tilt direction reverses
  double jitter_y_nm = 30.0, jitter_x_nm = 15.0, jitter_z_nm = 30.0;  ///< per tilt, i.i.d.
  double stage_move_error_nm = 150.0;     ///< initial positioning error per axis
  double drift_nm_per_s = 2.0;            ///< right after a tilt, decaying with drift_tau_s
  double drift_tau_s = 30.0;
  double tilt_error_deg = 0.03;           ///< reported minus true angle, sigma

  // beam image shift
  double is_scale_error = 0.007, is_rotation_error_deg = 0.4;
  double is_repeat_nm = 2.0;  // the paper reaches 5 nm in 1-2 high-mag iterations: repeatability of a few nm

  // focus
  double delta_z_to_defocus_true = 1.0;
  double autofocus_sigma_nm = 50.0;

  // specimen topography (acquisition.md 8.1): heights above the eucentric plane
  double pretilt_deg = 1.0, pretilt_rotation_deg = 30.0;
  double bending_per_um = 0.002;          ///< kappa
  double topography_sigma_um = 0.1;

  // correlation (geometry mode)
  double cc_sigma_px_low = 0.7, cc_sigma_px_high = 1.5, cc_sigma_px_record = 1.5;
  double cc_tilt_power = 1.5;
  double failure_p0 = 0.005, failure_p1 = 0.05;  ///< p = p0 + p1 (1/cos - 1)^2
  double hole_spacing_um = 2.5;                  ///< period of lattice aliases

  // dark ROIs: ROI index -> tilt beyond which it goes dark (|angle| >), -1 = never
  std::vector<int> dark_rois;
  double dark_beyond_deg = 90.0;

  // timing (s)
  double tilt_base_s = 1.5, tilt_per_deg_s = 0.1, backlash_s = 1.0, settle_s = 0.3;
  double mag_change_s = 2.0, tracking_image_s = 1.0, focus_s = 5.0;
  double is_move_s = 0.3, record_s = 1.0, readout_s = 0.5, tracker_s = 0.05;

  // crash/restart: the session is closed and reopened from its file after these event counts
  std::vector<int> restart_after_events;
};

/// A named scenario: the plan and the scope. Names: ideal, nominal-krios, bad-stage,
/// high-tilt-failures, eucentric-sweep, lamella-pretilt, crash-resume. Throws cspt::ConfigError
/// listing them for any other name.
struct Scenario {
  std::string name;
  TrackPlan plan;
  ScopeModel scope;
};
Scenario builtin_scenario(const std::string& name);
std::vector<std::string> scenario_names();

/// Overrides from a scenario YAML file: sections `plan` (the keys of a track.yaml; replaces the
/// plan when present) and `scope` (ScopeModel fields by name). Unknown keys are refused.
void apply_scenario_yaml(const std::string& path, Scenario& s);

/// Runs a whole acquisition against the tracker through a Session on DIR/project.h5 and writes
/// DIR/summary.json (the figures of docs/acquisition.md) and DIR/truth.json. Returns the summary.
/// `progress` prints one line per tilt to stderr.
nlohmann::json simulate_acquisition(const Scenario& s, const std::string& dir, bool progress);

}  // namespace bisect
