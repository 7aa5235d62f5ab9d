// The tracker's state machine (docs/tracker-protocol.md; algorithms in acquisition.md 5.1-5.2).
#include "bisect/tracker.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "bisect/angles.hpp"
#include "cspt/refine/truth_metrics.hpp"
#include "cspt/util/error.hpp"

namespace bisect {

using cspt::ConfigError;
using json = nlohmann::json;

namespace {

std::string num(double v) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

const char* mag_name(int mag) { return mag == 0 ? "low" : "high"; }
int slot3(int branch) { return branch == 0 ? 0 : (branch > 0 ? 1 : 2); }

double number_field(const json& j, const char* key, const std::string& event) {
  if (!j.contains(key)) throw ConfigError("event '" + event + "'", key, "missing", "a number");
  const json& v = j.at(key);
  if (!v.is_number() || !std::isfinite(v.get<double>()))
    throw ConfigError("event '" + event + "'", key, v.dump(), "a finite number");
  return v.get<double>();
}

// A number within [lo, hi]: values outside are not measurements a microscope can report (a 1e9 um
// focus, a cc of 7), so they are refused before they reach the tables.
double number_in(const json& j, const char* key, const std::string& event, double lo, double hi,
                 const std::string& expectation) {
  const double v = number_field(j, key, event);
  if (v < lo || v > hi) throw ConfigError("event '" + event + "'", key, j.at(key).dump(), expectation);
  return v;
}

// An integer within [lo, hi] (a JSON number without a fraction: 10 or 10.0, never 2.5 or 1e20).
int integer_in(const json& j, const char* key, const std::string& event, int lo, int hi) {
  const double v = number_field(j, key, event);
  const std::string expectation = "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
  if (v != std::floor(v) || v < lo || v > hi) throw ConfigError("event '" + event + "'", key, j.at(key).dump(), expectation);
  return int(v);
}

// Focus and defocus settings in um: SerialEM's range is a few hundred um either way.
constexpr double kMaxFocusUm = 1000.0;
double focus_field(const json& j, const char* key, const std::string& event) {
  return number_in(j, key, event, -kMaxFocusUm, kMaxFocusUm, "within +-1000 um");
}

std::string text_field(const json& j, const char* key, const std::string& event) {
  if (!j.contains(key)) throw ConfigError("event '" + event + "'", key, "missing", "a text value");
  if (!j.at(key).is_string()) throw ConfigError("event '" + event + "'", key, j.at(key).dump(), "a text value");
  return j.at(key).get<std::string>();
}

Measurement measurement_field(const json& j, const std::string& event) {
  if (!j.contains("shift_nm"))
    throw ConfigError("event '" + event + "'", "shift_nm", "missing", "[x, y] in nm, or an image to measure");
  const json& s = j.at("shift_nm");
  if (!s.is_array() || s.size() != 2 || !s[0].is_number() || !s[1].is_number())
    throw ConfigError("event '" + event + "'", "shift_nm", s.dump(), "[x, y] in nm");
  Measurement m{s[0].get<double>(), s[1].get<double>(),
                number_in(j, "cc", event, -1.0, 1.0, "a correlation coefficient in [-1, 1]"),
                number_in(j, "psr", event, 0.0, 1e12, "a peak-to-second-peak ratio >= 0")};
  if (!std::isfinite(m.x_nm) || !std::isfinite(m.y_nm))
    throw ConfigError("event '" + event + "'", "shift_nm", s.dump(), "finite numbers");
  return m;
}

}  // namespace

Event parse_event(const json& j, double now_s) {
  if (!j.is_object()) throw ConfigError("event", "(line)", j.dump(), "a JSON object");
  if (!j.contains("event") || !j.at("event").is_string())
    throw ConfigError("event", "event", j.contains("event") ? j.at("event").dump() : "missing",
                      "one of begin, tilted, tracking_image, focus, roi_image");
  const std::string kind = j.at("event").get<std::string>();
  Event e;
  e.time_s = j.contains("time_s") ? number_in(j, "time_s", kind, 0.0, 1e10, "seconds since 2020-01-01 UTC, >= 0") : now_s;
  if (kind == "begin") {
    e.kind = Event::Kind::begin;
  } else if (kind == "tilted") {
    e.kind = Event::Kind::tilted;
    e.angle_deg = number_field(j, "angle_deg", kind);
  } else if (kind == "tracking_image") {
    e.kind = Event::Kind::tracking_image;
    const std::string mag = text_field(j, "mag", kind);
    if (mag != "low" && mag != "high") throw ConfigError("event 'tracking_image'", "mag", mag, "'low' or 'high'");
    e.mag = mag == "low" ? 0 : 1;
    e.measurement = measurement_field(j, kind);
  } else if (kind == "focus") {
    e.kind = Event::Kind::focus;
    e.focus_um = focus_field(j, "focus_um", kind);
    if (j.contains("measured_defocus_um")) e.measured_defocus_um = focus_field(j, "measured_defocus_um", kind);
    if (j.contains("fail_code")) e.fail_code = integer_in(j, "fail_code", kind, -1000000, 1000000);
  } else if (kind == "roi_image") {
    e.kind = Event::Kind::roi_image;
    e.roi = text_field(j, "roi", kind);
    e.measurement = measurement_field(j, kind);
    if (j.contains("mean_counts")) e.mean_counts = number_field(j, "mean_counts", kind);
    if (j.contains("dose_e_per_A2")) {
      e.dose_e_per_A2 = number_field(j, "dose_e_per_A2", kind);
      if (e.dose_e_per_A2 < 0) throw ConfigError("event 'roi_image'", "dose_e_per_A2", num(e.dose_e_per_A2), ">= 0");
    }
    if (j.contains("frame_path")) e.frame_path = text_field(j, "frame_path", kind);
    if (j.contains("num_frames")) e.num_frames = integer_in(j, "num_frames", kind, 1, 1000000);
    if (j.contains("ctf_defocus_um")) {
      e.ctf_defocus_um = focus_field(j, "ctf_defocus_um", kind);
      e.has_ctf = true;
    }
  } else {
    throw ConfigError("event", "event", "'" + kind + "'", "one of begin, tilted, tracking_image, focus, roi_image");
  }
  return e;
}

Tracker::Tracker(TrackPlan plan) : plan_(std::move(plan)), rois_(plan_.rois.size()) {
  validate_plan(plan_, "plan");
  pending_ = json{{"action", "begin"}};
}

Tracker::Tracker(TrackPlan plan, const json& s, const cspt::AcquisitionRecord& record)
    : plan_(std::move(plan)), rois_(plan_.rois.size()), record_(record) {
  const auto v2 = [](const json& a) { return Vec2{a.at(0).get<double>(), a.at(1).get<double>()}; };
  phase_ = Phase(s.at("phase").get<int>());
  tilt_index_ = s.at("tilt_index");
  reported_tilt_deg_ = s.at("reported_tilt_deg");
  mag_ = s.at("mag");
  iteration_ = s.at("iteration");
  roi_ = s.at("roi");
  tracking_command_um_ = v2(s.at("tracking_command_um"));
  tilt_start_command_um_ = v2(s.at("tilt_start_command_um"));
  for (int k = 0; k < 3; ++k) {
    branch_command_um_[k] = v2(s.at("branch_command_um").at(k));
    branch_tilt_deg_[k] = s.at("branch_tilt_deg").at(k);
    branch_valid_[k] = s.at("branch_valid").at(k);
  }
  tracking_innovations_nm_ = s.at("tracking_innovations_nm").get<std::vector<double>>();
  focus_um_ = s.at("focus_um");
  clock_s_ = s.at("clock_s");
  tracked_at_s_ = s.at("tracked_at_s");
  drift_sums_ = s.at("drift_sums").get<std::array<double, 3>>();
  drift_points_ = s.at("drift_points");
  pending_ = s.at("pending");
  const json& rs = s.at("rois");
  if (rs.size() != rois_.size()) throw ConfigError("state", "rois", std::to_string(rs.size()), "one state per planned ROI");
  for (std::size_t i = 0; i < rois_.size(); ++i) {
    const json& r = rs[i];
    RoiState& st = rois_[i];
    for (const auto& o : r.at("observations"))
      st.observations.push_back({o.at(0).get<double>(), o.at(1).get<int>(), o.at(2).get<double>(), o.at(3).get<double>(),
                                 o.at(4).get<bool>()});
    st.active = {r.at("active").at(0).get<bool>(), r.at("active").at(1).get<bool>()};
    st.drop_reason = {r.at("drop_reason").at(0).get<std::string>(), r.at("drop_reason").at(1).get<std::string>()};
    st.failed_alignments = r.at("failed_alignments");
    st.records = r.at("records");
    st.prior_dose = r.at("prior_dose");
    st.command_um = v2(r.at("command_um"));
    st.drift_um = v2(r.at("drift_um"));
    st.focus_um = r.at("focus_um");
    st.pred_height_um = r.at("pred_height_um");
    st.pred_sigma_y_um = r.at("pred_sigma_y_um");
    st.last_observation = r.at("last_observation");
  }
  // The geometry of the Record in flight is not stored: it is the fit act_next_roi made from the
  // observations above, which have not changed since, so the same fit gives it again (its
  // fit_* columns and the "established" test of on_roi need it after a restart).
  if (phase_ == Phase::recording && roi_ >= 0 && roi_ < int(rois_.size()))
    rois_[std::size_t(roi_)].geometry =
        roi_geometry(roi_, plan_.tilts.at(std::size_t(tilt_index_)).branch, reported_tilt_deg_);
}

json Tracker::state_json() const {
  const auto v2 = [](const Vec2& v) { return json::array({v.x, v.y}); };
  json s;
  s["phase"] = int(phase_);
  s["tilt_index"] = tilt_index_;
  s["reported_tilt_deg"] = reported_tilt_deg_;
  s["mag"] = mag_;
  s["iteration"] = iteration_;
  s["roi"] = roi_;
  s["tracking_command_um"] = v2(tracking_command_um_);
  s["tilt_start_command_um"] = v2(tilt_start_command_um_);
  s["branch_command_um"] = json::array();
  s["branch_tilt_deg"] = json::array();
  s["branch_valid"] = json::array();
  for (int k = 0; k < 3; ++k) {
    s["branch_command_um"].push_back(v2(branch_command_um_[k]));
    s["branch_tilt_deg"].push_back(branch_tilt_deg_[k]);
    s["branch_valid"].push_back(branch_valid_[k]);
  }
  s["tracking_innovations_nm"] = tracking_innovations_nm_;
  s["focus_um"] = focus_um_;
  s["clock_s"] = clock_s_;
  s["tracked_at_s"] = tracked_at_s_;
  s["drift_sums"] = drift_sums_;
  s["drift_points"] = drift_points_;
  s["pending"] = pending_;
  json rs = json::array();
  for (const auto& st : rois_) {
    json obs = json::array();
    for (const auto& o : st.observations) obs.push_back({o.tilt_deg, o.branch, o.u_um, o.v_um, o.used});
    rs.push_back({{"observations", obs},
                  {"active", {st.active[0], st.active[1]}},
                  {"drop_reason", {st.drop_reason[0], st.drop_reason[1]}},
                  {"failed_alignments", st.failed_alignments},
                  {"records", st.records},
                  {"prior_dose", st.prior_dose},
                  {"command_um", v2(st.command_um)},
                  {"drift_um", v2(st.drift_um)},
                  {"focus_um", st.focus_um},
                  {"pred_height_um", st.pred_height_um},
                  {"pred_sigma_y_um", st.pred_sigma_y_um},
                  {"last_observation", st.last_observation}});
  }
  s["rois"] = rs;
  return s;
}

RoiFitSettings Tracker::fit_settings() const {
  RoiFitSettings f;
  f.fit_height = plan_.fit_offplane;
  f.min_points_for_height = plan_.min_points_for_height;
  f.height_prior_sigma_um = plan_.height_prior_sigma_um;
  f.y_prior_sigma_um = plan_.y_prior_sigma_um;
  f.measurement_sigma_um = 1e-3 * plan_.measurement_sigma_nm;
  f.window_deg = plan_.fit_window_deg;
  f.other_branch_weight = plan_.other_branch_weight;
  return f;
}

RoiGeometry Tracker::roi_geometry(int roi, int branch, double tilt_deg) const {
  const RoiPlan& r = plan_.rois.at(std::size_t(roi));
  const double z_prior = plan_.fit_offplane ? r.z_prior_um : 0.0;
  return fit_roi(rois_[std::size_t(roi)].observations, r.x_um, r.y_um, z_prior, branch, tilt_deg, fit_settings());
}

void Tracker::drop_branch(int roi, int branch, const std::string& reason) {
  RoiState& st = rois_[std::size_t(roi)];
  for (int b : {0, 1})
    if (branch == 0 || b == branch_slot(branch)) st.active[std::size_t(b)] = false, st.drop_reason[std::size_t(b)] = reason;
}

bool Tracker::roi_active(int roi, int branch) const {
  const RoiState& st = rois_[std::size_t(roi)];
  return branch == 0 ? (st.active[0] || st.active[1]) : st.active[std::size_t(branch_slot(branch))];
}

int Tracker::next_tilt(int after) const {
  for (int k = after + 1; k < int(plan_.tilts.size()); ++k)
    for (int i = 0; i < int(rois_.size()); ++i)
      if (roi_active(i, plan_.tilts[std::size_t(k)].branch)) return k;
  return -1;
}

Vec2 Tracker::geometric_tracking_change(double from_deg, double to_deg) const {
  // The tracking area's nominal position rotates like any flat-specimen point (z = 0 assumed).
  return {0.0, plan_.tracking_y_um * (std::cos(rad(to_deg)) - std::cos(rad(from_deg)))};
}

const cspt::AcquisitionTable* find_table(const cspt::AcquisitionRecord& record, const std::string& name) {
  for (const auto& t : record.tables)
    if (t.name == name) return &t;
  return nullptr;
}

const std::vector<double>& table_column(const cspt::AcquisitionTable& table, const std::string& name) {
  for (const auto& c : table.columns)
    if (c.name == name) return c.values;
  throw cspt::InternalError("table " + table.name + " has no column " + name);
}

void Tracker::append_row(const std::string& table, const std::vector<std::pair<std::string, double>>& row,
                         const std::vector<std::string>& units) {
  auto it = std::find_if(record_.tables.begin(), record_.tables.end(),
                         [&](const cspt::AcquisitionTable& t) { return t.name == table; });
  if (it == record_.tables.end()) {
    cspt::AcquisitionTable t;
    t.name = table;
    for (std::size_t c = 0; c < row.size(); ++c) t.columns.push_back({row[c].first, units[c], {}});
    record_.tables.push_back(std::move(t));
    it = record_.tables.end() - 1;
  }
  if (it->columns.size() != row.size()) throw cspt::InternalError("table " + table + ": row of the wrong width");
  for (std::size_t c = 0; c < row.size(); ++c) it->columns[c].values.push_back(row[c].second);
}

void Tracker::log(const std::string& line) {
  char stamp[32];
  std::snprintf(stamp, sizeof stamp, "%.3f ", clock_s_);
  record_.events.push_back(stamp + line);
}

// ---- actions --------------------------------------------------------------------------------

json Tracker::act_tilt(int index) {
  phase_ = Phase::tilting;
  tilt_index_ = index;
  const TiltPlan& t = plan_.tilts[std::size_t(index)];
  return json{{"action", "tilt"}, {"angle_deg", t.angle_deg}, {"tilt_index", index}, {"branch", t.branch}};
}

json Tracker::act_track(int mag, int iteration) {
  phase_ = Phase::tracking;
  mag_ = mag;
  iteration_ = iteration;
  return json{{"action", "track"},
              {"mag", mag_name(mag)},
              {"image_shift_um", {tracking_command_um_.x, tracking_command_um_.y}},
              {"iteration", iteration},
              {"tilt_index", tilt_index_}};
}

json Tracker::act_focus() {
  phase_ = Phase::focusing;
  return json{{"action", "focus"},
              {"image_shift_um", {tracking_command_um_.x + plan_.focus_offset_um, tracking_command_um_.y}},
              {"tilt_index", tilt_index_}};
}

json Tracker::act_next_roi(int after) {
  const int branch = plan_.tilts[std::size_t(tilt_index_)].branch;
  const double theta = reported_tilt_deg_;
  const double limit = plan_.image_shift_limit_um - plan_.image_shift_margin_um;
  for (int i = after + 1; i < int(rois_.size()); ++i) {
    if (!roi_active(i, branch)) continue;
    RoiState& st = rois_[std::size_t(i)];
    const RoiPlan& rp = plan_.rois[std::size_t(i)];
    st.geometry = roi_geometry(i, branch, theta);
    const RoiPrediction pred = predict_roi(st.geometry, theta);
    Vec2 drift;
    if (plan_.drift_correction && drift_points_ >= 2 && drift_sums_[2] > 0) {
      const double dt = clock_s_ - tracked_at_s_;
      drift = {drift_sums_[0] / drift_sums_[2] * dt, drift_sums_[1] / drift_sums_[2] * dt};
    }
    const Vec2 command{tracking_command_um_.x + pred.x_um + drift.x, tracking_command_um_.y + pred.y_um + drift.y};
    if (std::hypot(command.x, command.y) > limit) {
      drop_branch(i, branch, "image_shift_limit");
      log("roi " + rp.id + " dropped on branch " + std::to_string(branch) + ": image shift " +
          num(std::hypot(command.x, command.y)) + " um beyond the limit " + num(limit) + " um");
      continue;
    }
    st.command_um = command;
    st.drift_um = drift;
    st.pred_height_um = pred.height_um;
    st.pred_sigma_y_um = pred.sigma_y_um;
    // Focus: the focus area (height 0 relative to the tracking area, on the tilt axis through it)
    // is at focus_target after autofocus; actual defocus = focus + k * height.
    st.focus_um = focus_um_ + (rp.target_defocus_um - plan_.focus_target_defocus_um) -
                  plan_.delta_z_to_defocus * pred.height_um;
    roi_ = i;
    phase_ = Phase::recording;
    char frame[128];
    std::snprintf(frame, sizeof frame, "%s_%s_%03d_%.1f", plan_.name.c_str(), rp.id.c_str(), st.records, theta);
    return json{{"action", "record"},
                {"roi", rp.id},
                {"image_shift_um", {command.x, command.y}},
                {"focus_um", st.focus_um},
                {"target_defocus_um", rp.target_defocus_um},
                {"frame_name", frame},
                {"tilt_index", tilt_index_}};
  }
  return act_after_tilt();
}

json Tracker::act_after_tilt() {
  reject_cross_roi_outliers();
  const int next = next_tilt(tilt_index_);
  return next < 0 ? act_done() : act_tilt(next);
}

json Tracker::act_done() {
  phase_ = Phase::done;
  log("acquisition done");
  return json{{"action", "done"}, {"summary", summary()}};
}

void Tracker::reject_cross_roi_outliers() {
  // MAD-median test across the ROIs of this tilt (SerialEM's parallel tilt series): a residual far
  // outside what the others show is a failed correlation, not geometry; its point leaves the fit.
  std::vector<std::pair<int, double>> residuals;
  for (int i = 0; i < int(rois_.size()); ++i) {
    const RoiState& st = rois_[std::size_t(i)];
    if (st.last_observation < 0) continue;
    const RoiObservation& o = st.observations[std::size_t(st.last_observation)];
    if (!o.used) continue;
    const double du = o.u_um - (st.command_um.y - st.drift_um.y - tracking_command_um_.y);
    const double dv = o.v_um - (st.command_um.x - st.drift_um.x - tracking_command_um_.x);
    residuals.push_back({i, 1e3 * std::hypot(du, dv)});
  }
  if (residuals.size() >= 4) {
    std::vector<double> r;
    for (const auto& p : residuals) r.push_back(p.second);
    const double med = cspt::median_of(r);
    std::vector<double> dev;
    for (double v : r) dev.push_back(std::abs(v - med));
    const double mad = 1.4826 * cspt::median_of(dev);
    const double gate = med + std::max(5.0 * mad, plan_.roi_residual_gate_nm);
    for (const auto& [i, value] : residuals)
      if (value > gate) {
        RoiState& st = rois_[std::size_t(i)];
        st.observations[std::size_t(st.last_observation)].used = false;
        log("roi " + plan_.rois[std::size_t(i)].id + " residual " + num(value) + " nm is an outlier across ROIs (gate " +
            num(gate) + " nm): point left out of its fit");
      }
  }
  for (auto& st : rois_) st.last_observation = -1;
}

// ---- events ---------------------------------------------------------------------------------

json Tracker::step(const Event& e) {
  Tracker next = *this;  // transactional: work on a copy, commit on success
  next.reference_update_ = ReferenceUpdate{};
  next.clock_s_ = e.time_s;
  json action;
  switch (e.kind) {
    case Event::Kind::begin:
      if (phase_ != Phase::begin)
        throw ConfigError("event 'begin'", "event", "begin", "an answer to the pending action " + pending_.value("action", std::string("?")));
      next.log("begin: " + std::to_string(plan_.rois.size()) + " ROIs, " + std::to_string(plan_.tilts.size()) + " tilts");
      action = next.act_tilt(next.next_tilt(-1));
      break;
    case Event::Kind::tilted: {
      if (phase_ != Phase::tilting)
        throw ConfigError("event 'tilted'", "event", "tilted", "an answer to the pending action " + pending_.value("action", std::string("?")));
      const TiltPlan& t = plan_.tilts[std::size_t(tilt_index_)];
      if (std::abs(e.angle_deg - t.angle_deg) > plan_.max_tilt_error_deg)
        throw ConfigError("event 'tilted'", "angle_deg", num(e.angle_deg),
                          "within " + num(plan_.max_tilt_error_deg) + " deg of the commanded " + num(t.angle_deg) +
                              " deg (tilt " + std::to_string(tilt_index_) + " of the scheme)");
      next.reported_tilt_deg_ = e.angle_deg;
      const int s = slot3(t.branch);
      Vec2 base;
      double from = e.angle_deg;
      if (branch_valid_[std::size_t(s)]) {
        base = branch_command_um_[std::size_t(s)], from = branch_tilt_deg_[std::size_t(s)];
      } else if (branch_valid_[0]) {
        base = branch_command_um_[0], from = branch_tilt_deg_[0];
      } else {
        base = {plan_.tracking_x_um, plan_.tracking_y_um * std::cos(rad(e.angle_deg))};
      }
      const Vec2 change = geometric_tracking_change(from, e.angle_deg);
      next.tracking_command_um_ = {base.x + change.x, base.y + change.y};
      next.tilt_start_command_um_ = next.tracking_command_um_;
      next.log("tilted to " + num(e.angle_deg) + " deg (tilt " + std::to_string(tilt_index_) + ")");
      action = next.act_track(0, 1);
      break;
    }
    case Event::Kind::tracking_image:
      if (phase_ != Phase::tracking || e.mag != mag_)
        throw ConfigError("event 'tracking_image'", "mag", mag_name(e.mag),
                          phase_ == Phase::tracking ? std::string("'") + mag_name(mag_) + "' as the pending track action asked"
                                                    : "an answer to the pending action " + pending_.value("action", std::string("?")));
      action = next.on_tracking(e);
      break;
    case Event::Kind::focus:
      if (phase_ != Phase::focusing)
        throw ConfigError("event 'focus'", "event", "focus", "an answer to the pending action " + pending_.value("action", std::string("?")));
      next.focus_um_ = e.focus_um;
      next.tracked_at_s_ = e.time_s;
      next.drift_sums_ = {0.0, 0.0, 0.0};
      next.drift_points_ = 0;
      next.append_row("focus",
                      {{"tilt_index", tilt_index_}, {"tilt_deg", reported_tilt_deg_}, {"focus_um", e.focus_um},
                       {"measured_defocus_um", e.measured_defocus_um}, {"fail_code", e.fail_code}, {"time_s", e.time_s}},
                      {"", "deg", "um", "um", "", "s"});
      action = next.act_next_roi(-1);
      break;
    case Event::Kind::roi_image:
      if (plan_.roi_index(e.roi) < 0)
        throw ConfigError("event 'roi_image'", "roi", "'" + e.roi + "'", "an ROI of the plan");
      if (phase_ != Phase::recording)
        throw ConfigError("event 'roi_image'", "event", "roi_image", "an answer to the pending action " + pending_.value("action", std::string("?")));
      if (e.roi != plan_.rois[std::size_t(roi_)].id)
        throw ConfigError("event 'roi_image'", "roi", "'" + e.roi + "'",
                          "'" + plan_.rois[std::size_t(roi_)].id + "', the ROI the pending record action asked for");
      action = next.on_roi(e);
      break;
  }
  next.pending_ = action;
  *this = std::move(next);
  return action;
}

json Tracker::on_tracking(const Event& e) {
  const MagPlan& mp = mag_ == 0 ? plan_.low : plan_.high;
  const Measurement& m = e.measurement;
  const double d = std::hypot(m.x_nm, m.y_nm);
  // Innovation gate: at low magnification the spread of past per-tilt corrections predicts how far
  // off a tilt can start; at high magnification the low-magnification threshold bounds it.
  double gate = 0.0;
  if (mag_ == 0) {
    double sigma = 0.0;
    if (tracking_innovations_nm_.size() >= 3) {
      const std::size_t n = tracking_innovations_nm_.size();
      const std::vector<double> recent(tracking_innovations_nm_.begin() + std::ptrdiff_t(n > 8 ? n - 8 : 0),
                                       tracking_innovations_nm_.end());
      sigma = 1.4826 * cspt::median_of(recent) + 1e-9;
    }
    gate = std::max(plan_.innovation_sigmas * sigma, plan_.innovation_floor_low_nm);
  } else {
    gate = std::max(plan_.innovation_sigmas * 0.5 * plan_.low.threshold_nm, plan_.innovation_floor_high_nm);
  }
  const bool psr_ok = m.psr >= plan_.psr_min;
  const bool cap_ok = d <= plan_.max_shift_fraction * mp.fov_nm();
  const bool innovation_ok = d <= gate;
  const bool accepted = psr_ok && cap_ok && innovation_ok;
  if (accepted) {
    tracking_command_um_.x += 1e-3 * m.x_nm;
    tracking_command_um_.y += 1e-3 * m.y_nm;
  }
  const bool converged = accepted && d < mp.threshold_nm;
  append_row("tracking",
             {{"tilt_index", tilt_index_}, {"tilt_deg", reported_tilt_deg_}, {"mag", mag_}, {"iteration", iteration_},
              {"shift_x_nm", m.x_nm}, {"shift_y_nm", m.y_nm}, {"cc", m.cc}, {"psr", m.psr}, {"accepted", accepted ? 1 : 0},
              {"converged", converged ? 1 : 0}, {"command_x_um", tracking_command_um_.x},
              {"command_y_um", tracking_command_um_.y}, {"time_s", e.time_s}},
             {"", "deg", "", "", "nm", "nm", "", "", "", "", "um", "um", "s"});
  if (!accepted)
    log(std::string("tracking ") + mag_name(mag_) + " iteration " + std::to_string(iteration_) + " rejected: shift " +
        num(d) + " nm, psr " + num(m.psr) + (psr_ok ? "" : " (below psr_min)") + (cap_ok ? "" : " (beyond the field cap)") +
        (innovation_ok ? "" : " (innovation beyond " + num(gate) + " nm)"));
  if (converged) reference_update_ = {true, mag_, reported_tilt_deg_, m};
  const bool mag_finished = converged || iteration_ >= mp.max_iterations;
  if (!mag_finished) return act_track(mag_, iteration_ + 1);
  if (!converged)
    log(std::string("tracking ") + mag_name(mag_) + " did not converge in " + std::to_string(mp.max_iterations) +
        " images at tilt " + std::to_string(tilt_index_) + "; continuing from the last accepted position");
  if (mag_ == 0) return act_track(1, 1);
  // Tracking finished for this tilt: remember the branch's position and how far off the start was.
  const int s = slot3(plan_.tilts[std::size_t(tilt_index_)].branch);
  branch_command_um_[std::size_t(s)] = tracking_command_um_;
  branch_tilt_deg_[std::size_t(s)] = reported_tilt_deg_;
  branch_valid_[std::size_t(s)] = true;
  tracking_innovations_nm_.push_back(1e3 * std::hypot(tracking_command_um_.x - tilt_start_command_um_.x,
                                                      tracking_command_um_.y - tilt_start_command_um_.y));
  return act_focus();
}

json Tracker::on_roi(const Event& e) {
  RoiState& st = rois_[std::size_t(roi_)];
  const RoiPlan& rp = plan_.rois[std::size_t(roi_)];
  const int branch = plan_.tilts[std::size_t(tilt_index_)].branch;
  const Measurement& m = e.measurement;
  const double r = std::hypot(m.x_nm, m.y_nm);
  const double fov_nm = 0.1 * plan_.record_pixel_A * std::min(plan_.record_nx_px, plan_.record_ny_px);
  const double sigma_nm = std::sqrt(1e6 * st.pred_sigma_y_um * st.pred_sigma_y_um +
                                    plan_.measurement_sigma_nm * plan_.measurement_sigma_nm +
                                    plan_.process_sigma_nm * plan_.process_sigma_nm);
  const double gate = std::max(plan_.innovation_sigmas * sigma_nm, plan_.roi_residual_gate_nm);
  const bool dark = plan_.min_mean_counts > 0 && e.mean_counts >= 0 && e.mean_counts < plan_.min_mean_counts;
  const bool accepted = !dark && m.psr >= plan_.psr_min && r <= plan_.max_shift_fraction * fov_nm && r <= gate;
  const double dose = e.dose_e_per_A2 >= 0 ? e.dose_e_per_A2 : plan_.dose_per_tilt_e_per_A2;
  // The drift estimate takes every credible correlation, also those the innovation gate refuses
  // (a drift the estimate has not caught up with yet must still pull it along).
  if (!dark && m.psr >= plan_.psr_min && r <= plan_.max_shift_fraction * fov_nm) {
    const double dt = e.time_s - tracked_at_s_;
    drift_sums_[0] += (st.drift_um.x + 1e-3 * m.x_nm) * dt;
    drift_sums_[1] += (st.drift_um.y + 1e-3 * m.y_nm) * dt;
    drift_sums_[2] += dt * dt;
    drift_points_ += 1;
  }
  const double u = st.command_um.y - tracking_command_um_.y + 1e-3 * m.y_nm;
  const double v = st.command_um.x - tracking_command_um_.x + 1e-3 * m.x_nm;
  append_row("roi_" + rp.id,
             {{"order", st.records}, {"tilt_index", tilt_index_}, {"tilt_deg", reported_tilt_deg_}, {"branch", branch},
              {"command_x_um", st.command_um.x}, {"command_y_um", st.command_um.y},
              {"tracking_x_um", tracking_command_um_.x}, {"tracking_y_um", tracking_command_um_.y},
              {"pred_sigma_y_um", st.pred_sigma_y_um}, {"pred_height_um", st.pred_height_um},
              {"fit_y_um", st.geometry.y_um}, {"fit_z_um", st.geometry.z_um}, {"fit_points", st.geometry.points},
              {"focus_um", st.focus_um}, {"target_defocus_um", rp.target_defocus_um},
              {"residual_x_nm", m.x_nm}, {"residual_y_nm", m.y_nm}, {"cc", m.cc}, {"psr", m.psr},
              {"accepted", accepted ? 1 : 0}, {"mean_counts", e.mean_counts}, {"dose_e_per_A2", dose},
              {"prior_dose_e_per_A2", st.prior_dose}, {"ctf_defocus_um", e.has_ctf ? e.ctf_defocus_um : std::nan("")},
              {"num_frames", e.num_frames > 0 ? e.num_frames : plan_.frames_per_tilt}, {"time_s", e.time_s}},
             {"", "", "deg", "", "um", "um", "um", "um", "um", "um", "um", "um", "", "um", "um", "nm", "nm", "", "",
              "", "counts", "e/A^2", "e/A^2", "um", "", "s"});
  st.records += 1;
  st.prior_dose += dose;
  if (dark) {
    drop_branch(roi_, branch, "dark");
    log("roi " + rp.id + " dropped on branch " + std::to_string(branch) + ": mean counts " + num(e.mean_counts) +
        " below " + num(plan_.min_mean_counts));
  } else if (accepted) {
    // The observation is the geometry alone: the drift this tilt has accumulated is not the ROI's.
    st.observations.push_back({reported_tilt_deg_, branch, u - st.drift_um.y, v - st.drift_um.x, true});
    st.last_observation = int(st.observations.size()) - 1;
    st.failed_alignments = 0;
  } else {
    // Once the ROI's geometry is established (its height fitted), its model carries it through
    // failed correlations (acquisition.md 8.3); before that, repeated failures mean it is lost.
    const bool established = st.geometry.points >= plan_.min_points_for_height;
    if (!established) st.failed_alignments += 1;
    log("roi " + rp.id + " alignment rejected at tilt " + std::to_string(tilt_index_) + ": residual " + num(r) +
        " nm (gate " + num(gate) + " nm), psr " + num(m.psr) + (established ? "; the model carries it" : ""));
    if (st.failed_alignments >= plan_.max_failed_alignments) {
      drop_branch(roi_, branch, "alignment_failures");
      log("roi " + rp.id + " dropped on branch " + std::to_string(branch) + " after " +
          std::to_string(st.failed_alignments) + " rejected alignments in a row");
    }
  }
  return act_next_roi(roi_);
}

// ---- outputs --------------------------------------------------------------------------------

json Tracker::summary() const {
  int lost = 0, records = 0;
  json per_roi = json::array();
  for (std::size_t i = 0; i < rois_.size(); ++i) {
    const RoiState& st = rois_[i];
    const bool dropped = !st.active[0] || !st.active[1];
    lost += dropped ? 1 : 0;
    records += st.records;
    const RoiGeometry g = roi_geometry(int(i), +1, 0.0);
    per_roi.push_back({{"roi", plan_.rois[i].id},
                       {"records", st.records},
                       {"fit_y_um", g.y_um},
                       {"fit_z_um", g.z_um},
                       {"dropped", dropped},
                       {"drop_reason", dropped ? (st.drop_reason[0].empty() ? st.drop_reason[1] : st.drop_reason[0]) : ""}});
  }
  double first_time = 0.0;
  if (const auto* t = find_table(record_, "tracking"); t && !table_column(*t, "time_s").empty())
    first_time = table_column(*t, "time_s").front();
  // What the microscope itself measured: how far each accepted Record's ROI was from its centre.
  std::vector<double> residuals_nm;
  for (const auto& rp : plan_.rois)
    if (const auto* t = find_table(record_, "roi_" + rp.id)) {
      const auto &x = table_column(*t, "residual_x_nm"), &y = table_column(*t, "residual_y_nm"),
                 &ok = table_column(*t, "accepted");
      for (std::size_t k = 0; k < x.size(); ++k)
        if (ok[k] > 0 && table_column(*t, "order")[k] > 0) residuals_nm.push_back(std::hypot(x[k], y[k]));
    }
  return json{{"rois_total", rois_.size()},
              {"rois_lost", lost},
              {"records", records},
              {"tilts_planned", plan_.tilts.size()},
              {"tracking_start_error_nm_median", cspt::median_of(tracking_innovations_nm_)},
              {"measured_residual_nm_median", cspt::median_of(residuals_nm)},
              {"elapsed_s", clock_s_ - first_time},
              {"minutes_per_tilt_series", (clock_s_ - first_time) / 60.0 / double(rois_.size())},
              {"rois", per_roi}};
}

cspt::Project Tracker::project_view() const {
  cspt::Project p;
  p.created_by = "bisect-track 0.1.0";
  p.optics.voltage_kV = plan_.voltage_kV;
  p.optics.cs_mm = plan_.cs_mm;
  p.optics.amplitude_contrast = plan_.amplitude_contrast;
  p.optics.pixel_size_A = plan_.record_pixel_A;
  p.optics.detector_nx_px = plan_.record_nx_px;
  p.optics.detector_ny_px = plan_.record_ny_px;
  for (std::size_t i = 0; i < rois_.size(); ++i) {
    const RoiPlan& rp = plan_.rois[i];
    cspt::TiltSeriesRecord s;
    s.name = plan_.name + "_" + rp.id;
    s.stack_path = s.name + ".mrc";
    s.mdoc_path = s.name + ".mrc.mdoc";
    s.nx_px = plan_.record_nx_px;
    s.ny_px = plan_.record_ny_px;
    s.image_shift_x_um = rp.x_um + plan_.tracking_x_um;
    s.image_shift_y_um = rp.y_um + plan_.tracking_y_um;
    if (const cspt::AcquisitionTable* t = find_table(record_, "roi_" + rp.id)) {
      const auto col = [&](const char* name) -> const std::vector<double>& { return table_column(*t, name); };
      for (std::size_t k = 0; k < col("order").size(); ++k) {
        cspt::TiltRecord tr;
        tr.section = int(col("order")[k]);
        tr.acquisition_order = tr.section;
        tr.nominal_tilt_deg = col("tilt_deg")[k];
        tr.refined_tilt_deg = tr.nominal_tilt_deg;
        tr.tilt_axis_deg = plan_.rotation_angle_deg - 90.0;
        tr.dose_e_per_A2 = col("dose_e_per_A2")[k];
        tr.prior_dose_e_per_A2 = col("prior_dose_e_per_A2")[k];
        tr.target_defocus_A = -1e4 * col("target_defocus_um")[k];
        tr.image_shift_x_um = col("command_x_um")[k];
        tr.image_shift_y_um = col("command_y_um")[k];
        tr.timestamp_s = col("time_s")[k];
        s.tilts.push_back(tr);
      }
    }
    p.tilt_series.push_back(std::move(s));
  }
  p.acquisition = record_;
  return p;
}

}  // namespace bisect
