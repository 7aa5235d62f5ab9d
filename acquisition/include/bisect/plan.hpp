// The acquisition plan of one stage position: tilt scheme, regions of interest, tracking, focus,
// optics, thresholds. Fixed by `bisect-track plan`; everything the tracker decides follows from it.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <array>
#include <string>
#include <vector>

namespace bisect {

/// One region of interest (a beam-image-shift target). Offsets are in the untilted specimen plane,
/// relative to the tracking area, in SerialEM specimen coordinates (X along the tilt axis, Z up).
struct RoiPlan {
  std::string id;                 ///< "001", ...; names the ROI's tilt series and files
  double x_um = 0.0, y_um = 0.0;  ///< offset from the tracking area at selection (untilted)
  double z_prior_um = 0.0;        ///< height prior relative to the tracking area (geometry plane)
  double target_defocus_um = -3.0;  ///< SerialEM sign: negative = underfocus
};

/// One tilt of the scheme, in acquisition order.
struct TiltPlan {
  double angle_deg = 0.0;
  int branch = 0;  ///< 0 for the start tilt, +1 above it, -1 below it
};

/// One tracking magnification: its pixel size and field of view, convergence threshold and budget.
struct MagPlan {
  double pixel_A = 5.2;
  int nx_px = 4096, ny_px = 4096;  ///< the camera image the microscope side sends (unbinned)
  double threshold_nm = 100.0;     ///< converged when the measured shift is below this
  int max_iterations = 3;          ///< images at this magnification per tilt, at most
  double fov_nm() const { return 0.1 * pixel_A * (nx_px < ny_px ? nx_px : ny_px); }
};

/// Everything about one stage position's BISECT acquisition.
struct TrackPlan {
  std::string name = "sp001";  ///< stage-position name; prefixes every tilt series and file

  // optics and camera
  double voltage_kV = 300.0, cs_mm = 2.7, amplitude_contrast = 0.07;
  double rotation_angle_deg = 174.8;  ///< mdoc RotationAngle: tilt axis CCW from camera +X
  double record_pixel_A = 1.37;
  int record_nx_px = 4096, record_ny_px = 4096;
  double dose_per_tilt_e_per_A2 = 3.0;
  double exposure_time_s = 1.0;
  int frames_per_tilt = 10;

  std::string scheme = "bisect60";  ///< preset name, or "list" when tilt angles were given
  std::vector<TiltPlan> tilts;      ///< acquisition order
  std::vector<RoiPlan> rois;

  // tracking and focus areas
  double tracking_x_um = 0.0, tracking_y_um = 1.25;  ///< tracking area, untilted, from the stage centre
  double focus_offset_um = 2.0;  ///< focus area along the tilt axis from the tracking area
  MagPlan low{5.2, 4096, 4096, 100.0, 3};
  MagPlan high{1.37, 4096, 4096, 5.0, 3};
  double focus_target_defocus_um = -3.0;  ///< what autofocus sets at the focus area

  // quality gates for a correlation
  double psr_min = 2.0;              ///< peak-to-second-peak ratio below this: rejected
  double max_shift_fraction = 0.35;  ///< a shift beyond this fraction of the field of view: rejected
  double innovation_sigmas = 4.0;    ///< |measured - predicted| beyond this many sigma: rejected
  double innovation_floor_low_nm = 400.0;   ///< smallest innovation gate at low magnification
  double innovation_floor_high_nm = 60.0;   ///< and at high magnification
  double roi_residual_gate_nm = 30.0;       ///< ROI residual gate floor (acquisition.md 5.2)
  double process_sigma_nm = 25.0;  ///< what the geometry cannot predict: drift, tracking error

  // per-ROI geometry fit (acquisition.md 5.2)
  bool fit_offplane = true;         ///< fit each ROI's height; false: a flat specimen (paper Fig. 2a)
  int min_points_for_height = 5;    ///< the height is held at its prior before this many points
  double height_prior_sigma_um = 0.3;
  double y_prior_sigma_um = 0.1;
  double measurement_sigma_nm = 5.0;
  double fit_window_deg = 30.0;     ///< points within this angle of the next tilt enter the fit
  double other_branch_weight = 0.5; ///< weight of the other branch's points (1 = pooled)
  bool drift_correction = false;    ///< follow the specimen's drift within a tilt from the ROI residuals

  // limits
  double image_shift_limit_um = 10.0;
  double image_shift_margin_um = 0.5;
  double min_mean_counts = 0.0;     ///< a darker ROI image drops that ROI's branch (0 = off)
  int max_failed_alignments = 3;    ///< consecutive rejected ROI alignments, before its geometry is
                                    ///< established, that drop its branch (afterwards the model carries it)
  double max_tilt_error_deg = 1.0;  ///< reported angle vs commanded
  double delta_z_to_defocus = 1.0;  ///< SerialEM DeltaZtoDefocusFactor

  // correlation (tracker-side image alignment)
  int correlation_size_px = 512;    ///< images are binned so that their larger side is at most this

  /// Index of roi `id` in rois, or -1.
  int roi_index(const std::string& id) const;
};

/// A scheme's tilts with their branches: +1 above the first angle, -1 below, 0 for the first.
std::vector<TiltPlan> tilts_in_order(const std::vector<double>& angles);

/// The positions (um, x along the tilt axis) of an n x m hole lattice centred on the stage position,
/// rows along x, rotated by rotation_deg; ROI i of a lattice plan is position i.
std::vector<std::array<double, 2>> lattice_positions_um(int n, int m, double spacing_um, double rotation_deg);

/// The id of the i-th ROI (0-based): "001", "002", ...
std::string roi_id(int index);

/// Reads a plan from YAML (configs/track.yaml documents every key). Unknown keys are refused with
/// the closest known key; every error names file, line, key path, value and expectation.
TrackPlan read_plan_yaml(const std::string& path);

/// Checks a plan's values (ranges, sizes, image-shift budget, footprint overlap of the areas);
/// throws cspt::ConfigError naming `where` and the field.
void validate_plan(const TrackPlan& plan, const std::string& where);

nlohmann::json plan_to_json(const TrackPlan& plan);
TrackPlan plan_from_json(const nlohmann::json& j);

}  // namespace bisect
