// `cspt run` stages track and simulate: the acquisition (tracked by bisect-track against a simulated
// microscope) and the dataset (simulated, or the user's project).
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

#include "apps/cspt/commands.hpp"
#include "apps/cspt/run_parts.hpp"
#include "bisect/plan.hpp"
#include "bisect/scope_sim.hpp"
#include "cspt/core/tilt_scheme.hpp"
#include "cspt/io/project_file.hpp"
#include "cspt/parallel/guarded.hpp"
#include "cspt/project/project_subset.hpp"
#include "cspt/sim/simulation_config.hpp"
#include "cspt/util/error.hpp"

namespace cspt::app {
namespace fs = std::filesystem;

namespace {

/// The run's configuration in effect goes into the project file; every later copy carries it.
void keep_run_config(parallel::Context& ctx, const RunSettings& s, const std::string& project_path) {
  parallel::run_guarded_collective(ctx, [&] {
    if (!ctx.is_root()) return;
    Project p = io::read_project(project_path);
    p.run_config_yaml = s.effective.to_yaml();
    io::write_project(project_path, p);
  });
}

}  // namespace

int run_track_stage(parallel::Context& ctx, const RunSettings& s) {
  parallel::run_guarded_collective(ctx, [&] {
    if (!ctx.is_root()) return;  // the tracker is one process beside the microscope
    const SimulationConfig sim = load_simulation_config(s.config_path);
    std::string scenario = config_value(s, "track", "scenario");
    if (scenario.empty()) scenario = "nominal-krios";
    bisect::Scenario sc = bisect::builtin_scenario(scenario);
    // The plan follows the acquisition being simulated: its hole pattern, tilt scheme, exposure
    // and target defocus (SerialEM's sign: negative = underfocus).
    const auto lattice = bisect::lattice_positions_um(sim.pattern_holes, sim.pattern_holes, sim.hole_spacing_um, 0.0);
    sc.plan.rois.clear();
    for (std::size_t i = 0; i < lattice.size(); ++i) {
      bisect::RoiPlan r;
      r.id = bisect::roi_id(int(i));
      r.x_um = lattice[i][0] - sc.plan.tracking_x_um;
      r.y_um = lattice[i][1] - sc.plan.tracking_y_um;
      r.target_defocus_um = -sim.target_defocus_A * 1e-4;
      sc.plan.rois.push_back(r);
    }
    sc.plan.scheme = sim.tilt_scheme;
    sc.plan.tilts = bisect::tilts_in_order(cspt::tilt_scheme(sim.tilt_scheme));
    sc.plan.dose_per_tilt_e_per_A2 = sim.dose_per_tilt_e_per_A2;
    sc.plan.focus_target_defocus_um = -sim.target_defocus_A * 1e-4;
    const std::string images = config_value(s, "track", "images");
    sc.scope.render_images = images == "true" || images == "yes" || images == "on";
    const std::string seed = config_value(s, "track", "seed");
    sc.scope.seed = seed.empty() ? sim.seed : std::stoull(seed);
    bisect::validate_plan(sc.plan, s.config_path + ": track");
    const fs::path dir = fs::path(s.out) / "track";
    fs::create_directories(dir);
    const nlohmann::json summary = bisect::simulate_acquisition(sc, dir.string(), false);
    std::fprintf(stderr, "cspt run: track: %zu ROIs, targeting error median %.1f nm, defocus error median %.3f um, "
                 "%d ROI(s) lost, %.2f min per tilt series\n",
                 sc.plan.rois.size(), summary.at("targeting_error_nm_median").get<double>(),
                 summary.at("defocus_error_um_median").get<double>(), summary.at("rois_lost").get<int>(),
                 summary.at("minutes_per_tilt_series").get<double>());
  });
  return 0;
}

int run_simulate_stage(parallel::Context& ctx, const RunSettings& s, int threads, bool after_track) {
  const fs::path dir = fs::path(s.out) / "simulate";
  if (!s.project.empty()) {
    // Real data: the project is copied in (its stacks stay where they are).
    parallel::run_guarded_collective(ctx, [&] {
      if (!ctx.is_root()) return;
      if (!fs::exists(s.project)) throw ConfigError(s.config_path, "run.project", s.project, "an existing project file");
      fs::create_directories(dir);
      copy_project(s.project, (dir / "project.h5").string());
    });
    keep_run_config(ctx, s, (dir / "project.h5").string());
    return 0;
  }
  std::vector<std::string> args{"-c", s.config_path, "-o", dir.string(), "--threads", std::to_string(threads)};
  if (after_track) {
    args.push_back("--acquisition");
    args.push_back((fs::path(s.out) / "track" / "truth.json").string());
  }
  const int rc = run_simulate(ctx, args);
  if (rc != 0) return rc;
  keep_run_config(ctx, s, (dir / "project.h5").string());
  return 0;
}

}  // namespace cspt::app
