// YAML loading and validation of SimulationConfig.
#include "cspt/sim/simulation_config.hpp"

#include <yaml-cpp/yaml.h>

#include <functional>
#include <map>

#include "cspt/core/tilt_scheme.hpp"
#include "cspt/util/error.hpp"
#include "util/yaml_file.hpp"

namespace cspt {
namespace {

using Setter = std::function<void(SimulationConfig&, const YAML::Node&)>;

template <class T>
Setter set(T SimulationConfig::*field) {
  return [field](SimulationConfig& c, const YAML::Node& n) { c.*field = n.as<T>(); };
}

const std::map<std::string, Setter>& setters() {
  static const std::map<std::string, Setter> s = {
      {"seed", set(&SimulationConfig::seed)},
      {"model", set(&SimulationConfig::model)},
      {"model_dir", set(&SimulationConfig::model_dir)},
      {"particle_box_px", set(&SimulationConfig::particle_box_px)},
      {"extra_b_factor_A2", set(&SimulationConfig::extra_b_factor_A2)},
      {"ice_thickness_A", set(&SimulationConfig::ice_thickness_A)},
      {"particles_per_series", set(&SimulationConfig::particles_per_series)},
      {"gold_per_series", set(&SimulationConfig::gold_per_series)},
      {"gold_diameter_A", set(&SimulationConfig::gold_diameter_A)},
      {"ice_background_rms_rad", set(&SimulationConfig::ice_background_rms_rad)},
      {"n_tilt_series", set(&SimulationConfig::n_tilt_series)},
      {"pattern_holes", set(&SimulationConfig::pattern_holes)},
      {"hole_spacing_um", set(&SimulationConfig::hole_spacing_um)},
      {"tilt_scheme", set(&SimulationConfig::tilt_scheme)},
      {"dose_per_tilt_e_per_A2", set(&SimulationConfig::dose_per_tilt_e_per_A2)},
      {"radiation_damage", set(&SimulationConfig::radiation_damage)},
      {"inelastic_mean_free_path_A", set(&SimulationConfig::inelastic_mean_free_path_A)},
      {"pixel_size_A", set(&SimulationConfig::pixel_size_A)},
      {"image_nx_px", set(&SimulationConfig::image_nx_px)},
      {"image_ny_px", set(&SimulationConfig::image_ny_px)},
      {"camera", set(&SimulationConfig::camera)},
      {"voltage_kV", set(&SimulationConfig::voltage_kV)},
      {"cs_mm", set(&SimulationConfig::cs_mm)},
      {"amplitude_contrast", set(&SimulationConfig::amplitude_contrast)},
      {"target_defocus_A", set(&SimulationConfig::target_defocus_A)},
      {"defocus_spread_A", set(&SimulationConfig::defocus_spread_A)},
      {"astigmatism_A", set(&SimulationConfig::astigmatism_A)},
      {"tilt_axis_deg", set(&SimulationConfig::tilt_axis_deg)},
      {"tilt_offset_sd_deg", set(&SimulationConfig::tilt_offset_sd_deg)},
      {"tilt_jitter_sd_deg", set(&SimulationConfig::tilt_jitter_sd_deg)},
      {"axis_error_sd_deg", set(&SimulationConfig::axis_error_sd_deg)},
      {"inplane_jitter_sd_deg", set(&SimulationConfig::inplane_jitter_sd_deg)},
      {"shift_sd_A", set(&SimulationConfig::shift_sd_A)},
      {"defocus_error_sd_A", set(&SimulationConfig::defocus_error_sd_A)},
      {"defocus_handedness", set(&SimulationConfig::defocus_handedness)},
      {"write_particle_picks", set(&SimulationConfig::write_particle_picks)},
  };
  return s;
}

void require(bool ok, const std::string& where, const std::string& key, double value, const std::string& expect) {
  if (!ok) throw ConfigError(where, key, std::to_string(value), expect);
}

}  // namespace

bool is_simulation_setting(const std::string& key) { return setters().count(key) > 0; }

void apply_simulation_setting(SimulationConfig& c, const std::string& key, const std::string& value,
                              const std::string& where) {
  const auto it = setters().find(key);
  if (it == setters().end()) throw ConfigError(where, key, value, "a known key of 'simulate' (see configs/simulate.yaml)");
  try {
    it->second(c, YAML::Load(value));
  } catch (const YAML::Exception&) {
    throw ConfigError(where, key, value, "a value of the right type (see configs/simulate.yaml)");
  }
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
                    c.shift_sd_A, c.defocus_error_sd_A, c.defocus_spread_A, c.ice_background_rms_rad})
    require(sd >= 0, w, "error standard deviations", sd, ">= 0");
}

SimulationConfig load_simulation_config(const std::string& path) {
  const YAML::Node root = util::load_yaml_file(path);
  SimulationConfig c;
  c.source = path;
  if (!root || root.IsNull()) return c;
  if (!root.IsMap()) throw ConfigError(path, "config", "", "a YAML mapping of keys to values");
  const YAML::Node section = root["simulate"] && root["simulate"].IsMap() ? root["simulate"] : root;
  for (const auto& kv : section) {
    const std::string key = kv.first.as<std::string>();
    const std::string where = path + ":" + std::to_string(kv.first.Mark().line + 1);
    const auto it = setters().find(key);
    if (it == setters().end()) {
      if (&section != &root || key != "simulate") throw ConfigError(where, key, "", "a known key of 'simulate' (see configs/simulate.yaml)");
      continue;
    }
    try {
      it->second(c, kv.second);
    } catch (const YAML::Exception&) {
      throw ConfigError(where, key, kv.second.IsScalar() ? kv.second.as<std::string>() : "(not a value)",
                        "a value of the right type (see configs/simulate.yaml)");
    }
  }
  validate(c, path);
  return c;
}

}  // namespace cspt
