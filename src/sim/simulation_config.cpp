// YAML loading and validation of SimulationConfig.
#include "cspt/sim/simulation_config.hpp"

#include <cstdio>

#include <nlohmann/json.hpp>

#include <fstream>

#include <functional>
#include <map>

#include "cspt/config/config_file.hpp"
#include "cspt/config/schema.hpp"
#include "cspt/core/tilt_scheme.hpp"
#include "cspt/util/error.hpp"

namespace cspt {
namespace {

/// Each setting read from and written as text; the text was checked against the schema first.
struct Setting {
  std::function<void(SimulationConfig&, const std::string&)> set;
  std::function<std::string(const SimulationConfig&)> get;
};

void from_text(const std::string& t, int& v) { v = std::stoi(t); }
void from_text(const std::string& t, std::uint64_t& v) { v = std::stoull(t); }
void from_text(const std::string& t, double& v) { v = std::stod(t); }
void from_text(const std::string& t, bool& v) { v = config::bool_from_text(t).value(); }
void from_text(const std::string& t, std::string& v) { v = t; }

std::string to_text(int v) { return std::to_string(v); }
std::string to_text(std::uint64_t v) { return std::to_string(v); }
std::string to_text(double v) { return config::number_text(v); }
std::string to_text(bool v) { return v ? "true" : "false"; }
std::string to_text(const std::string& v) { return v; }

template <class T>
Setting field(T SimulationConfig::*member) {
  return {[member](SimulationConfig& c, const std::string& t) { from_text(t, c.*member); },
          [member](const SimulationConfig& c) { return to_text(c.*member); }};
}

/// Keys as the fields are named (underscores); the schema's simulate section spells them with dashes.
const std::map<std::string, Setting>& settings() {
  static const std::map<std::string, Setting> s = {
      {"seed", field(&SimulationConfig::seed)},
      {"model", field(&SimulationConfig::model)},
      {"model_dir", field(&SimulationConfig::model_dir)},
      {"particle_box_px", field(&SimulationConfig::particle_box_px)},
      {"extra_b_factor_A2", field(&SimulationConfig::extra_b_factor_A2)},
      {"ice_thickness_A", field(&SimulationConfig::ice_thickness_A)},
      {"particles_per_series", field(&SimulationConfig::particles_per_series)},
      {"gold_per_series", field(&SimulationConfig::gold_per_series)},
      {"gold_diameter_A", field(&SimulationConfig::gold_diameter_A)},
      {"ice_background_rms_rad", field(&SimulationConfig::ice_background_rms_rad)},
      {"n_tilt_series", field(&SimulationConfig::n_tilt_series)},
      {"pattern_holes", field(&SimulationConfig::pattern_holes)},
      {"hole_spacing_um", field(&SimulationConfig::hole_spacing_um)},
      {"tilt_scheme", field(&SimulationConfig::tilt_scheme)},
      {"dose_per_tilt_e_per_A2", field(&SimulationConfig::dose_per_tilt_e_per_A2)},
      {"radiation_damage", field(&SimulationConfig::radiation_damage)},
      {"unrecorded_dose_e_per_A2", field(&SimulationConfig::unrecorded_dose_e_per_A2)},
      {"inelastic_mean_free_path_A", field(&SimulationConfig::inelastic_mean_free_path_A)},
      {"pixel_size_A", field(&SimulationConfig::pixel_size_A)},
      {"image_nx_px", field(&SimulationConfig::image_nx_px)},
      {"image_ny_px", field(&SimulationConfig::image_ny_px)},
      {"camera", field(&SimulationConfig::camera)},
      {"voltage_kV", field(&SimulationConfig::voltage_kV)},
      {"cs_mm", field(&SimulationConfig::cs_mm)},
      {"amplitude_contrast", field(&SimulationConfig::amplitude_contrast)},
      {"target_defocus_A", field(&SimulationConfig::target_defocus_A)},
      {"defocus_spread_A", field(&SimulationConfig::defocus_spread_A)},
      {"astigmatism_A", field(&SimulationConfig::astigmatism_A)},
      {"tilt_axis_deg", field(&SimulationConfig::tilt_axis_deg)},
      {"tilt_offset_sd_deg", field(&SimulationConfig::tilt_offset_sd_deg)},
      {"tilt_jitter_sd_deg", field(&SimulationConfig::tilt_jitter_sd_deg)},
      {"axis_error_sd_deg", field(&SimulationConfig::axis_error_sd_deg)},
      {"inplane_jitter_sd_deg", field(&SimulationConfig::inplane_jitter_sd_deg)},
      {"shift_sd_A", field(&SimulationConfig::shift_sd_A)},
      {"deformation_A", field(&SimulationConfig::deformation_A)},
      {"defocus_error_sd_A", field(&SimulationConfig::defocus_error_sd_A)},
      {"defocus_handedness", field(&SimulationConfig::defocus_handedness)},
      {"write_particle_picks", field(&SimulationConfig::write_particle_picks)},
      {"pick_orientation_error_deg", field(&SimulationConfig::pick_orientation_error_deg)},
      {"acquisition", field(&SimulationConfig::acquisition)},
  };
  return s;
}

const Setting* find_setting(const std::string& key) {
  const auto it = settings().find(config::underscore_form(key));
  return it == settings().end() ? nullptr : &it->second;
}

void require(bool ok, const std::string& where, const std::string& key, double value, const std::string& expect) {
  if (!ok) throw ConfigError(where, key, std::to_string(value), expect);
}

}  // namespace

bool is_simulation_setting(const std::string& key) { return find_setting(key) != nullptr; }

std::vector<std::string> simulation_setting_keys() {
  std::vector<std::string> keys;
  for (const auto& [key, setting] : settings()) keys.push_back(key);
  return keys;
}

std::string simulation_setting_text(const SimulationConfig& c, const std::string& key) {
  const Setting* s = find_setting(key);
  if (!s) throw InternalError("simulation_setting_text: no setting " + key);
  return s->get(c);
}

void apply_simulation_setting(SimulationConfig& c, const std::string& key, const std::string& value,
                              const std::string& where) {
  const config::KeySpec* spec = config::find_key("simulate", key);
  const Setting* s = find_setting(key);
  if (!spec) throw config::unknown_key_error("simulate", key, where);
  if (!s) throw ConfigError(where, "simulate." + key, value, "a dataset setting (out and threads are the command's)");
  config::check_value(*spec, value, where, "simulate." + key);
  s->set(c, value);
}

void validate(const SimulationConfig& c, const std::string& w) {
  require(c.particle_box_px >= 16 && c.particle_box_px % 2 == 0, w, "particle_box_px", c.particle_box_px,
          "an even number >= 16");
  require(c.ice_thickness_A > 0, w, "ice_thickness_A", c.ice_thickness_A, "> 0 A");
  require(c.particles_per_series >= 0, w, "particles_per_series", c.particles_per_series, ">= 0");
  require(c.gold_per_series >= 0, w, "gold_per_series", c.gold_per_series, ">= 0");
  require(c.n_tilt_series >= 1, w, "n_tilt_series", c.n_tilt_series, ">= 1");
  require(c.pattern_holes >= 1, w, "pattern_holes", c.pattern_holes, ">= 1");
  require(c.dose_per_tilt_e_per_A2 > 0, w, "dose_per_tilt_e_per_A2", c.dose_per_tilt_e_per_A2, "> 0 e/A^2");
  require(c.unrecorded_dose_e_per_A2 >= 0, w, "unrecorded_dose_e_per_A2", c.unrecorded_dose_e_per_A2, ">= 0 e/A^2");
  require(c.inelastic_mean_free_path_A >= 0, w, "inelastic_mean_free_path_A", c.inelastic_mean_free_path_A,
          ">= 0 A (0: no loss)");
  require(c.pixel_size_A > 0, w, "pixel_size_A", c.pixel_size_A, "> 0 A");
  require(c.image_nx_px >= c.particle_box_px * 2 && c.image_ny_px >= c.particle_box_px * 2, w, "image_nx_px",
          std::min(c.image_nx_px, c.image_ny_px), "at least twice particle_box_px");
  require(c.voltage_kV >= 60 && c.voltage_kV <= 400, w, "voltage_kV", c.voltage_kV, "60 to 400 kV");
  require(c.amplitude_contrast >= 0 && c.amplitude_contrast < 1, w, "amplitude_contrast", c.amplitude_contrast, "in [0, 1)");
  require(c.target_defocus_A > 0, w, "target_defocus_A", c.target_defocus_A, "> 0 A (underfocus)");
  require(c.astigmatism_A >= 0, w, "astigmatism_A", c.astigmatism_A, ">= 0 A");
  require(std::abs(c.defocus_handedness) == 1.0, w, "defocus_handedness", c.defocus_handedness, "+1 or -1");
  try {
    tilt_scheme_preset(c.tilt_scheme);
  } catch (const Error&) {
    throw ConfigError(w, "tilt_scheme", c.tilt_scheme, "one of bisect60, bisect36, hagen");
  }
  for (double sd : {c.tilt_offset_sd_deg, c.tilt_jitter_sd_deg, c.axis_error_sd_deg, c.inplane_jitter_sd_deg,
                    c.shift_sd_A, c.deformation_A, c.defocus_error_sd_A, c.defocus_spread_A, c.ice_background_rms_rad})
    require(sd >= 0, w, "error standard deviations", sd, ">= 0");
}

void load_tracked_focus_errors(SimulationConfig& c) {
  c.tracked_defocus_error_A.clear();
  if (c.acquisition.empty()) return;
  std::ifstream in(c.acquisition);
  if (!in) throw IoError(c.acquisition, "simulate.acquisition", "unreadable", "a bisect-track truth.json");
  std::map<std::string, std::vector<double>> by_roi;  // ROI id -> focus errors in acquisition order (A)
  try {
    const auto j = nlohmann::json::parse(in);
    for (const auto& r : j.at("records"))
      // truth.json: defocus - target in SerialEM's sign (negative = underfocus), um.
      by_roi[r.at("roi").get<std::string>()].push_back(-1e4 * r.at("defocus_error_um").get<double>());
  } catch (const nlohmann::json::exception& e) {
    throw IoError(c.acquisition, "simulate.acquisition", "not a bisect-track truth.json", e.what());
  }
  const int holes = c.pattern_holes * c.pattern_holes;
  for (int i = 0; i < c.n_tilt_series; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "%03d", (i % holes + 1) % 1000);
    const auto it = by_roi.find(id);
    c.tracked_defocus_error_A.push_back(it == by_roi.end() ? std::vector<double>{} : it->second);
  }
}

SimulationConfig load_simulation_config(const std::string& path) {
  // Every known section of the file is checked; the simulate section (or top-level keys) applies.
  const config::ConfigFile file = config::read_config_file(path, {"simulate", config::FileScope::own_section});
  SimulationConfig c;
  c.source = path;
  for (const config::ConfigEntry* e : file.values_of("simulate")) {
    if (!find_setting(e->spec->key)) continue;  // out, threads: the command's, not the dataset's
    find_setting(e->spec->key)->set(c, e->value);
  }
  validate(c, path);
  return c;
}

}  // namespace cspt
