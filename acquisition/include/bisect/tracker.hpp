// The tracker's state machine: state + event -> next action (docs/tracker-protocol.md). Pure and
// deterministic: no clock, no files; the session (session.hpp) adds persistence and images.
#pragma once

#include <nlohmann/json.hpp>

#include <array>
#include <string>
#include <vector>

#include "bisect/plan.hpp"
#include "bisect/roi_fit.hpp"
#include "cspt/project/project.hpp"

namespace bisect {

/// A 2-vector in the projected specimen frame (X along the tilt axis), um unless named otherwise.
struct Vec2 {
  double x = 0.0, y = 0.0;
};

/// A correlation result in specimen nm: where the area's reference feature lies relative to the
/// image centre, with the correlation's quality.
struct Measurement {
  double x_nm = 0.0, y_nm = 0.0;
  double cc = 0.0, psr = 0.0;
};

/// One event from the microscope side, validated.
struct Event {
  enum class Kind { begin, tilted, tracking_image, focus, roi_image };
  Kind kind = Kind::begin;
  double time_s = 0.0;  ///< seconds since 2020-01-01 UTC
  double angle_deg = 0.0;
  int mag = 0;  ///< 0 low, 1 high
  Measurement measurement;
  double focus_um = 0.0, measured_defocus_um = 0.0;
  int fail_code = 0;
  std::string roi;
  double mean_counts = -1.0;  ///< < 0: not reported
  double dose_e_per_A2 = -1.0;
  std::string frame_path;
  int num_frames = 0;
  double ctf_defocus_um = 0.0;
  bool has_ctf = false;
};

/// The table of that name in an acquisition record, or nullptr.
const cspt::AcquisitionTable* find_table(const cspt::AcquisitionRecord& record, const std::string& name);
/// The values of a table's column; cspt::InternalError if the table has no such column.
const std::vector<double>& table_column(const cspt::AcquisitionTable& table, const std::string& name);

/// Checks an event's JSON against the protocol (field types; units in the names). An event with
/// `image` must have been measured already (its `shift_nm`, `cc`, `psr` filled in). `time_s` falls
/// back to `now_s`. Throws cspt::ConfigError naming the field.
Event parse_event(const nlohmann::json& j, double now_s);

/// The tracker. step() is transactional: on a refused event it throws and nothing changes.
class Tracker {
 public:
  explicit Tracker(TrackPlan plan);
  /// Restores a tracker from plan and state_json() output; tables continue from `record`.
  Tracker(TrackPlan plan, const nlohmann::json& state, const cspt::AcquisitionRecord& record);

  /// Answers one event with the next action (JSON, as in docs/tracker-protocol.md). Refused
  /// events throw cspt::ConfigError (the field, value and expectation) and leave everything as it was.
  nlohmann::json step(const Event& e);

  /// What the last step asks of the image layer: the tracking image just measured was accepted and
  /// converged, so it joins that magnification's series reference (shift in specimen nm).
  struct ReferenceUpdate {
    bool add = false;
    int mag = 0;
    double tilt_deg = 0.0;
    Measurement measurement;
  };
  const ReferenceUpdate& reference_update() const { return reference_update_; }

  /// The action the microscope is executing (the last one returned), and what it expects next.
  const nlohmann::json& pending_action() const { return pending_; }
  /// The tilt being acquired: its index in the plan and the angle the stage reported.
  int tilt_index() const { return tilt_index_; }
  double reported_tilt_deg() const { return reported_tilt_deg_; }
  bool done() const { return phase_ == Phase::done; }

  nlohmann::json state_json() const;
  /// Tables, event log and per-ROI tilt series (a cspt project others read).
  const cspt::AcquisitionRecord& record() const { return record_; }
  /// Summary figures (also in the `done` action).
  nlohmann::json summary() const;
  /// The cspt project view: optics, one tilt series per ROI with every Record taken so far.
  cspt::Project project_view() const;
  const TrackPlan& plan() const { return plan_; }

  /// Geometry currently fitted for ROI i on a branch (for reports and tests).
  RoiGeometry roi_geometry(int roi, int branch, double tilt_deg) const;

 private:
  enum class Phase { begin, tilting, tracking, focusing, recording, done };
  struct RoiState {
    std::vector<RoiObservation> observations;
    std::array<bool, 2> active{true, true};  ///< per branch: [0] = +1 (and start), [1] = -1
    std::array<std::string, 2> drop_reason;
    int failed_alignments = 0;
    int records = 0;
    double prior_dose = 0.0;
    // the Record in flight
    Vec2 command_um;
    Vec2 drift_um;  ///< drift correction included in command_um
    double focus_um = 0.0, pred_height_um = 0.0, pred_sigma_y_um = 0.0;
    RoiGeometry geometry;
    int last_observation = -1;  ///< index of this tilt's observation (for the cross-ROI test)
  };

  nlohmann::json act_tilt(int index);
  nlohmann::json act_track(int mag, int iteration);
  nlohmann::json act_focus();
  nlohmann::json act_next_roi(int after);
  nlohmann::json act_after_tilt();
  nlohmann::json act_done();
  nlohmann::json on_tracking(const Event& e);
  nlohmann::json on_roi(const Event& e);
  void reject_cross_roi_outliers();
  /// Stops ROI roi on `branch` (both branches when it is the start tilt's 0), with the reason.
  void drop_branch(int roi, int branch, const std::string& reason);
  int branch_slot(int branch) const { return branch < 0 ? 1 : 0; }
  bool roi_active(int roi, int branch) const;
  int next_tilt(int after) const;
  RoiFitSettings fit_settings() const;
  Vec2 geometric_tracking_change(double from_deg, double to_deg) const;
  void append_row(const std::string& table, const std::vector<std::pair<std::string, double>>& row,
                  const std::vector<std::string>& units);
  void log(const std::string& line);

  TrackPlan plan_;
  Phase phase_ = Phase::begin;
  int tilt_index_ = -1;
  double reported_tilt_deg_ = 0.0;
  int mag_ = 0, iteration_ = 0;
  int roi_ = -1;               ///< ROI being recorded
  Vec2 tracking_command_um_;   ///< beam on the tracking area (absolute, from the stage centre)
  Vec2 tilt_start_command_um_; ///< the tracking command predicted at the start of this tilt
  std::array<Vec2, 3> branch_command_um_;   ///< last converged tracking command per branch (0, +, -)
  std::array<double, 3> branch_tilt_deg_{};
  std::array<bool, 3> branch_valid_{false, false, false};
  std::vector<double> tracking_innovations_nm_;  ///< per tilt: |final - predicted| tracking command
  double focus_um_ = 0.0;
  double clock_s_ = 0.0;
  // Drift within a tilt, from the ROI residuals: offset = velocity * (t - tracked_at), least squares.
  double tracked_at_s_ = 0.0;
  std::array<double, 3> drift_sums_{};  ///< sum o_x dt, sum o_y dt, sum dt^2 over accepted ROIs
  int drift_points_ = 0;
  std::vector<RoiState> rois_;
  nlohmann::json pending_;
  ReferenceUpdate reference_update_;
  cspt::AcquisitionRecord record_;
};

}  // namespace bisect
