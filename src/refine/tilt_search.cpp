// Distributed per-tilt geometry refinement by reduced candidate scores.
#include "cspt/refine/tilt_search.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <omp.h>

#include "cspt/util/error.hpp"

namespace cspt {
namespace {

// region_x / region_y: the shift correction of one (series, region, tilt), not a tilt parameter.
enum class Param { angle, axis, shift_x, shift_y, defocus, region_x, region_y };
constexpr int kCandidates = 5;  // offsets -2..2 steps

double& value_of(RefineTilt& t, Param p) {
  switch (p) {
    case Param::angle: return t.geometry.tilt_deg;
    case Param::axis: return t.geometry.axis_deg;
    case Param::shift_x: return t.geometry.shift_x_A;
    case Param::shift_y: return t.geometry.shift_y_A;
    case Param::defocus: return t.defocus_offset_A;
    case Param::region_x:
    case Param::region_y: break;  // held by model.regions, moved by move_region_shifts
  }
  throw InternalError("tilt search: a region correction is not a parameter of the tilt");
}

double value_of(const RefineTilt& t, Param p) { return value_of(const_cast<RefineTilt&>(t), p); }

bool is_region(Param p) { return p == Param::region_x || p == Param::region_y; }

/// Moves from the parabolic maximum of five candidate sums (in steps; 0 = stay).
double parabolic_move(const double* v) {
  int best = kCandidates / 2;
  for (int c = 0; c < kCandidates; ++c)
    if (v[c] > v[best]) best = c;
  double move = best - kCandidates / 2;
  if (best > 0 && best < kCandidates - 1) {
    const double den = v[best - 1] - 2 * v[best] + v[best + 1];
    if (den < 0) move += std::clamp(0.5 * (v[best - 1] - v[best + 1]) / den, -0.5, 0.5);
  }
  return move;
}

struct Step {
  Param param;
  double step, range;
};

/// The search's steps: per round (spacing halved each round) the tilt parameters, then the two
/// components of the region corrections when the model has regions.
std::vector<Step> search_steps(const TiltSearchOptions& opts, bool regions) {
  std::vector<Step> steps;
  for (int r = 0; r < std::max(1, opts.rounds); ++r) {
    const double f = std::ldexp(1.0, -r);
    if (opts.shift) {
      steps.push_back({Param::shift_x, opts.shift_step_A * f, opts.shift_range_A});
      steps.push_back({Param::shift_y, opts.shift_step_A * f, opts.shift_range_A});
    }
    if (opts.angle) steps.push_back({Param::angle, opts.angle_step_deg * f, opts.angle_range_deg});
    if (opts.axis) steps.push_back({Param::axis, opts.axis_step_deg * f, opts.axis_range_deg});
    if (opts.defocus) steps.push_back({Param::defocus, opts.defocus_step_A * f, opts.defocus_range_A});
    if (regions) {
      steps.push_back({Param::region_x, opts.shift_step_A * f, opts.region_shift_range_A});
      steps.push_back({Param::region_y, opts.shift_step_A * f, opts.region_shift_range_A});
    }
  }
  return steps;
}

/// The tilt's shift and the mean of its regions' corrections are one freedom: when every region of
/// the series has its own corrections, their particle-weighted mean moves into the tilt's shift, so
/// the corrections are deviations from the tilt and the tilt's shift stays the series-wide one. No
/// pose changes. (With a region on the tilt's shift it would move that region: then nothing moves.)
void recentre_on_tilt(RefineModel& model, std::size_t s, int component) {
  TiltRegions& regions = model.regions;
  const std::size_t n_tilts = model.tilts[s].size();
  double n = 0;
  for (int r = 0; r < regions.grid.count(); ++r) {
    if (!regions.active(s, r)) return;
    n += regions.particles[s][std::size_t(r)];
  }
  for (std::size_t t = 0; t < n_tilts; ++t) {
    if (model.tilts[s][t].reference) continue;
    double mean = 0;
    for (int r = 0; r < regions.grid.count(); ++r)
      mean += regions.particles[s][std::size_t(r)] * regions.shift_A[s][std::size_t(r) * n_tilts + t][component];
    mean /= n;
    for (int r = 0; r < regions.grid.count(); ++r) regions.shift_A[s][std::size_t(r) * n_tilts + t][component] -= mean;
    (component == 0 ? model.tilts[s][t].geometry.shift_x_A : model.tilts[s][t].geometry.shift_y_A) += mean;
  }
}

/// One component (0 = x, 1 = y) of every active region's correction to its parabolic maximum,
/// within +-range of zero (the start). The reference tilt's corrections stay zero: a region's shift
/// there is the same as moving its particles in x and y. Regions with too few particles stay zero,
/// i.e. take the tilt's shift.
void move_region_shifts(RefineModel& model, int component, double step, double range, const std::vector<double>& sums,
                        const std::vector<double>& counts, const std::vector<std::size_t>& region_offset) {
  TiltRegions& regions = model.regions;
  for (std::size_t s = 0; s < model.tilts.size(); ++s) {
    const std::size_t n_tilts = model.tilts[s].size();
    for (int r = 0; r < regions.grid.count(); ++r) {
      if (!regions.active(s, r)) continue;
      for (std::size_t t = 0; t < n_tilts; ++t) {
        if (model.tilts[s][t].reference) continue;
        const std::size_t g = region_offset[s] + std::size_t(r) * n_tilts + t;
        if (counts[g] < 1) continue;
        double& x = regions.shift_A[s][std::size_t(r) * n_tilts + t][component];
        x = std::clamp(x + parabolic_move(&sums[g * kCandidates]) * step, -range, range);
      }
    }
    recentre_on_tilt(model, s, component);
  }
}

}  // namespace

void reanchor_tilt_angles(RefineModel& model, const RefineModel& start) {
  for (std::size_t s = 0; s < model.tilts.size(); ++s)
    turn_series_tilt_angles(model, s, reference_tilt_angle_change_deg(model, start, s));
}

TiltSearchReport refine_tilts_collective(parallel::Context& ctx, RefineModel& model, const RefineModel& start,
                                         const RankScoring& scoring, const TiltSearchOptions& opts) {
  // Tilts numbered globally: group = offset[series] + tilt; with regions, (series, region, tilt)
  // groups: region_offset[series] + region * n_tilts + tilt.
  const TiltRegions& regions = model.regions;
  std::vector<std::size_t> offset(model.tilts.size() + 1, 0), region_offset(model.tilts.size() + 1, 0);
  for (std::size_t s = 0; s < model.tilts.size(); ++s) {
    offset[s + 1] = offset[s] + model.tilts[s].size();
    region_offset[s + 1] = region_offset[s] + (regions.enabled() ? std::size_t(regions.grid.count()) : 0) * model.tilts[s].size();
  }
  const auto group_of = [&](const RefineProjection& pj, bool region) {
    if (!region) return offset[std::size_t(pj.series)] + std::size_t(pj.tilt);
    const auto g = std::size_t(regions.region_of_particle[std::size_t(pj.particle)]);
    return region_offset[std::size_t(pj.series)] + g * model.tilts[std::size_t(pj.series)].size() + std::size_t(pj.tilt);
  };
  const auto& held = scoring.images().held();
  const int threads = std::max(1, opts.threads);
  TiltSearchReport report;

  const std::vector<Step> steps = search_steps(opts, regions.enabled());

  // Sums of scores per (group, candidate) and counts per group, over this rank's projections.
  const auto score_candidates = [&](const Step* st, std::vector<double>& sums, std::vector<double>& counts) {
    const int n_cand = st ? kCandidates : 1;
    const bool region = st && is_region(st->param);
    const std::size_t n_groups = region ? region_offset.back() : offset.back();
    sums.assign(n_groups * std::size_t(n_cand), 0.0);
    counts.assign(n_groups, 0.0);
    std::vector<std::vector<double>> thread_sums(std::size_t(threads), std::vector<double>(sums.size(), 0.0));
    std::vector<std::vector<double>> thread_counts(std::size_t(threads), std::vector<double>(n_groups, 0.0));
    long long evaluations = 0;
#pragma omp parallel num_threads(threads) reduction(+ : evaluations)
    {
      ScoringScratch scratch;
      auto& my_sums = thread_sums[std::size_t(omp_get_thread_num())];
      auto& my_counts = thread_counts[std::size_t(omp_get_thread_num())];
#pragma omp for schedule(static)
      for (std::size_t k = 0; k < held.size(); ++k) {
        const std::size_t j = held[k];
        const auto& pj = model.projections[j];
        const auto& tilt = model.tilts[std::size_t(pj.series)][std::size_t(pj.tilt)];
        const std::size_t g = group_of(pj, region);
        const auto& particle = model.particles[std::size_t(pj.particle)];
        my_counts[g] += 1.0;
        for (int c = 0; c < n_cand; ++c) {
          const double delta = st ? (c - kCandidates / 2) * st->step : 0.0;
          RefineTilt trial = tilt;
          if (st && !region) value_of(trial, st->param) += delta;
          const bool fresh_ctf = st && st->param == Param::defocus;
          ProjectionPose pose = projection_pose(model, pj, particle.rotation, particle.position_A, trial);
          // A region correction moves the particle in the image: the origin shift moves the other way.
          if (region) (st->param == Param::region_x ? pose.shift_x_A : pose.shift_y_A) -= delta;
          my_sums[g * std::size_t(n_cand) + std::size_t(c)] += scoring.score(j, pose, scratch, fresh_ctf);
          ++evaluations;
        }
      }
    }
    for (int t = 0; t < threads; ++t) {
      for (std::size_t i = 0; i < sums.size(); ++i) sums[i] += thread_sums[std::size_t(t)][i];
      for (std::size_t i = 0; i < n_groups; ++i) counts[i] += thread_counts[std::size_t(t)][i];
    }
    report.evaluations += evaluations;
    std::vector<double> both(sums);
    both.insert(both.end(), counts.begin(), counts.end());
    ctx.sum_collective(both);
    std::copy(both.begin(), both.begin() + std::ptrdiff_t(sums.size()), sums.begin());
    std::copy(both.begin() + std::ptrdiff_t(sums.size()), both.end(), counts.begin());
  };
  const auto mean_of_all = [&](const std::vector<double>& sums, const std::vector<double>& counts) {
    double s = 0, n = 0;
    for (std::size_t g = 0; g < counts.size(); ++g) {
      s += sums[g];
      n += counts[g];
    }
    return n > 0 ? s / n : 0.0;
  };

  std::vector<double> sums, counts;
  score_candidates(nullptr, sums, counts);
  report.mean_score_before = mean_of_all(sums, counts);

  for (const Step& st : steps) {
    score_candidates(&st, sums, counts);
    if (is_region(st.param)) {
      move_region_shifts(model, st.param == Param::region_x ? 0 : 1, st.step, st.range, sums, counts, region_offset);
      continue;
    }
    for (std::size_t s = 0; s < model.tilts.size(); ++s)
      for (std::size_t t = 0; t < model.tilts[s].size(); ++t) {
        RefineTilt& tilt = model.tilts[s][t];
        // The reference tilt's angle moves too, and is then put back by reanchor_tilt_angles.
        if (tilt.reference && st.param != Param::defocus && st.param != Param::angle) continue;
        const std::size_t g = offset[s] + t;
        if (counts[g] < 1) continue;
        double& x = value_of(tilt, st.param);
        const double x0 = value_of(start.tilts[s][t], st.param);
        x = std::clamp(x + parabolic_move(&sums[g * kCandidates]) * st.step, x0 - st.range, x0 + st.range);
      }
    if (st.param == Param::angle) reanchor_tilt_angles(model, start);
  }
  score_candidates(nullptr, sums, counts);
  report.mean_score_after = mean_of_all(sums, counts);
  return report;
}

}  // namespace cspt
