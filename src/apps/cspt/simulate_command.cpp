// cspt simulate: a synthetic BISECT dataset with full ground truth.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "apps/cspt/cli.hpp"
#include "apps/cspt/commands.hpp"
#include "apps/cspt/output_dir.hpp"
#include "apps/cspt/schema_options.hpp"
#include "cspt/config/schema.hpp"
#include "cspt/sim/simulate_project.hpp"
#include "cspt/util/error.hpp"

namespace cspt::app {

int run_simulate(parallel::Context& ctx, std::vector<std::string> args) {
  const auto start = std::chrono::steady_clock::now();
  std::string config_path, out_dir;
  int threads = 0;
  SimulationConfig cfg;
  CLI::App cli{"Simulate a BISECT dataset: DIR/project.h5, DIR/tilt_series/ts_NNN.mrc (+ .mdoc), "
               "DIR/truth/map.mrc, DIR/summary.json. Keys may be written with dashes or underscores.",
               "cspt simulate"};
  bind_key(cli, "simulate", "out", out_dir, "-o");
  bind_key(cli, "simulate", "threads", threads);
  // Every other key of the section is a SimulationConfig setting, set through its table.
  for (const config::KeySpec* spec : config::section_keys("simulate")) {
    if (!is_simulation_setting(spec->key)) continue;
    const std::string key = spec->key;
    bind_setter(cli, "simulate", key, [&cfg, key](const std::string& v) { apply_simulation_setting(cfg, key, v, "--" + key); },
                simulation_setting_text(cfg, key));
  }
  if (!parse_with_schema(cli, "simulate", args, ctx.is_root(), &config_path)) return 0;
  cfg.source = config_path.empty() ? "command line" : config_path;
  validate(cfg, cfg.source);
  load_tracked_focus_errors(cfg);
  if (threads <= 0) threads = default_threads();

  std::unique_ptr<OutputDir> out;
  std::string staging;
  if (ctx.is_root()) {
    out = std::make_unique<OutputDir>(out_dir);
    staging = out->staging();
    for (const char* name : {"tilt_series", "truth", "project.h5", "summary.json"}) out->staged(name);
  }
  ctx.broadcast_collective(staging);
  const auto progress = [](const std::string& line) { std::fprintf(stderr, "cspt simulate: %s\n", line.c_str()); };
  if (ctx.is_root())
    std::fprintf(stderr, "cspt simulate: %d tilt series (%s), %d particles each, %d x %d px at %.3g A/px, %d rank(s) x %d thread(s)\n",
                 cfg.n_tilt_series, cfg.tilt_scheme.c_str(), cfg.particles_per_series, cfg.image_nx_px, cfg.image_ny_px,
                 cfg.pixel_size_A, ctx.size(), threads);
  const auto r = simulate_project_collective(ctx, cfg, staging, threads, progress);
  if (!ctx.is_root()) return 0;

  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  nlohmann::ordered_json j;
  j["command"] = "simulate";
  j["config"] = config_path;
  j["model"] = r.model_source;
  j["model_mass_kDa"] = r.mass_kDa;
  j["particle_diameter_A"] = r.particle_diameter_A;
  j["n_tilt_series"] = r.n_tilt_series;
  j["n_tilts"] = r.n_tilts;
  j["n_particles"] = r.n_particles;
  j["n_projections"] = r.n_projections;
  j["tilt_scheme"] = cfg.tilt_scheme;
  j["dose_per_tilt_e_per_A2"] = cfg.dose_per_tilt_e_per_A2;
  j["pixel_size_A"] = cfg.pixel_size_A;
  j["box"] = cfg.particle_box_px;
  j["seed"] = cfg.seed;
  j["ranks"] = ctx.size();
  j["threads"] = threads;
  j["wall_s"] = wall_s;
  j["outputs"] = {"project.h5", "tilt_series/", "truth/map.mrc", "summary.json"};
  {
    std::ofstream js(std::filesystem::path(staging) / "summary.json");
    js << j.dump(2) << "\n";
    if (!js) throw IoError(out_dir + "/summary.json", "summary", "", "a writable file");
  }
  out->commit();
  std::printf("cspt simulate: %d tilt series, %d tilts, %d particles (%.0f kDa, %.0f A across), %d projections in %s (%.1f s)\n",
              r.n_tilt_series, r.n_tilts, r.n_particles, r.mass_kDa, r.particle_diameter_A, r.n_projections,
              out_dir.c_str(), wall_s);
  return 0;
}

}  // namespace cspt::app
