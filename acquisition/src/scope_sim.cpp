// The simulated microscope driving a real tracking session.
#include "bisect/scope_sim.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <numbers>
#include <random>

#include "bisect/angles.hpp"
#include "bisect/session.hpp"
#include "cspt/core/tilt_scheme.hpp"
#include "cspt/util/error.hpp"
#include "cspt/io/atomic_file.hpp"
#include "cspt/refine/truth_metrics.hpp"
#include "plan_yaml.hpp"
#include "scope_images.hpp"
#include "util/yaml_file.hpp"

namespace bisect {

using json = nlohmann::json;

namespace {

constexpr double kPi = std::numbers::pi;

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const double pos = q * double(v.size() - 1);
  const std::size_t i = std::size_t(pos);
  const double f = pos - double(i);
  return i + 1 < v.size() ? v[i] * (1 - f) + v[i + 1] * f : v[i];
}

double iqr(const std::vector<double>& v) { return quantile(v, 0.75) - quantile(v, 0.25); }

// A point of the specimen: untilted position relative to the eucentric point (um, z up).
struct SpecimenPoint {
  double x = 0.0, y = 0.0, z = 0.0;
};

// The true state of the scope while the simulation runs.
class Scope {
 public:
  Scope(const ScopeModel& m, const TrackPlan& plan) : m_(m), plan_(plan), rng_(m.seed) {
    std::normal_distribution<double> n01(0.0, 1.0);
    eucentric_ = m.eucentric_error_sigma_um * n01(rng_) + m.eucentric_error_um;
    axis_offset_ = m.axis_offset_sigma_um * n01(rng_);
    stage_x_ = 1e-3 * m.stage_move_error_nm * n01(rng_);
    stage_y_ = 1e-3 * m.stage_move_error_nm * n01(rng_);
    const double a = rad(m.is_rotation_error_deg);
    is_matrix_ = {(1 + m.is_scale_error) * std::cos(a), -(1 + m.is_scale_error) * std::sin(a),
                  (1 + m.is_scale_error) * std::sin(a), (1 + m.is_scale_error) * std::cos(a)};
    // Runout shapes: smooth in the angle, with a random mix so branches differ.
    for (double& c : runout_mix_) c = n01(rng_);
    const auto plane = [&](double x, double y) {
      const double tp = std::tan(rad(m.pretilt_deg)), cr = std::cos(rad(m.pretilt_rotation_deg)),
                   sr = std::sin(rad(m.pretilt_rotation_deg));
      return tp * (cr * y - sr * x) + m.bending_per_um * (x * x + y * y);
    };
    const auto height = [&](double x, double y) { return plane(x, y) + m.topography_sigma_um * n01(rng_); };
    tracking_ = {plan.tracking_x_um, plan.tracking_y_um, 0.0};
    tracking_.z = height(tracking_.x, tracking_.y);
    // The focus area lies on the same stretch of carbon as the tracking area, along the tilt axis:
    // it shares its local height, not the plane's only.
    focus_ = {plan.tracking_x_um + plan.focus_offset_um, plan.tracking_y_um, 0.0};
    focus_.z = tracking_.z + plane(focus_.x, focus_.y) - plane(tracking_.x, tracking_.y);
    for (const auto& r : plan.rois) {
      SpecimenPoint p{r.x_um + plan.tracking_x_um, r.y_um + plan.tracking_y_um, 0.0};
      p.z = height(p.x, p.y);
      rois_.push_back(p);
    }
  }

  // Tilting: the true angle differs from the commanded one; the reported one is the true plus noise.
  double tilt_to(double commanded_deg) {
    std::normal_distribution<double> n01(0.0, 1.0);
    const int direction = commanded_deg > angle_deg_ ? +1 : (commanded_deg < angle_deg_ ? -1 : direction_);
    if (direction != direction_ && direction_ != 0) backlash_sign_ = direction;
    if (direction_ == 0) backlash_sign_ = direction;
    direction_ = direction;
    const double seconds = m_.tilt_base_s + m_.tilt_per_deg_s * std::abs(commanded_deg - angle_deg_) +
                           (commanded_deg < 0 ? m_.backlash_s : 0.0) + m_.settle_s;
    angle_deg_ = commanded_deg + 0.5 * m_.tilt_error_deg * n01(rng_);
    jitter_ = {1e-3 * m_.jitter_x_nm * n01(rng_), 1e-3 * m_.jitter_y_nm * n01(rng_), 1e-3 * m_.jitter_z_nm * n01(rng_)};
    advance(seconds);
    tilt_time_s_ = clock_s_;
    drift_ = {0.0, 0.0};
    const double a = 2 * kPi * std::uniform_real_distribution<double>(0, 1)(rng_);
    drift_direction_ = {std::cos(a), std::sin(a)};
    return angle_deg_ + 0.5 * m_.tilt_error_deg * n01(rng_);
  }

  // True projected position (x along the axis, y across) and height of a point now.
  SpecimenPoint project(const SpecimenPoint& p) const {
    const double a = rad(angle_deg_), c = std::cos(a), s = std::sin(a);
    const double t60 = a / rad(60.0);
    const double ry = m_.runout_y_um_at_60 * (0.6 * runout_mix_[0] * t60 + 0.4 * runout_mix_[1] * t60 * t60 * t60 +
                                              0.5 * runout_mix_[2] * (1 - c) / (1 - std::cos(rad(60.0))));
    const double rz = m_.runout_z_um_at_60 * (runout_mix_[3] * t60 + 0.5 * runout_mix_[4] * t60 * t60);
    const double rx = m_.runout_x_um_at_60 * runout_mix_[5] * t60;
    const double back = m_.backlash_um * 0.5 * backlash_sign_;
    SpecimenPoint q;
    q.x = p.x + stage_x_ + rx + jitter_.x + drift_[0];
    q.y = axis_offset_ + (p.y + stage_y_ - axis_offset_) * c - (p.z - eucentric_) * s + ry + back + jitter_.y + drift_[1];
    q.z = (p.y + stage_y_ - axis_offset_) * s + (p.z - eucentric_) * c + rz + jitter_.z;
    return q;
  }

  // Where the beam lands for a commanded image shift (calibration error and repeatability).
  std::array<double, 2> beam(double is_x, double is_y) {
    std::normal_distribution<double> n(0.0, 1e-3 * m_.is_repeat_nm);
    return {is_matrix_[0] * is_x + is_matrix_[1] * is_y + n(rng_), is_matrix_[2] * is_x + is_matrix_[3] * is_y + n(rng_)};
  }

  void advance(double seconds) {
    // Drift decays after each tilt: v(t) = v0 exp(-(t - t_tilt) / tau).
    const double t0 = clock_s_ - tilt_time_s_, t1 = t0 + seconds;
    const double travel_nm = m_.drift_nm_per_s * m_.drift_tau_s * (std::exp(-t0 / m_.drift_tau_s) - std::exp(-t1 / m_.drift_tau_s));
    drift_[0] += 1e-3 * travel_nm * drift_direction_[0];
    drift_[1] += 1e-3 * travel_nm * drift_direction_[1];
    clock_s_ += seconds;
  }

  enum class Camera { low, high, record };

  // A correlation (geometry oracle) of an image taken with `camera`: the true offset plus noise, or
  // a failure.
  json correlate(double true_x_um, double true_y_um, Camera camera) {
    std::normal_distribution<double> n01(0.0, 1.0);
    std::uniform_real_distribution<double> u01(0.0, 1.0);
    const double sec = 1.0 / std::cos(rad(angle_deg_));
    const MagPlan record{plan_.record_pixel_A, plan_.record_nx_px, plan_.record_ny_px, 0.0, 0};
    const MagPlan& mag = camera == Camera::low ? plan_.low : (camera == Camera::high ? plan_.high : record);
    const double pixel_A = mag.pixel_A, fov_um = 1e-3 * mag.fov_nm();
    const double sigma0_px = camera == Camera::low ? m_.cc_sigma_px_low
                                                   : (camera == Camera::high ? m_.cc_sigma_px_high : m_.cc_sigma_px_record);
    const double sigma_px = sigma0_px * std::pow(sec, m_.cc_tilt_power);
    const double sigma_nm = 0.1 * pixel_A * sigma_px;
    const double p_fail = m_.failure_p0 + m_.failure_p1 * (sec - 1) * (sec - 1);
    const bool out_of_view = std::hypot(true_x_um, true_y_um) > 0.5 * fov_um;
    if (out_of_view || u01(rng_) < p_fail) {
      ++failures_;
      const double kind = u01(rng_);
      double x = 0, y = 0, psr = 0;
      if (kind < 1.0 / 3) {  // locked on fixed-pattern noise at zero shift
        x = 0.2 * n01(rng_), y = 0.2 * n01(rng_), psr = 1.3 + 0.6 * u01(rng_);
      } else if (kind < 2.0 / 3) {  // a lattice alias one hole away
        const double a = kPi / 2 * std::floor(4 * u01(rng_));
        x = 1e3 * (true_x_um + m_.hole_spacing_um * std::cos(a)), y = 1e3 * (true_y_um + m_.hole_spacing_um * std::sin(a));
        psr = 2.0 + 1.5 * u01(rng_);
      } else {  // a random peak
        x = 1e3 * fov_um * (u01(rng_) - 0.5), y = 1e3 * fov_um * (u01(rng_) - 0.5), psr = 1.5 + 1.5 * u01(rng_);
      }
      return json{{"shift_nm", {x, y}}, {"cc", 0.05 + 0.05 * u01(rng_)}, {"psr", psr}};
    }
    return json{{"shift_nm", {1e3 * true_x_um + sigma_nm * n01(rng_), 1e3 * true_y_um + sigma_nm * n01(rng_)}},
                {"cc", 0.3 + 0.2 * u01(rng_) / sec},
                {"psr", 4.0 + 6.0 / sec + u01(rng_)}};
  }

  double autofocus(double target_um) {
    // Sets the focus so that the focus area is at its target (plus the measurement error).
    std::normal_distribution<double> n(0.0, 1e-3 * m_.autofocus_sigma_nm);
    const double height = project(focus_).z;
    advance(m_.focus_s);
    return target_um - m_.delta_z_to_defocus_true * height + n(rng_);
  }

  double defocus_at(const SpecimenPoint& p, double focus_um) const {
    return focus_um + m_.delta_z_to_defocus_true * project(p).z;
  }

  const ScopeModel& model() const { return m_; }
  double angle_deg() const { return angle_deg_; }
  double clock_s() const { return clock_s_; }
  const SpecimenPoint& tracking() const { return tracking_; }
  const std::vector<SpecimenPoint>& rois() const { return rois_; }
  double eucentric_um() const { return eucentric_; }
  int failures() const { return failures_; }
  std::mt19937_64& rng() { return rng_; }

 private:
  const ScopeModel& m_;
  const TrackPlan& plan_;
  std::mt19937_64 rng_;
  double eucentric_ = 0, axis_offset_ = 0, stage_x_ = 0, stage_y_ = 0;
  std::array<double, 4> is_matrix_{};
  std::array<double, 6> runout_mix_{};
  SpecimenPoint tracking_, focus_, jitter_;
  std::vector<SpecimenPoint> rois_;
  double angle_deg_ = 0.0;
  int direction_ = 0, backlash_sign_ = 0;
  double clock_s_ = 0.0, tilt_time_s_ = 0.0;
  std::array<double, 2> drift_{}, drift_direction_{1, 0};
  int failures_ = 0;
};

MagPlan image_mag(double pixel_A, int n, double threshold_nm) { return MagPlan{pixel_A, n, n, threshold_nm, 3}; }

}  // namespace

std::vector<std::string> scenario_names() {
  return {"ideal", "nominal-krios", "bad-stage", "high-tilt-failures", "eucentric-sweep", "lamella-pretilt", "crash-resume"};
}

Scenario builtin_scenario(const std::string& name) {
  Scenario s;
  s.name = name;
  TrackPlan& p = s.plan;
  // The plan a facility would use: 5 x 5 holes at 2.5 um, +-60/3 BISECT scheme, K3-like camera.
  const auto lattice = lattice_positions_um(5, 5, 2.5, 0.0);
  p.rois.clear();
  for (std::size_t i = 0; i < lattice.size(); ++i) {
    RoiPlan r;
    r.id = roi_id(int(i));
    r.x_um = lattice[i][0] - p.tracking_x_um;
    r.y_um = lattice[i][1] - p.tracking_y_um;
    p.rois.push_back(r);
  }
  p.scheme = "bisect60";
  p.tilts = tilts_in_order(cspt::tilt_scheme(p.scheme));
  ScopeModel& m = s.scope;
  if (name == "ideal") {
    m.eucentric_error_sigma_um = m.axis_offset_sigma_um = 0;
    m.runout_y_um_at_60 = m.runout_z_um_at_60 = m.runout_x_um_at_60 = 0;
    m.backlash_um = m.jitter_x_nm = m.jitter_y_nm = m.jitter_z_nm = 0;
    m.stage_move_error_nm = m.drift_nm_per_s = m.tilt_error_deg = 0;
    m.is_scale_error = m.is_rotation_error_deg = m.is_repeat_nm = 0;
    m.autofocus_sigma_nm = 0;
    m.cc_sigma_px_low = m.cc_sigma_px_high = m.cc_sigma_px_record = 0;
    m.failure_p0 = m.failure_p1 = 0;
    m.bending_per_um = 0;
    m.pretilt_deg = 0;  // the focus area then shares the tracking area's height exactly
  } else if (name == "nominal-krios" || name == "crash-resume") {
    if (name == "crash-resume") m.restart_after_events = {7, 40, 333, 901};
  } else if (name == "bad-stage") {
    m.runout_y_um_at_60 *= 3;
    m.runout_z_um_at_60 *= 3;
    m.runout_x_um_at_60 *= 3;
    m.backlash_um = 0.5;
    m.jitter_y_nm = 80;
    m.stage_move_error_nm = 300;
    m.eucentric_error_sigma_um = 1.5;
  } else if (name == "high-tilt-failures") {
    m.failure_p0 = 0.02;
    m.failure_p1 = 0.4;  // about 40% of correlations fail at 60 deg
  } else if (name == "eucentric-sweep") {
    m.eucentric_error_sigma_um = 0;
    m.eucentric_error_um = 2.0;
  } else if (name == "lamella-pretilt") {
    m.pretilt_deg = 12.0;
    m.pretilt_rotation_deg = 0.0;
    m.bending_per_um = 0.004;
    // The scheme starts at the pretilt; ranges become asymmetric.
    p.scheme = "lamella";
    const double start = -12.0;
    std::vector<double> angles{start};
    for (int k = 1; k <= 16; ++k)
      for (int sgn : {+1, -1})
        if (const double a = start + sgn * 3.0 * k; a >= -60 && a <= 48) angles.push_back(a);
    p.tilts = tilts_in_order(angles);
    // The plane prior from a geometry measurement (PACEtomo's measureGeo).
    for (auto& r : p.rois)
      r.z_prior_um = std::tan(rad(m.pretilt_deg)) * ((r.y_um + p.tracking_y_um) - p.tracking_y_um);
  } else {
    std::string names;
    for (const auto& n : scenario_names()) names += (names.empty() ? "" : ", ") + n;
    throw cspt::ConfigError("simulate", "--scenario", name, "one of " + names);
  }
  return s;
}

void apply_scenario_yaml(const std::string& path, Scenario& s) {
  const YAML::Node root = cspt::util::load_yaml_file(path);
  for (const auto& kv : root) {
    const std::string key = kv.first.as<std::string>();
    const std::string where = path + ":" + std::to_string(kv.first.Mark().line + 1);
    if (key == "plan") {
      s.plan = plan_from_yaml(kv.second, path);
    } else if (key == "scope") {
      std::map<std::string, double*> fields = {
          {"eucentric_error_sigma_um", &s.scope.eucentric_error_sigma_um},
          {"eucentric_error_um", &s.scope.eucentric_error_um},
          {"axis_offset_sigma_um", &s.scope.axis_offset_sigma_um},
          {"runout_y_um_at_60", &s.scope.runout_y_um_at_60},
          {"runout_z_um_at_60", &s.scope.runout_z_um_at_60},
          {"runout_x_um_at_60", &s.scope.runout_x_um_at_60},
          {"backlash_um", &s.scope.backlash_um},
          {"jitter_y_nm", &s.scope.jitter_y_nm},
          {"jitter_x_nm", &s.scope.jitter_x_nm},
          {"jitter_z_nm", &s.scope.jitter_z_nm},
          {"stage_move_error_nm", &s.scope.stage_move_error_nm},
          {"drift_nm_per_s", &s.scope.drift_nm_per_s},
          {"drift_tau_s", &s.scope.drift_tau_s},
          {"tilt_error_deg", &s.scope.tilt_error_deg},
          {"is_scale_error", &s.scope.is_scale_error},
          {"is_rotation_error_deg", &s.scope.is_rotation_error_deg},
          {"is_repeat_nm", &s.scope.is_repeat_nm},
          {"delta_z_to_defocus_true", &s.scope.delta_z_to_defocus_true},
          {"autofocus_sigma_nm", &s.scope.autofocus_sigma_nm},
          {"pretilt_deg", &s.scope.pretilt_deg},
          {"pretilt_rotation_deg", &s.scope.pretilt_rotation_deg},
          {"bending_per_um", &s.scope.bending_per_um},
          {"topography_sigma_um", &s.scope.topography_sigma_um},
          {"cc_sigma_px_low", &s.scope.cc_sigma_px_low},
          {"cc_sigma_px_high", &s.scope.cc_sigma_px_high},
          {"cc_sigma_px_record", &s.scope.cc_sigma_px_record},
          {"failure_p0", &s.scope.failure_p0},
          {"failure_p1", &s.scope.failure_p1},
          {"dark_beyond_deg", &s.scope.dark_beyond_deg},
      };
      for (const auto& f : kv.second) {
        const std::string name = f.first.as<std::string>();
        const std::string fwhere = path + ":" + std::to_string(f.first.Mark().line + 1);
        if (name == "seed") {
          s.scope.seed = f.second.as<std::uint64_t>();
          continue;
        }
        if (name == "render_images") {
          s.scope.render_images = f.second.as<bool>();
          continue;
        }
        if (name == "dark_rois") {
          s.scope.dark_rois = f.second.as<std::vector<int>>();
          continue;
        }
        const auto it = fields.find(name);
        if (it == fields.end()) throw cspt::ConfigError(fwhere, "scope." + name, "", "a known scope field (docs/acquisition.md)");
        try {
          *it->second = f.second.as<double>();
        } catch (const YAML::Exception&) {
          throw cspt::ConfigError(fwhere, "scope." + name, f.second.IsScalar() ? f.second.as<std::string>() : "", "a number");
        }
      }
    } else {
      throw cspt::ConfigError(where, key, "", "'plan' or 'scope'");
    }
  }
}

json simulate_acquisition(const Scenario& sc, const std::string& dir, bool progress) {
  namespace fs = std::filesystem;
  fs::create_directories(dir);
  TrackPlan plan = sc.plan;
  if (sc.scope.render_images) {
    // Image mode renders at the correlation size directly: same fields of view, coarser pixels.
    const int n = plan.correlation_size_px;
    plan.low = image_mag(plan.low.fov_nm() * 10.0 / n, n, plan.low.threshold_nm);
    plan.high = image_mag(plan.high.fov_nm() * 10.0 / n, n, plan.high.threshold_nm);
    plan.record_pixel_A = plan.record_pixel_A * double(std::min(plan.record_nx_px, plan.record_ny_px)) / n;
    plan.record_nx_px = plan.record_ny_px = n;
  }
  const std::string project = (fs::path(dir) / "project.h5").string();
  Session::create(project, plan, true);
  auto session = std::make_unique<Session>(project);
  Scope scope(sc.scope, plan);
  std::unique_ptr<SceneRenderer> renderer;
  if (sc.scope.render_images) renderer = std::make_unique<SceneRenderer>(plan, sc.scope.seed, (fs::path(dir) / "images").string());

  std::vector<double> targeting_nm, defocus_um, tracking_nm, latency_ms;
  std::vector<json> records;
  int events = 0;
  std::vector<int> restarts(sc.scope.restart_after_events);
  json actions_log = json::array();
  const auto send = [&](json event) {
    event["time_s"] = scope.clock_s();
    const auto t0 = std::chrono::steady_clock::now();
    json action = session->handle(event);
    latency_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    scope.advance(sc.scope.tracker_s);
    ++events;
    actions_log.push_back(action);
    if (std::find(restarts.begin(), restarts.end(), events) != restarts.end()) {
      session.reset();  // the tracker process dies here; a new one reads the project file
      session = std::make_unique<Session>(project);
      const json again = session->start();
      if (again != action) throw cspt::InternalError("restart changed the pending action");
    }
    return action;
  };

  json action = send(json{{"event", "begin"}});
  bool first_tracking[2] = {true, true};
  std::vector<bool> first_record(plan.rois.size(), true);
  const auto truth_offset = [&](const SpecimenPoint& area, const std::array<double, 2>& beam) {
    const SpecimenPoint q = scope.project(area);
    return std::array<double, 2>{q.x - beam[0], q.y - beam[1]};
  };
  int tilt_count = 0;
  while (action.at("action") != "done") {
    const std::string kind = action.at("action");
    if (kind == "tilt") {
      const double reported = scope.tilt_to(action.at("angle_deg").get<double>());
      ++tilt_count;
      if (progress)
        std::fprintf(stderr, "bisect-track simulate: tilt %d/%zu at %.1f deg (t = %.0f s)\n", tilt_count,
                     plan.tilts.size(), reported, scope.clock_s());
      action = send(json{{"event", "tilted"}, {"angle_deg", reported}});
    } else if (kind == "track") {
      const int mag = action.at("mag") == "low" ? 0 : 1;
      const auto is = action.at("image_shift_um");
      scope.advance(sc.scope.is_move_s + sc.scope.tracking_image_s + (action.at("iteration") == 1 ? sc.scope.mag_change_s : 0.0));
      const auto b = scope.beam(is[0], is[1]);
      const auto off = truth_offset(scope.tracking(), b);
      json event{{"event", "tracking_image"}, {"mag", action.at("mag")}};
      if (renderer) {
        event["image"] = renderer->tracking_image(mag, off[0], off[1], scope.angle_deg(), scope.rng());
        if (first_tracking[mag]) event["reference"] = renderer->tracking_image(mag, 0.0, 0.0, 0.0, scope.rng());
      } else {
        event.update(scope.correlate(off[0], off[1], mag == 0 ? Scope::Camera::low : Scope::Camera::high));
      }
      first_tracking[mag] = false;
      action = send(event);
      // Tracking precision after convergence: how far the tracking area truly is from the centre of
      // the last high-magnification image, the one that met the threshold.
      if (mag == 1 && action.at("action") == "focus") tracking_nm.push_back(1e3 * std::hypot(off[0], off[1]));
    } else if (kind == "focus") {
      const double focus = scope.autofocus(plan.focus_target_defocus_um);
      action = send(json{{"event", "focus"}, {"focus_um", focus}, {"measured_defocus_um", focus}, {"fail_code", 0}});
    } else if (kind == "record") {
      const int i = plan.roi_index(action.at("roi"));
      const auto is = action.at("image_shift_um");
      scope.advance(sc.scope.is_move_s);
      const auto b = scope.beam(is[0], is[1]);
      const SpecimenPoint& p = scope.rois()[std::size_t(i)];
      const auto off = truth_offset(p, b);
      const double defocus = scope.defocus_at(p, action.at("focus_um"));
      const double target = action.at("target_defocus_um");
      targeting_nm.push_back(1e3 * std::hypot(off[0], off[1]));
      defocus_um.push_back(std::abs(defocus - target));
      records.push_back({{"roi", action.at("roi")}, {"tilt_deg", scope.angle_deg()}, {"targeting_nm", targeting_nm.back()},
                         {"defocus_error_um", defocus - target}});
      scope.advance(sc.scope.record_s + sc.scope.readout_s);
      json event{{"event", "roi_image"}, {"roi", action.at("roi")}, {"dose_e_per_A2", plan.dose_per_tilt_e_per_A2},
                 {"num_frames", plan.frames_per_tilt}};
      const bool dark = std::find(sc.scope.dark_rois.begin(), sc.scope.dark_rois.end(), i) != sc.scope.dark_rois.end() &&
                        std::abs(scope.angle_deg()) > sc.scope.dark_beyond_deg;
      event["mean_counts"] = dark ? 2.0 : 100.0;
      if (renderer) {
        event["image"] = renderer->record_image(i, off[0], off[1], scope.angle_deg(), scope.rng());
        if (first_record[std::size_t(i)]) event["reference"] = renderer->record_image(i, 0.0, 0.0, 0.0, scope.rng());
      } else {
        event.update(scope.correlate(off[0], off[1], Scope::Camera::record));
      }
      first_record[std::size_t(i)] = false;
      action = send(event);
    } else {
      throw cspt::InternalError("simulate: unexpected action " + kind);
    }
  }

  // Height fit accuracy: fitted (relative to the tracking area) against the truth.
  std::vector<double> z_error_nm;
  const Tracker& t = session->tracker();
  for (std::size_t i = 0; i < plan.rois.size(); ++i) {
    const RoiGeometry g = t.roi_geometry(int(i), +1, 0.0);
    z_error_nm.push_back(1e3 * std::abs(g.z_um - (scope.rois()[i].z - scope.tracking().z)));
  }
  const json tracker_summary = t.summary();
  int lost_inside_limit = 0;  // ROIs dropped for any reason but reaching the image-shift limit
  for (const auto& r : tracker_summary.at("rois"))
    if (r.at("dropped").get<bool>() && r.at("drop_reason") != "image_shift_limit") ++lost_inside_limit;
  const double minutes = scope.clock_s() / 60.0 / double(plan.rois.size());
  json summary{{"scenario", sc.name},
               {"mode", sc.scope.render_images ? "image" : "geometry"},
               {"offplane_fit", plan.fit_offplane},
               {"targeting_error_nm_median", cspt::median_of(targeting_nm)},
               {"targeting_error_nm_iqr", iqr(targeting_nm)},
               {"targeting_error_nm_p95", quantile(targeting_nm, 0.95)},
               {"defocus_error_um_median", cspt::median_of(defocus_um)},
               {"defocus_error_um_iqr", iqr(defocus_um)},
               {"tracking_error_nm_median", cspt::median_of(tracking_nm)},
               {"tracking_error_nm_p95", quantile(tracking_nm, 0.95)},
               {"height_error_nm_median", cspt::median_of(z_error_nm)},
               {"rois_total", plan.rois.size()},
               {"rois_lost", tracker_summary.at("rois_lost")},
               {"rois_lost_inside_is_limit", lost_inside_limit},
               {"records", targeting_nm.size()},
               {"correlation_failures", scope.failures()},
               {"minutes_per_tilt_series", minutes},
               {"tracker_latency_ms_median", cspt::median_of(latency_ms)},
               {"events", events},
               {"restarts", sc.scope.restart_after_events.size()},
               {"eucentric_error_um", scope.eucentric_um()}};
  cspt::io::write_file_atomically((fs::path(dir) / "summary.json").string(), summary.dump(2) + "\n");
  cspt::io::write_file_atomically((fs::path(dir) / "truth.json").string(),
                                  json{{"records", records}, {"actions", actions_log}}.dump() + "\n");
  return summary;
}

}  // namespace bisect
