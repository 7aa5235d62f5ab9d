// Image formation for one simulated tilt series: particles with per-particle defocus, an ice and
// gold background with the defocus gradient of the tilted specimen, radiation damage, shot noise.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "cspt/core/image.hpp"
#include "cspt/project/project.hpp"
#include "cspt/recon/projector.hpp"
#include "cspt/sim/simulation_config.hpp"

namespace cspt {

/// What the simulation of one tilt series produces. Particle indices in `true_projections` are
/// local to the series (0..particles-1).
struct SimulatedTiltSeries {
  TiltSeriesRecord record;              ///< what the microscope knows: nominal angles, dose, target defocus
  std::vector<TiltRecord> true_tilts;   ///< the true geometry and CTF of each tilt (acquisition order)
  std::vector<ParticleRecord> true_particles;
  std::vector<ProjectionRecord> true_projections;
  /// Empty without deformation (`deformation_A` = 0), else one per `true_projections` row.
  std::vector<ProjectionShiftRecord> true_projection_shifts;
};

/// Receives each tilt image (electron counts per pixel) in acquisition order.
using ImageSink = std::function<void(const Image&)>;

/// Simulate tilt series `index` of the dataset. `particle` projects the true map; `radius_A` is the
/// particle's radius (for packing without overlap). Deterministic for (config.seed, index); uses
/// `threads` OpenMP threads.
SimulatedTiltSeries simulate_tilt_series(const SimulationConfig& config, const Projector& particle, double radius_A,
                                         int index, int threads, const ImageSink& sink);

}  // namespace cspt
