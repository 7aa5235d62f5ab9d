// The in-memory form of the HDF5 project file (schema v1): everything one dataset carries from the
// microscope through every processing stage. io/project_file.hpp reads and writes it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cspt {

/// Optics shared by all tilt series of a project.
struct Optics {
  double voltage_kV = 300.0;
  double cs_mm = 2.7;
  double amplitude_contrast = 0.07;
  double pixel_size_A = 1.5;
  int detector_nx_px = 0, detector_ny_px = 0;
  std::string camera;  ///< e.g. "K2 Summit (cropped)"
};

/// One image of a tilt series. Angles in degrees, lengths in Angstrom unless the name says otherwise.
struct TiltRecord {
  int section = 0;                   ///< 0-based section in the raw stack (= acquisition order)
  int acquisition_order = 0;         ///< 0-based
  double nominal_tilt_deg = 0.0;     ///< stage angle as reported
  double refined_tilt_deg = 0.0;     ///< after alignment/refinement (= nominal until refined)
  double tilt_axis_deg = 0.0;        ///< in-plane angle of the tilt axis in the raw image, CCW from +y (IMOD)
  double dose_e_per_A2 = 0.0;        ///< exposure of this image
  double prior_dose_e_per_A2 = 0.0;  ///< cumulative exposure before this image
  double target_defocus_A = 0.0;     ///< positive = underfocus
  double defocus_u_A = 0.0, defocus_v_A = 0.0, defocus_angle_deg = 0.0;  ///< fitted CTF (0 = not fitted)
  double ctf_score = 0.0, ctf_resolution_A = 0.0;
  double shift_x_A = 0.0, shift_y_A = 0.0;  ///< alignment: raw-image position of the tilt-axis centre
  double inplane_rotation_deg = 0.0;        ///< alignment: extra in-plane rotation
  double image_shift_x_um = 0.0, image_shift_y_um = 0.0;  ///< beam image shift applied (specimen um)
  double stage_x_um = 0.0, stage_y_um = 0.0, stage_z_um = 0.0;
  double timestamp_s = 0.0;  ///< seconds since 2020-01-01 (SerialEM TimeStamp)
};

/// One tilt series: one region of interest (beam-image-shift target) of one stage position.
struct TiltSeriesRecord {
  std::string name;        ///< e.g. "ts_001"; the HDF5 group name
  std::string stack_path;  ///< raw stack (MRC, acquisition order), relative to the project file
  std::string mdoc_path;   ///< SerialEM .mdoc beside the stack ("" if none)
  int nx_px = 0, ny_px = 0;
  double image_shift_x_um = 0.0, image_shift_y_um = 0.0;  ///< BIS target offset from the tracking area
  /// Sign of the defocus gradient relative to the tilt angle, from the data (cspt ctf): +1 when a
  /// point higher after tilting is less underfocused (docs/conventions.md), -1 when inverted, 0 unknown.
  double defocus_handedness = 0.0;
  std::vector<TiltRecord> tilts;                           ///< in acquisition order
};

/// One particle: a 3D position in its tilt series' tomogram frame and an orientation.
struct ParticleRecord {
  int tilt_series = 0;                ///< index into Project::tilt_series
  double x_A = 0.0, y_A = 0.0, z_A = 0.0;  ///< tomogram frame: origin at the tilt-series centre, y along the tilt axis, z up
  double rot_deg = 0.0, tilt_deg = 0.0, psi_deg = 0.0;  ///< ZYZ (RELION) in the tomogram frame
  int half = 1;
  double score = 0.0;
};

/// One projection of one particle in one tilt.
struct ProjectionRecord {
  int particle = 0;
  int tilt = 0;  ///< index into the particle's tilt series' tilts
  double defocus_u_A = 0.0, defocus_v_A = 0.0, defocus_angle_deg = 0.0;
  double score = 0.0;
};

/// The true displacement of one projection's particle in its tilt image, on top of the tilt's
/// geometry (the simulator's local sample deformation, `deformation_A`).
struct ProjectionShiftRecord {
  double shift_x_A = 0.0, shift_y_A = 0.0;
};

/// Ground truth of a simulated project (absent for real data).
struct Truth {
  std::string map_path;  ///< the true map (MRC), relative to the project file
  std::vector<ParticleRecord> particles;  ///< true positions and orientations
  /// Per tilt series and tilt: the true geometry and CTF (same fields as TiltRecord).
  std::vector<std::vector<TiltRecord>> tilts;
  std::vector<ProjectionRecord> projections;  ///< true per-projection defocus
  /// Empty (no local deformation) or one row per `projections` row: where the particle sits in the
  /// image relative to where the tilt's geometry puts it.
  std::vector<ProjectionShiftRecord> projection_shifts;
  double defocus_handedness = 1.0;            ///< +1: higher along the beam = less underfocus
};

/// A float64 column of an acquisition table, with its unit ("" = dimensionless or an index).
struct AcquisitionColumn {
  std::string name, unit;
  std::vector<double> values;
};

/// A table of the acquisition record: columns of equal length, one row per event of its kind.
struct AcquisitionTable {
  std::string name;  ///< the HDF5 group under /acquisition/tables
  std::vector<AcquisitionColumn> columns;
};

/// What the acquisition tracker (bisect-track) keeps: its plan, its complete resumable state, and
/// its per-event tables (tracking iterations, focus, one table per ROI with every Record, model
/// refits). Stored under /acquisition; see docs/hdf5-schema.md.
struct AcquisitionRecord {
  std::string plan_json;   ///< the effective plan (all defaults filled in)
  std::string state_json;  ///< the tracker's state after the last event (restart resumes exactly)
  std::vector<AcquisitionTable> tables;
  std::vector<std::string> events;  ///< the event log, one line per event received
};

/// The whole project.
struct Project {
  static constexpr int kSchemaVersion = 1;
  Optics optics;
  std::vector<TiltSeriesRecord> tilt_series;
  std::vector<ParticleRecord> particles;
  std::vector<ProjectionRecord> projections;
  std::optional<Truth> truth;
  std::optional<AcquisitionRecord> acquisition;  ///< present in projects written by bisect-track
  std::string created_by;  ///< program and version that created the file
  /// The effective config (YAML: defaults, file and flags) of the `cspt run` that made this file;
  /// "" for files written otherwise. Stored as the text dataset /run_config.
  std::string run_config_yaml;
};

}  // namespace cspt
