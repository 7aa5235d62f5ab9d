// A small simulated BISECT dataset for tests of the stages after simulation (extraction, refinement).
#pragma once

#include <filesystem>
#include <string>
#include <unistd.h>

#include "cspt/io/project_file.hpp"
#include "cspt/parallel/context.hpp"
#include "cspt/sim/simulate_project.hpp"

namespace cspt::test {

/// 3 tilt series x 10 particles of the built-in pseudo-atomic phantom, 512^2 images at 2 A, box 64,
/// bisect60 (41 tilts). `dose` per tilt in e/A^2 (radiation damage on).
inline SimulationConfig small_simulation_config(double dose_per_tilt = 2000, bool damage = false) {
  SimulationConfig c;
  c.model = "builtin:phantom";
  c.particle_box_px = 64;
  c.pixel_size_A = 2.0;
  c.image_nx_px = c.image_ny_px = 512;
  c.n_tilt_series = 3;
  c.particles_per_series = 10;
  c.target_defocus_A = 12000;  // the CTF's delocalisation stays inside a 64 px box
  c.defocus_spread_A = 2000;
  c.ice_thickness_A = 500;
  c.dose_per_tilt_e_per_A2 = dose_per_tilt;
  c.radiation_damage = damage;
  c.ice_background_rms_rad = 0.01;
  c.seed = 7;
  return c;
}

/// A fresh empty folder under the system's temporary directory.
inline std::filesystem::path fresh_temp_dir(const std::string& name) {
  const auto d = std::filesystem::temp_directory_path() / ("cspt_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

/// Simulate `cfg` into `dir` (single process) and return the project.
inline Project simulate_small(const SimulationConfig& cfg, const std::filesystem::path& dir) {
  auto ctx = parallel::make_local_context();
  simulate_project_collective(*ctx, cfg, dir.string(), 2, nullptr);
  return io::read_project((dir / "project.h5").string());
}

}  // namespace cspt::test
