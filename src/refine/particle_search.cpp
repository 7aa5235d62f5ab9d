// Constrained per-particle search and its unconstrained per-projection counterpart.
#include "cspt/refine/particle_search.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numbers>

#include "cspt/core/euler.hpp"
#include "cspt/refine/optimize.hpp"

namespace cspt {
namespace {

bool used(const RefineModel& model, const RefineProjection& j, int max_order) {
  return max_order < 0 || model.tilts[std::size_t(j.series)][std::size_t(j.tilt)].acquisition_order <= max_order;
}

// Rotation-vector grid points within +-range (step apart, centred on 0).
std::vector<Eigen::Vector3d> rotation_grid(double range_deg, double step_deg) {
  const int n = std::max(0, int(std::floor(range_deg / step_deg + 1e-9)));
  std::vector<Eigen::Vector3d> out;
  for (int i = -n; i <= n; ++i)
    for (int j = -n; j <= n; ++j)
      for (int k = -n; k <= n; ++k) out.emplace_back(i * step_deg, j * step_deg, k * step_deg);
  return out;
}

// The search both modes share: the objective at omega = 0, optionally on a rotation-vector grid,
// then a bounded Powell search on (omega, n_shift shift components) from the best grid point.
struct RotationShiftSearch {
  Eigen::Vector3d omega = Eigen::Vector3d::Zero();
  std::vector<double> shift;
  double score = 0.0;
};

RotationShiftSearch search_rotation_and_shift(
    const std::function<double(const Eigen::Vector3d&, const std::vector<double>&)>& objective, int n_shift,
    const ParticleSearchOptions& opts) {
  RotationShiftSearch best;
  best.shift.assign(std::size_t(n_shift), 0.0);
  best.score = objective(best.omega, best.shift);
  if (opts.grid_range_deg > 0) {
    for (const auto& w : rotation_grid(std::min(opts.grid_range_deg, opts.angle_range_deg), opts.grid_step_deg)) {
      if (w.isZero()) continue;
      const double v = objective(w, best.shift);
      if (v > best.score) {
        best.score = v;
        best.omega = w;
      }
    }
  }
  const int n_par = 3 + n_shift;
  std::vector<double> start(std::size_t(n_par), 0.0);
  for (int i = 0; i < 3; ++i) start[std::size_t(i)] = best.omega[i];
  BoxBounds bounds;
  MaximizeOptions mo;
  for (int i = 0; i < n_par; ++i) {
    const bool angle = i < 3;
    const double range = angle ? opts.angle_range_deg : opts.shift_range_A;
    bounds.lower.push_back(-range);
    bounds.upper.push_back(range);
    mo.initial_step.push_back(angle ? opts.angle_step_deg : opts.shift_step_A);
    mo.min_step.push_back(angle ? opts.min_angle_step_deg : opts.min_shift_step_A);
  }
  mo.max_evaluations = std::max(1, opts.max_evaluations);
  const auto f = [&](const std::vector<double>& x) {
    return objective(Eigen::Vector3d(x[0], x[1], x[2]), std::vector<double>(x.begin() + 3, x.end()));
  };
  const MaximizeResult r = maximize_in_box(f, start, bounds, mo);
  if (r.value >= best.score) {
    best.omega = Eigen::Vector3d(r.x[0], r.x[1], r.x[2]);
    best.shift.assign(r.x.begin() + 3, r.x.end());
    best.score = r.value;
  }
  return best;
}

}  // namespace

double particle_score(const RefineModel& model, std::size_t particle, const Eigen::Matrix3d& rotation,
                      const Eigen::Vector3d& position_A, const RankScoring& scoring, ScoringScratch& scratch,
                      int max_acquisition_order) {
  double sum = 0.0;
  int n = 0;
  for (std::size_t j : model.projections_of_particle[particle]) {
    const auto& pj = model.projections[j];
    if (!used(model, pj, max_acquisition_order)) continue;
    const auto& tilt = model.tilts[std::size_t(pj.series)][std::size_t(pj.tilt)];
    sum += scoring.score(j, projection_pose(model, pj, rotation, position_A, tilt), scratch);
    ++n;
  }
  if (n == 0) {
    // No projection within the order limit: fall back to all of them.
    return max_acquisition_order < 0 ? 0.0 : particle_score(model, particle, rotation, position_A, scoring, scratch, -1);
  }
  return sum / n;
}

namespace {

ParticleFit refine_from(const RefineModel& model, std::size_t particle, const Eigen::Matrix3d& r0,
                        const Eigen::Vector3d& x0, const RankScoring& scoring, const ParticleSearchOptions& opts,
                        ScoringScratch& scratch) {
  int evaluations = 0;
  const auto objective = [&](const Eigen::Vector3d& omega, const std::vector<double>& d) {
    ++evaluations;
    const Eigen::Vector3d shift = d.empty() ? Eigen::Vector3d::Zero() : Eigen::Vector3d(d[0], d[1], d[2]);
    return particle_score(model, particle, rotation_from_vector_deg(omega) * r0, x0 + shift, scoring, scratch,
                          opts.max_acquisition_order);
  };
  const RotationShiftSearch r = search_rotation_and_shift(objective, opts.refine_shift ? 3 : 0, opts);
  ParticleFit fit;
  fit.rotation = rotation_from_vector_deg(r.omega) * r0;
  fit.position_A = r.shift.empty() ? x0 : Eigen::Vector3d(x0 + Eigen::Vector3d(r.shift[0], r.shift[1], r.shift[2]));
  fit.score = r.score;
  fit.evaluations = evaluations;
  return fit;
}

}  // namespace

ParticleFit refine_particle_local(const RefineModel& model, std::size_t particle, const RankScoring& scoring,
                                  const ParticleSearchOptions& opts, ScoringScratch& scratch) {
  const auto& p = model.particles[particle];
  return refine_from(model, particle, p.rotation, p.position_A, scoring, opts, scratch);
}

ParticleFit search_particle_global(const RefineModel& model, std::size_t particle, const RankScoring& scoring,
                                   const GlobalSearchOptions& global, const ParticleSearchOptions& local,
                                   ScoringScratch& scratch) {
  const auto& p = model.particles[particle];
  const double step = global.angle_step_deg * std::numbers::pi / 180.0;
  // Directions on a Fibonacci sphere at about `step` spacing, in-plane angles `step` apart.
  const int n_dir = std::max(8, int(std::lround(4.0 * std::numbers::pi / (step * step))));
  const int n_psi = std::max(4, int(std::lround(360.0 / global.angle_step_deg)));
  const double golden = std::numbers::pi * (3.0 - std::sqrt(5.0));
  std::vector<std::pair<double, Eigen::Matrix3d>> scored;
  scored.reserve(std::size_t(n_dir) * n_psi);
  int evaluations = 0;
  for (int d = 0; d < n_dir; ++d) {
    const double z = 1.0 - (2.0 * d + 1.0) / n_dir;
    const double tilt = std::acos(std::clamp(z, -1.0, 1.0)) * 180.0 / std::numbers::pi;
    const double rot = std::fmod(d * golden, 2.0 * std::numbers::pi) * 180.0 / std::numbers::pi;
    for (int k = 0; k < n_psi; ++k) {
      const Eigen::Matrix3d r = matrix_from_euler_zyz({rot, tilt, k * 360.0 / n_psi});
      scored.emplace_back(particle_score(model, particle, r, p.position_A, scoring, scratch, local.max_acquisition_order), r);
      ++evaluations;
    }
  }
  const std::size_t keep = std::min<std::size_t>(std::size_t(std::max(1, global.keep)), scored.size());
  std::partial_sort(scored.begin(), scored.begin() + std::ptrdiff_t(keep), scored.end(),
                    [](const auto& a, const auto& b) { return a.first > b.first; });
  ParticleFit best;
  best.score = -1e300;
  for (std::size_t i = 0; i < keep; ++i) {
    ParticleSearchOptions lo = local;
    lo.grid_range_deg = 0.0;
    lo.angle_range_deg = std::max(local.angle_range_deg, global.angle_step_deg);
    lo.angle_step_deg = global.angle_step_deg / 3.0;
    const ParticleFit f = refine_from(model, particle, scored[i].second, p.position_A, scoring, lo, scratch);
    evaluations += f.evaluations;
    if (f.score > best.score) best = f;
  }
  best.evaluations = evaluations;
  return best;
}

ProjectionFit refine_projection_unconstrained(const RefineModel& model, std::size_t j, const RankScoring& scoring,
                                              const ParticleSearchOptions& opts, ScoringScratch& scratch) {
  const auto& pj = model.projections[j];
  const ProjectionPose base = projection_pose(model, pj);  // includes the current extra rotation/shift
  int evaluations = 0;
  const auto objective = [&](const Eigen::Vector3d& omega, const std::vector<double>& d) {
    ++evaluations;
    ProjectionPose pose = base;
    pose.a = rotation_from_vector_deg(omega) * base.a;
    if (!d.empty()) {
      pose.shift_x_A += d[0];
      pose.shift_y_A += d[1];
    }
    return scoring.score(j, pose, scratch);
  };
  const RotationShiftSearch r = search_rotation_and_shift(objective, opts.refine_shift ? 2 : 0, opts);
  ProjectionFit fit;
  fit.score = r.score;
  fit.extra_rotation = rotation_from_vector_deg(r.omega) * pj.extra_rotation;
  fit.extra_shift_A = pj.extra_shift_A + (r.shift.empty() ? Eigen::Vector2d::Zero() : Eigen::Vector2d(r.shift[0], r.shift[1]));
  fit.evaluations = evaluations;
  return fit;
}

}  // namespace cspt
