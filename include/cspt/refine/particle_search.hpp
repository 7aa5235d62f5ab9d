// Per-particle refinement under the CSPT constraint: one orientation and one 3D position per
// particle, scored by the mean over its projections (algorithms.md 6.3), and the unconstrained
// per-projection variant the ablation compares against.
#pragma once

#include <cstddef>

#include <Eigen/Core>

#include "cspt/refine/rank_scoring.hpp"
#include "cspt/refine/refine_model.hpp"

namespace cspt {

struct ParticleSearchOptions {
  double angle_range_deg = 10.0;  ///< box on each component of the rotation vector around the start
  double shift_range_A = 10.0;    ///< box on each component of the 3D (2D when unconstrained) shift
  bool refine_shift = true;
  double grid_range_deg = 0.0;    ///< > 0: first a grid of rotation vectors within +-this
  double grid_step_deg = 3.0;
  double angle_step_deg = 1.5, shift_step_A = 1.5;  ///< first steps of the continuous search
  double min_angle_step_deg = 0.02, min_shift_step_A = 0.02;
  int max_evaluations = 200;
  /// Score only projections of tilts exposed at or before this acquisition order (-1 = all).
  int max_acquisition_order = -1;
};

struct ParticleFit {
  Eigen::Matrix3d rotation;
  Eigen::Vector3d position_A;
  double score = 0.0;  ///< mean over the projections used
  int evaluations = 0;
};

/// Mean score of the particle's projections used by the search at a trial rotation and position.
double particle_score(const RefineModel& model, std::size_t particle, const Eigen::Matrix3d& rotation,
                      const Eigen::Vector3d& position_A, const RankScoring& scoring, ScoringScratch& scratch,
                      int max_acquisition_order = -1);

/// Local search around the particle's current parameters: optional grid on the rotation, then a
/// bounded Powell search on (rotation vector, 3D shift).
ParticleFit refine_particle_local(const RefineModel& model, std::size_t particle, const RankScoring& scoring,
                                  const ParticleSearchOptions& opts, ScoringScratch& scratch);

struct GlobalSearchOptions {
  double angle_step_deg = 15.0;  ///< spacing of projection directions and in-plane angles
  int keep = 5;                  ///< best grid orientations refined locally
};

/// Global orientation search for a particle without a prior (position kept): every orientation of
/// an SO(3) grid scored, the best `keep` refined locally, the best result returned.
ParticleFit search_particle_global(const RefineModel& model, std::size_t particle, const RankScoring& scoring,
                                   const GlobalSearchOptions& global, const ParticleSearchOptions& local,
                                   ScoringScratch& scratch);

struct ProjectionFit {
  Eigen::Matrix3d extra_rotation;
  Eigen::Vector2d extra_shift_A;
  double score = 0.0;
  int evaluations = 0;
};

/// Without the constraint: projection j's own orientation correction and 2D shift, found by the same
/// grid and bounded search against its own score only.
ProjectionFit refine_projection_unconstrained(const RefineModel& model, std::size_t j, const RankScoring& scoring,
                                              const ParticleSearchOptions& opts, ScoringScratch& scratch);

}  // namespace cspt
