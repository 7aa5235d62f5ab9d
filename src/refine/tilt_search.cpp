// Distributed per-tilt geometry refinement by reduced candidate scores.
#include "cspt/refine/tilt_search.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <omp.h>

namespace cspt {
namespace {

enum class Param { angle, axis, shift_x, shift_y, defocus };
constexpr int kCandidates = 5;  // offsets -2..2 steps

double& value_of(RefineTilt& t, Param p) {
  switch (p) {
    case Param::angle: return t.geometry.tilt_deg;
    case Param::axis: return t.geometry.axis_deg;
    case Param::shift_x: return t.geometry.shift_x_A;
    case Param::shift_y: return t.geometry.shift_y_A;
    case Param::defocus: return t.defocus_offset_A;
  }
  return t.defocus_offset_A;
}

double value_of(const RefineTilt& t, Param p) { return value_of(const_cast<RefineTilt&>(t), p); }

}  // namespace

TiltSearchReport refine_tilts_collective(parallel::Context& ctx, RefineModel& model, const RefineModel& start,
                                         const RankScoring& scoring, const TiltSearchOptions& opts) {
  // Tilts numbered globally: group = offset[series] + tilt.
  std::vector<std::size_t> offset(model.tilts.size() + 1, 0);
  for (std::size_t s = 0; s < model.tilts.size(); ++s) offset[s + 1] = offset[s] + model.tilts[s].size();
  const std::size_t n_groups = offset.back();
  const auto& held = scoring.images().held();
  const int threads = std::max(1, opts.threads);
  TiltSearchReport report;

  struct Step {
    Param param;
    double step, range;
  };
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
  }

  // Sums of scores per (group, candidate) and counts per group, over this rank's projections.
  const auto score_candidates = [&](const Step* st, std::vector<double>& sums, std::vector<double>& counts) {
    const int n_cand = st ? kCandidates : 1;
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
        const std::size_t g = offset[std::size_t(pj.series)] + std::size_t(pj.tilt);
        const auto& particle = model.particles[std::size_t(pj.particle)];
        my_counts[g] += 1.0;
        for (int c = 0; c < n_cand; ++c) {
          RefineTilt trial = tilt;
          if (st) value_of(trial, st->param) += (c - kCandidates / 2) * st->step;
          const bool fresh_ctf = st && st->param == Param::defocus;
          my_sums[g * std::size_t(n_cand) + std::size_t(c)] +=
              scoring.score(j, projection_pose(model, pj, particle.rotation, particle.position_A, trial), scratch, fresh_ctf);
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
    for (std::size_t g = 0; g < n_groups; ++g) {
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
    for (std::size_t s = 0; s < model.tilts.size(); ++s)
      for (std::size_t t = 0; t < model.tilts[s].size(); ++t) {
        RefineTilt& tilt = model.tilts[s][t];
        if (tilt.reference && st.param != Param::defocus) continue;
        const std::size_t g = offset[s] + t;
        if (counts[g] < 1) continue;
        const double* v = &sums[g * kCandidates];
        int best = kCandidates / 2;
        for (int c = 0; c < kCandidates; ++c)
          if (v[c] > v[best]) best = c;
        double move = best - kCandidates / 2;
        if (best > 0 && best < kCandidates - 1) {
          const double den = v[best - 1] - 2 * v[best] + v[best + 1];
          if (den < 0) move += std::clamp(0.5 * (v[best - 1] - v[best + 1]) / den, -0.5, 0.5);
        }
        double& x = value_of(tilt, st.param);
        const double x0 = value_of(start.tilts[s][t], st.param);
        x = std::clamp(x + move * st.step, x0 - st.range, x0 + st.range);
      }
  }
  score_candidates(nullptr, sums, counts);
  report.mean_score_after = mean_of_all(sums, counts);
  return report;
}

}  // namespace cspt
