// Settings of `cspt simulate`: specimen, acquisition and the errors kept as truth. Every key is in
// configs/simulate.yaml with its default and unit.
#pragma once

#include <cstdint>
#include <string>
#include <vector>
#include <vector>

namespace cspt {

struct SimulationConfig {
  std::uint64_t seed = 1;
  // Specimen.
  std::string model = "builtin:gltph-d3";  ///< a PDB/mmCIF path, "builtin:gltph-d3" or "builtin:phantom"
  std::string model_dir = "";              ///< where "builtin:gltph-d3" finds its trimer (default: data/models)
  int particle_box_px = 128;               ///< box of the true map and of each particle's projection
  double extra_b_factor_A2 = 20.0;         ///< added to every atom's B factor
  double ice_thickness_A = 900.0;
  int particles_per_series = 25;
  int gold_per_series = 0;
  double gold_diameter_A = 50.0;
  double ice_background_rms_rad = 0.15;    ///< RMS phase of the amorphous-ice background
  // Acquisition.
  int n_tilt_series = 8;                   ///< one per beam-image-shift target of the hole pattern
  int pattern_holes = 5;                   ///< pattern_holes x pattern_holes targets
  double hole_spacing_um = 2.5;
  std::string tilt_scheme = "bisect60";    ///< bisect60, bisect36 or hagen
  double dose_per_tilt_e_per_A2 = 3.0;
  bool radiation_damage = true;            ///< Grant-Grigorieff exposure filter on every image
  /// Exposure the specimen receives before every tilt image that the metadata do not record
  /// (tracking and focusing shots, the beam of neighbouring targets): it damages the specimen
  /// but is in neither the image's counts nor its recorded dose (e/A^2). 0 = the record is exact.
  double unrecorded_dose_e_per_A2 = 0.0;
  /// Zero-loss (energy-filtered) imaging: electrons scattered inelastically in the ice are removed,
  /// so the counts fall as exp(-thickness / (cos(tilt) * this)) (A; 0 = no loss).
  double inelastic_mean_free_path_A = 3800.0;
  double pixel_size_A = 1.5;
  int image_nx_px = 1024, image_ny_px = 1024;
  std::string camera = "K2 Summit, centred 1024 x 1024 readout";
  double voltage_kV = 300.0, cs_mm = 2.7, amplitude_contrast = 0.07;
  double target_defocus_A = 25000.0;       ///< positive underfocus
  double defocus_spread_A = 5000.0;        ///< per-series target drawn uniformly within +-spread/2
  double astigmatism_A = 400.0;            ///< per-series |dU - dV| drawn uniformly in [0, this]
  double tilt_axis_deg = 85.0;             ///< nominal, CCW from image +y (IMOD)
  // Errors: true values differ from what the microscope reports by these (standard deviations).
  double tilt_offset_sd_deg = 0.3;         ///< per series
  double tilt_jitter_sd_deg = 0.1;         ///< per tilt
  double axis_error_sd_deg = 0.5;          ///< per series
  double inplane_jitter_sd_deg = 0.1;      ///< per tilt
  double shift_sd_A = 40.0;                ///< per tilt, tracking residual
  /// Local sample deformation (beam-induced motion): per tilt after the first, a random linear
  /// gradient of the particles' in-plane shift across the field; each component within +-this at
  /// the edge of the field (A). 0 = off. Recorded in Truth::projection_shifts.
  double deformation_A = 0.0;
  double defocus_error_sd_A = 300.0;       ///< per tilt, focus residual
  double defocus_handedness = 1.0;         ///< +1: higher = less underfocus (physics); -1 flips it
  // Outputs.
  bool write_particle_picks = true;        ///< put the true 3D positions into /particles (as picks)
  /// Orientations of the picks: < 0 unknown (zero angles; refine with a global search), else the
  /// true orientation turned by this angle about a random axis, as a prior sub-tomogram
  /// alignment gives them (deg).
  double pick_orientation_error_deg = -1.0;
  /// A bisect-track simulation's truth.json: tilt series i takes ROI i's focus error at every
  /// tilt (the error the tracker achieved) instead of drawing it with defocus_error_sd_A.
  std::string acquisition;
  /// Filled from `acquisition` by load_tracked_focus_errors: per series, per acquisition order (A,
  /// positive = more underfocus than the target).
  std::vector<std::vector<double>> tracked_defocus_error_A;
  /// Where the settings came from (a config file or "command line"), for messages.
  std::string source = "command line";
};

/// Defaults, then the keys of `path` (top level or under `simulate:`). Every known section of the
/// file is checked against the schema (include/cspt/config/schema.hpp); unknown keys, wrong types
/// and out-of-range values throw ConfigError naming the file, the key and its line.
SimulationConfig load_simulation_config(const std::string& path);

/// Set one key (written with '-' or '_') from text, as a flag gives it; the text is checked against
/// the schema's simulate section first. ConfigError naming `where` and the key on an unknown key or
/// a value of the wrong type or range.
void apply_simulation_setting(SimulationConfig& c, const std::string& key, const std::string& value,
                              const std::string& where);

/// True if `key` (written with '-' or '_') is a simulation setting.
bool is_simulation_setting(const std::string& key);

/// Every setting's key, spelt as the SimulationConfig field (underscores).
std::vector<std::string> simulation_setting_keys();

/// The text of one setting's value in `c` (the inverse of apply_simulation_setting).
std::string simulation_setting_text(const SimulationConfig& c, const std::string& key);

/// Read `c.acquisition` (if set) into `c.tracked_defocus_error_A`; IoError naming the file when it
/// is not a bisect-track truth.json.
void load_tracked_focus_errors(SimulationConfig& c);

/// Check ranges; `where` names the source for messages.
void validate(const SimulationConfig& c, const std::string& where);

}  // namespace cspt
