// Reading, checking and serialising acquisition plans.
#include "bisect/plan.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>

#include "bisect/angles.hpp"
#include "cspt/core/tilt_scheme.hpp"
#include "cspt/util/error.hpp"
#include "plan_yaml.hpp"
#include "util/yaml_file.hpp"

namespace bisect {

using cspt::ConfigError;

int TrackPlan::roi_index(const std::string& id) const {
  for (std::size_t i = 0; i < rois.size(); ++i)
    if (rois[i].id == id) return int(i);
  return -1;
}

namespace {

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

// One YAML mapping being read: every key taken is remembered, and finish() refuses the rest.
class Section {
 public:
  Section(YAML::Node node, std::string file, std::string path)
      : node_(std::move(node)), file_(std::move(file)), path_(std::move(path)) {
    if (node_ && !node_.IsNull() && !node_.IsMap())
      throw ConfigError(where(node_), path_.empty() ? "config" : path_, "", "a mapping of keys to values");
  }

  bool has(const char* key) const { return node_ && node_.IsMap() && node_[key]; }

  template <class T>
  T get(const char* key, T fallback) {
    known_.insert(key);
    if (!has(key)) return fallback;
    const YAML::Node v = node_[key];
    try {
      if (!v.IsScalar()) throw YAML::Exception(v.Mark(), "not a single value");
      return v.as<T>();
    } catch (const YAML::Exception&) {
      throw ConfigError(where(v), key_path(key), v.IsScalar() ? v.as<std::string>() : "(not a scalar)",
                        expectation<T>());
    }
  }

  std::vector<double> numbers(const char* key) {
    known_.insert(key);
    std::vector<double> out;
    if (!has(key)) return out;
    const YAML::Node v = node_[key];
    if (!v.IsSequence()) throw ConfigError(where(v), key_path(key), "", "a list of numbers");
    for (const auto& item : v) {
      try {
        out.push_back(item.as<double>());
      } catch (const YAML::Exception&) {
        throw ConfigError(where(item), key_path(key), item.IsScalar() ? item.as<std::string>() : "(nested)",
                          "a number");
      }
    }
    return out;
  }

  std::vector<std::vector<double>> pairs(const char* key) {
    known_.insert(key);
    std::vector<std::vector<double>> out;
    if (!has(key)) return out;
    const YAML::Node v = node_[key];
    if (!v.IsSequence()) throw ConfigError(where(v), key_path(key), "", "a list of [x, y] pairs in um");
    for (const auto& item : v) {
      if (!item.IsSequence() || item.size() != 2)
        throw ConfigError(where(item), key_path(key), "", "a list of [x, y] pairs in um");
      try {
        out.push_back({item[0].as<double>(), item[1].as<double>()});
      } catch (const YAML::Exception&) {
        throw ConfigError(where(item), key_path(key), "", "numbers in every [x, y] pair");
      }
    }
    return out;
  }

  Section section(const char* key) {
    known_.insert(key);
    return Section(has(key) ? node_[key] : YAML::Node(), file_, key_path(key));
  }

  std::string line_of(const char* key) const { return has(key) ? where(node_[key]) : file_; }
  std::string key_path(const char* key) const { return path_.empty() ? key : path_ + "." + key; }

  void finish() const {
    if (!node_ || !node_.IsMap()) return;
    for (const auto& kv : node_) {
      const std::string key = kv.first.as<std::string>();
      if (known_.count(key)) continue;
      std::string best;
      std::size_t best_distance = 99;
      for (const auto& k : known_) {
        const std::size_t d = edit_distance(key, k);
        if (d < best_distance) best_distance = d, best = k;
      }
      std::string expectation = "a known key";
      if (!best.empty() && best_distance <= std::max<std::size_t>(2, key.size() / 3))
        expectation += " (did you mean '" + key_path(best.c_str()) + "'?)";
      throw ConfigError(where(kv.first), key_path(key.c_str()), "", expectation);
    }
  }

 private:
  std::string where(const YAML::Node& n) const {
    return n && n.Mark().line >= 0 ? file_ + ":" + std::to_string(n.Mark().line + 1) : file_;
  }
  template <class T>
  static const char* expectation() {
    if constexpr (std::is_same_v<T, bool>) return "true or false";
    else if constexpr (std::is_same_v<T, int>) return "an integer";
    else if constexpr (std::is_same_v<T, std::string>) return "a text value";
    else return "a number";
  }

  YAML::Node node_;
  std::string file_, path_;
  std::set<std::string> known_;
};

// Without an explicit threshold, a magnification's threshold is the paper's (100 nm at 5.2 A/px,
// 5 nm at 1.37 A/px on a 4096-pixel camera) scaled with the field of view, as its Methods advise.
void read_mag(Section s, MagPlan& m, int nx, int ny) {
  const double paper_fraction = m.threshold_nm / MagPlan{m.pixel_A, 4096, 4096, m.threshold_nm, 1}.fov_nm();
  m.pixel_A = s.get("pixel_A", m.pixel_A);
  m.max_iterations = s.get("max_iterations", m.max_iterations);
  m.nx_px = s.get("nx_px", nx);
  m.ny_px = s.get("ny_px", ny);
  m.threshold_nm = s.get("threshold_nm", paper_fraction * m.fov_nm());
  s.finish();
}

void require(bool ok, const std::string& where, const std::string& field, double value, const std::string& expectation) {
  if (!ok) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%g", value);
    throw ConfigError(where, field, buf, expectation);
  }
}

}  // namespace

TrackPlan read_plan_yaml(const std::string& path) { return plan_from_yaml(cspt::util::load_yaml_file(path), path); }

std::vector<TiltPlan> tilts_in_order(const std::vector<double>& angles) {
  std::vector<TiltPlan> tilts;
  for (double a : angles) tilts.push_back({a, a > angles.front() ? +1 : (a < angles.front() ? -1 : 0)});
  return tilts;
}

std::vector<std::array<double, 2>> lattice_positions_um(int n, int m, double spacing_um, double rotation_deg) {
  const double c = std::cos(rad(rotation_deg)), s = std::sin(rad(rotation_deg));
  std::vector<std::array<double, 2>> out;
  for (int j = 0; j < m; ++j)
    for (int i = 0; i < n; ++i) {
      const double u = (i - 0.5 * (n - 1)) * spacing_um, v = (j - 0.5 * (m - 1)) * spacing_um;
      out.push_back({c * u - s * v, s * u + c * v});
    }
  return out;
}

std::string roi_id(int index) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%03d", (index + 1) % 1000);
  return buf;
}

TrackPlan plan_from_yaml(const YAML::Node& root, const std::string& path) {
  TrackPlan p;
  Section top(root, path, "");
  p.name = top.get<std::string>("name", p.name);

  Section optics = top.section("optics");
  p.voltage_kV = optics.get("voltage_kV", p.voltage_kV);
  p.cs_mm = optics.get("cs_mm", p.cs_mm);
  p.amplitude_contrast = optics.get("amplitude_contrast", p.amplitude_contrast);
  optics.finish();

  Section camera = top.section("camera");
  p.rotation_angle_deg = camera.get("rotation_angle_deg", p.rotation_angle_deg);
  p.record_pixel_A = camera.get("record_pixel_A", p.record_pixel_A);
  p.record_nx_px = camera.get("nx_px", p.record_nx_px);
  p.record_ny_px = camera.get("ny_px", p.record_ny_px);
  camera.finish();

  Section exposure = top.section("exposure");
  p.dose_per_tilt_e_per_A2 = exposure.get("dose_per_tilt_e_per_A2", p.dose_per_tilt_e_per_A2);
  p.exposure_time_s = exposure.get("exposure_time_s", p.exposure_time_s);
  p.frames_per_tilt = exposure.get("frames_per_tilt", p.frames_per_tilt);
  exposure.finish();

  // Tilt scheme: a preset name or an explicit list in acquisition order.
  Section scheme = top.section("scheme");
  const std::string preset = scheme.get<std::string>("preset", "bisect60");
  std::vector<double> angles = scheme.numbers("angles_deg");
  scheme.finish();
  if (!angles.empty()) {
    p.scheme = "list";
  } else {
    p.scheme = preset;
    try {
      angles = cspt::tilt_scheme(preset);
    } catch (const cspt::Error& e) {
      throw ConfigError(scheme.line_of("preset"), "scheme.preset", preset, e.expectation());
    }
  }
  p.tilts = tilts_in_order(angles);

  Section tracking = top.section("tracking");
  const std::vector<double> area = tracking.numbers("area_um");
  if (!area.empty()) {
    if (area.size() != 2) throw ConfigError(tracking.line_of("area_um"), "tracking.area_um", "", "[x, y] in um");
    p.tracking_x_um = area[0], p.tracking_y_um = area[1];
  }
  p.focus_offset_um = tracking.get("focus_offset_um", p.focus_offset_um);
  p.focus_target_defocus_um = tracking.get("focus_target_defocus_um", p.focus_target_defocus_um);
  read_mag(tracking.section("low"), p.low, p.record_nx_px, p.record_ny_px);
  read_mag(tracking.section("high"), p.high, p.record_nx_px, p.record_ny_px);
  p.psr_min = tracking.get("psr_min", p.psr_min);
  p.max_shift_fraction = tracking.get("max_shift_fraction", p.max_shift_fraction);
  p.innovation_sigmas = tracking.get("innovation_sigmas", p.innovation_sigmas);
  p.innovation_floor_low_nm = tracking.get("innovation_floor_low_nm", p.innovation_floor_low_nm);
  p.innovation_floor_high_nm = tracking.get("innovation_floor_high_nm", p.innovation_floor_high_nm);
  p.correlation_size_px = tracking.get("correlation_size_px", p.correlation_size_px);
  tracking.finish();

  Section geometry = top.section("geometry");
  const double pretilt_deg = geometry.get("pretilt_deg", 0.0);
  const double plane_rotation_deg = geometry.get("rotation_deg", 0.0);
  geometry.finish();

  Section rois = top.section("rois");
  const std::string pattern = rois.get<std::string>("pattern", "lattice");
  const int n = rois.get("n", 5), m = rois.get("m", 5);
  const double spacing_um = rois.get("spacing_um", 2.5);
  const double lattice_rotation_deg = rois.get("rotation_deg", 0.0);
  const std::vector<std::vector<double>> offsets = rois.pairs("offsets_um");
  const double target_defocus_um = rois.get("target_defocus_um", -3.0);
  const double defocus_step_um = rois.get("defocus_step_um", 0.0);
  const int defocus_cycle = rois.get("defocus_cycle", 1);
  rois.finish();
  std::vector<std::array<double, 2>> positions;  // from the stage centre, untilted
  if (pattern == "lattice") {
    require(n >= 1 && m >= 1 && n * m <= 400, rois.line_of("n"), "rois.n x rois.m", n * m, "1 to 400 ROIs");
    positions = lattice_positions_um(n, m, spacing_um, lattice_rotation_deg);
  } else if (pattern == "list") {
    if (offsets.empty()) throw ConfigError(rois.line_of("offsets_um"), "rois.offsets_um", "", "at least one [x, y]");
    for (const auto& o : offsets) positions.push_back({o[0], o[1]});
  } else {
    throw ConfigError(rois.line_of("pattern"), "rois.pattern", pattern, "'lattice' or 'list'");
  }
  const double tp = std::tan(rad(pretilt_deg)), cr = std::cos(rad(plane_rotation_deg)),
               sr = std::sin(rad(plane_rotation_deg));
  const auto plane_z = [&](double x, double y) { return tp * (cr * y - sr * x); };
  for (std::size_t i = 0; i < positions.size(); ++i) {
    RoiPlan r;
    r.id = roi_id(int(i));
    r.x_um = positions[i][0] - p.tracking_x_um;
    r.y_um = positions[i][1] - p.tracking_y_um;
    r.z_prior_um = plane_z(positions[i][0], positions[i][1]) - plane_z(p.tracking_x_um, p.tracking_y_um);
    r.target_defocus_um = target_defocus_um + defocus_step_um * double(int(i) % std::max(1, defocus_cycle));
    p.rois.push_back(r);
  }

  Section fit = top.section("fit");
  p.fit_offplane = fit.get("offplane", p.fit_offplane);
  p.min_points_for_height = fit.get("min_points_for_height", p.min_points_for_height);
  p.height_prior_sigma_um = fit.get("height_prior_sigma_um", p.height_prior_sigma_um);
  p.y_prior_sigma_um = fit.get("y_prior_sigma_um", p.y_prior_sigma_um);
  p.measurement_sigma_nm = fit.get("measurement_sigma_nm", p.measurement_sigma_nm);
  p.fit_window_deg = fit.get("window_deg", p.fit_window_deg);
  p.other_branch_weight = fit.get("other_branch_weight", p.other_branch_weight);
  p.roi_residual_gate_nm = fit.get("residual_gate_nm", p.roi_residual_gate_nm);
  p.process_sigma_nm = fit.get("process_sigma_nm", p.process_sigma_nm);
  p.drift_correction = fit.get("drift_correction", p.drift_correction);
  fit.finish();

  Section limits = top.section("limits");
  p.image_shift_limit_um = limits.get("image_shift_um", p.image_shift_limit_um);
  p.image_shift_margin_um = limits.get("image_shift_margin_um", p.image_shift_margin_um);
  p.min_mean_counts = limits.get("min_mean_counts", p.min_mean_counts);
  p.max_failed_alignments = limits.get("max_failed_alignments", p.max_failed_alignments);
  p.max_tilt_error_deg = limits.get("max_tilt_error_deg", p.max_tilt_error_deg);
  p.delta_z_to_defocus = limits.get("delta_z_to_defocus", p.delta_z_to_defocus);
  limits.finish();

  top.finish();
  validate_plan(p, path);
  return p;
}

void validate_plan(const TrackPlan& p, const std::string& where) {
  if (p.name.empty() || p.name.find_first_of("/\\ \t") != std::string::npos)
    throw ConfigError(where, "name", "'" + p.name + "'", "a non-empty name without '/', '\\' or spaces");
  require(p.voltage_kV > 0, where, "optics.voltage_kV", p.voltage_kV, "> 0");
  require(p.record_pixel_A > 0, where, "camera.record_pixel_A", p.record_pixel_A, "> 0");
  require(p.record_nx_px >= 64 && p.record_ny_px >= 64, where, "camera.nx_px/ny_px",
          std::min(p.record_nx_px, p.record_ny_px), ">= 64");
  require(p.dose_per_tilt_e_per_A2 >= 0, where, "exposure.dose_per_tilt_e_per_A2", p.dose_per_tilt_e_per_A2, ">= 0");
  for (const MagPlan* m : {&p.low, &p.high}) {
    const std::string mag = m == &p.low ? "tracking.low" : "tracking.high";
    require(m->pixel_A > 0, where, mag + ".pixel_A", m->pixel_A, "> 0");
    require(m->threshold_nm > 0, where, mag + ".threshold_nm", m->threshold_nm, "> 0");
    require(m->max_iterations >= 1 && m->max_iterations <= 20, where, mag + ".max_iterations", m->max_iterations,
            "1 to 20");
    require(m->nx_px >= 64 && m->ny_px >= 64, where, mag + ".nx_px/ny_px", std::min(m->nx_px, m->ny_px), ">= 64");
    // The paper's rule: a threshold must be well inside the field of view of the next step.
    require(m->threshold_nm < 0.5 * m->fov_nm(), where, mag + ".threshold_nm", m->threshold_nm,
            "less than half the field of view at that magnification");
  }
  require(p.low.threshold_nm < 0.5 * p.high.fov_nm(), where, "tracking.low.threshold_nm", p.low.threshold_nm,
          "less than half the high-magnification field of view (paper, Methods)");
  require(p.tilts.size() >= 1, where, "scheme.angles_deg", double(p.tilts.size()), "at least one tilt");
  for (const auto& t : p.tilts)
    require(std::abs(t.angle_deg) <= 80, where, "scheme.angles_deg", t.angle_deg, "within +-80 deg");
  require(!p.rois.empty(), where, "rois", 0, "at least one ROI");
  require(p.psr_min >= 1.0, where, "tracking.psr_min", p.psr_min, ">= 1");
  require(p.max_shift_fraction > 0 && p.max_shift_fraction <= 0.5, where, "tracking.max_shift_fraction",
          p.max_shift_fraction, "in (0, 0.5]");
  require(p.min_points_for_height >= 2, where, "fit.min_points_for_height", p.min_points_for_height, ">= 2");
  require(p.height_prior_sigma_um > 0 && p.y_prior_sigma_um > 0 && p.measurement_sigma_nm > 0, where,
          "fit.*_sigma", std::min({p.height_prior_sigma_um, p.y_prior_sigma_um, p.measurement_sigma_nm}), "> 0");
  require(p.fit_window_deg > 0, where, "fit.window_deg", p.fit_window_deg, "> 0");
  require(p.other_branch_weight >= 0 && p.other_branch_weight <= 1, where, "fit.other_branch_weight",
          p.other_branch_weight, "in [0, 1]");
  require(p.image_shift_limit_um > p.image_shift_margin_um && p.image_shift_margin_um >= 0, where,
          "limits.image_shift_um", p.image_shift_limit_um, "> limits.image_shift_margin_um >= 0");
  require(p.max_failed_alignments >= 1, where, "limits.max_failed_alignments", p.max_failed_alignments, ">= 1");
  require(p.max_tilt_error_deg > 0, where, "limits.max_tilt_error_deg", p.max_tilt_error_deg, "> 0");
  require(p.correlation_size_px >= 64 && p.correlation_size_px <= 2048, where, "tracking.correlation_size_px",
          p.correlation_size_px, "64 to 2048");
  // Footprint check (acquisition.md 5.3): a Record field must not overlap the tracking area's
  // at the highest tilt, where the illuminated strip grows by 1/cos perpendicular to the axis.
  const double fov_um = 1e-4 * p.record_pixel_A * std::max(p.record_nx_px, p.record_ny_px);
  double max_tilt = 0;
  for (const auto& t : p.tilts) max_tilt = std::max(max_tilt, std::abs(t.angle_deg));
  std::set<std::string> ids;
  for (const auto& r : p.rois) {
    if (!ids.insert(r.id).second) throw ConfigError(where, "rois", r.id, "unique ROI ids");
    const double distance = std::hypot(r.x_um + p.tracking_x_um, r.y_um + p.tracking_y_um);
    require(distance < p.image_shift_limit_um - p.image_shift_margin_um, where, "rois (ROI " + r.id + ") distance_um",
            distance, "within the image-shift limit minus its margin");
    const bool overlaps_along = std::abs(r.x_um) < fov_um;
    const bool overlaps_across = std::abs(r.y_um) * std::cos(rad(max_tilt)) < fov_um;
    if (overlaps_along && overlaps_across)
      throw ConfigError(where, "rois (ROI " + r.id + ")", "(" + std::to_string(r.x_um) + ", " + std::to_string(r.y_um) + ") um",
                        "a Record area that does not overlap the tracking area up to the highest tilt");
  }
}

nlohmann::json plan_to_json(const TrackPlan& p) {
  nlohmann::json j;
  j["name"] = p.name;
  j["optics"] = {{"voltage_kV", p.voltage_kV}, {"cs_mm", p.cs_mm}, {"amplitude_contrast", p.amplitude_contrast}};
  j["camera"] = {{"rotation_angle_deg", p.rotation_angle_deg},
                 {"record_pixel_A", p.record_pixel_A},
                 {"nx_px", p.record_nx_px},
                 {"ny_px", p.record_ny_px}};
  j["exposure"] = {{"dose_per_tilt_e_per_A2", p.dose_per_tilt_e_per_A2},
                   {"exposure_time_s", p.exposure_time_s},
                   {"frames_per_tilt", p.frames_per_tilt}};
  j["scheme"] = p.scheme;
  nlohmann::json tilts = nlohmann::json::array();
  for (const auto& t : p.tilts) tilts.push_back({t.angle_deg, t.branch});
  j["tilts"] = tilts;
  nlohmann::json rois = nlohmann::json::array();
  for (const auto& r : p.rois) rois.push_back({r.id, r.x_um, r.y_um, r.z_prior_um, r.target_defocus_um});
  j["rois"] = rois;
  const auto mag = [](const MagPlan& m) {
    return nlohmann::json{{"pixel_A", m.pixel_A}, {"nx_px", m.nx_px}, {"ny_px", m.ny_px},
                          {"threshold_nm", m.threshold_nm}, {"max_iterations", m.max_iterations}};
  };
  j["tracking"] = {{"area_um", {p.tracking_x_um, p.tracking_y_um}},
                   {"focus_offset_um", p.focus_offset_um},
                   {"focus_target_defocus_um", p.focus_target_defocus_um},
                   {"low", mag(p.low)},
                   {"high", mag(p.high)},
                   {"psr_min", p.psr_min},
                   {"max_shift_fraction", p.max_shift_fraction},
                   {"innovation_sigmas", p.innovation_sigmas},
                   {"innovation_floor_low_nm", p.innovation_floor_low_nm},
                   {"innovation_floor_high_nm", p.innovation_floor_high_nm},
                   {"correlation_size_px", p.correlation_size_px}};
  j["fit"] = {{"offplane", p.fit_offplane},
              {"min_points_for_height", p.min_points_for_height},
              {"height_prior_sigma_um", p.height_prior_sigma_um},
              {"y_prior_sigma_um", p.y_prior_sigma_um},
              {"measurement_sigma_nm", p.measurement_sigma_nm},
              {"window_deg", p.fit_window_deg},
              {"other_branch_weight", p.other_branch_weight},
              {"residual_gate_nm", p.roi_residual_gate_nm},
              {"process_sigma_nm", p.process_sigma_nm},
              {"drift_correction", p.drift_correction}};
  j["limits"] = {{"image_shift_um", p.image_shift_limit_um},
                 {"image_shift_margin_um", p.image_shift_margin_um},
                 {"min_mean_counts", p.min_mean_counts},
                 {"max_failed_alignments", p.max_failed_alignments},
                 {"max_tilt_error_deg", p.max_tilt_error_deg},
                 {"delta_z_to_defocus", p.delta_z_to_defocus}};
  return j;
}

TrackPlan plan_from_json(const nlohmann::json& j) {
  TrackPlan p;
  p.name = j.at("name");
  p.voltage_kV = j.at("optics").at("voltage_kV");
  p.cs_mm = j.at("optics").at("cs_mm");
  p.amplitude_contrast = j.at("optics").at("amplitude_contrast");
  const auto& cam = j.at("camera");
  p.rotation_angle_deg = cam.at("rotation_angle_deg");
  p.record_pixel_A = cam.at("record_pixel_A");
  p.record_nx_px = cam.at("nx_px");
  p.record_ny_px = cam.at("ny_px");
  const auto& ex = j.at("exposure");
  p.dose_per_tilt_e_per_A2 = ex.at("dose_per_tilt_e_per_A2");
  p.exposure_time_s = ex.at("exposure_time_s");
  p.frames_per_tilt = ex.at("frames_per_tilt");
  p.scheme = j.at("scheme");
  for (const auto& t : j.at("tilts")) p.tilts.push_back({t.at(0).get<double>(), t.at(1).get<int>()});
  for (const auto& r : j.at("rois"))
    p.rois.push_back({r.at(0).get<std::string>(), r.at(1).get<double>(), r.at(2).get<double>(), r.at(3).get<double>(),
                      r.at(4).get<double>()});
  const auto& tr = j.at("tracking");
  p.tracking_x_um = tr.at("area_um").at(0);
  p.tracking_y_um = tr.at("area_um").at(1);
  p.focus_offset_um = tr.at("focus_offset_um");
  p.focus_target_defocus_um = tr.at("focus_target_defocus_um");
  const auto mag = [](const nlohmann::json& m) {
    return MagPlan{m.at("pixel_A").get<double>(), m.at("nx_px").get<int>(), m.at("ny_px").get<int>(),
                   m.at("threshold_nm").get<double>(), m.at("max_iterations").get<int>()};
  };
  p.low = mag(tr.at("low"));
  p.high = mag(tr.at("high"));
  p.psr_min = tr.at("psr_min");
  p.max_shift_fraction = tr.at("max_shift_fraction");
  p.innovation_sigmas = tr.at("innovation_sigmas");
  p.innovation_floor_low_nm = tr.at("innovation_floor_low_nm");
  p.innovation_floor_high_nm = tr.at("innovation_floor_high_nm");
  p.correlation_size_px = tr.at("correlation_size_px");
  const auto& fit = j.at("fit");
  p.fit_offplane = fit.at("offplane");
  p.min_points_for_height = fit.at("min_points_for_height");
  p.height_prior_sigma_um = fit.at("height_prior_sigma_um");
  p.y_prior_sigma_um = fit.at("y_prior_sigma_um");
  p.measurement_sigma_nm = fit.at("measurement_sigma_nm");
  p.fit_window_deg = fit.at("window_deg");
  p.other_branch_weight = fit.at("other_branch_weight");
  p.roi_residual_gate_nm = fit.at("residual_gate_nm");
  p.process_sigma_nm = fit.at("process_sigma_nm");
  p.drift_correction = fit.at("drift_correction");
  const auto& lim = j.at("limits");
  p.image_shift_limit_um = lim.at("image_shift_um");
  p.image_shift_margin_um = lim.at("image_shift_margin_um");
  p.min_mean_counts = lim.at("min_mean_counts");
  p.max_failed_alignments = lim.at("max_failed_alignments");
  p.max_tilt_error_deg = lim.at("max_tilt_error_deg");
  p.delta_z_to_defocus = lim.at("delta_z_to_defocus");
  return p;
}

}  // namespace bisect
