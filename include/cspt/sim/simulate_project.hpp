// A whole simulated BISECT dataset: the specimen, every tilt series (MPI-parallel over series),
// the project file with what a microscope would know, and the truth.
#pragma once

#include <functional>
#include <string>

#include "cspt/parallel/context.hpp"
#include "cspt/sim/atomic_model.hpp"
#include "cspt/sim/simulation_config.hpp"

namespace cspt {

struct SimulationResult {
  int n_tilt_series = 0, n_tilts = 0, n_particles = 0, n_projections = 0;
  double particle_diameter_A = 0.0, mass_kDa = 0.0;
  std::string model_source;
};

/// The specimen the config asks for (built-in or read from a file).
AtomicModel simulation_model(const SimulationConfig& cfg);

/// Collective. Writes into `dir`: tilt_series/ts_NNN.mrc (+ .mdoc), truth/map.mrc and project.h5.
/// `dir` must exist on every rank (a shared file system). Progress lines go to `progress` (root).
SimulationResult simulate_project_collective(parallel::Context& ctx, const SimulationConfig& cfg,
                                             const std::string& dir, int threads,
                                             const std::function<void(const std::string&)>& progress);

}  // namespace cspt
