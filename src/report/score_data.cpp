// Exposure-weighting figure data: scores per exposure and the weight map with its cumulative sums.
#include "cspt/report/score_data.hpp"

#include <cmath>
#include <string>

#include "cspt/refine/exposure_weights.hpp"
#include "cspt/util/error.hpp"

namespace cspt::report {
namespace {

/// The acquisition order of row r as an index; IoError unless it is a non-negative integer.
std::size_t order_of(const NumericCsv& csv, std::size_t r, double v) {
  if (!(v >= 0) || v != std::floor(v) || v > 1e6)
    throw IoError(csv.source, "acquisition_order (row " + std::to_string(r + 1) + ")", std::to_string(v),
                  "a non-negative integer");
  return std::size_t(v);
}

}  // namespace

TiltScores parse_tilt_scores(const NumericCsv& csv, int iteration) {
  const auto order = csv.column("acquisition_order"), tilt = csv.column("mean_tilt_deg"),
             score = csv.column("mean_score"), n = csv.column("n_projections"), dose = csv.column("prior_dose_e_per_A2");
  TiltScores s;
  s.iteration = iteration;
  std::vector<bool> seen;
  for (std::size_t r = 0; r < order.size(); ++r) {
    const std::size_t o = order_of(csv, r, order[r]);
    if (o >= seen.size()) {
      seen.resize(o + 1, false);
      for (auto* v : {&s.mean_tilt_deg, &s.mean_score, &s.n_projections, &s.prior_dose_e_per_A2}) v->resize(o + 1, std::nan(""));
    }
    if (seen[o]) throw IoError(csv.source, "acquisition_order", std::to_string(o), "each exposure once");
    seen[o] = true;
    s.mean_tilt_deg[o] = tilt[r];
    s.mean_score[o] = score[r];
    s.n_projections[o] = n[r];
    s.prior_dose_e_per_A2[o] = dose[r];
  }
  return s;
}

Table tilt_scores_table(const std::vector<TiltScores>& iterations) {
  Table t({"iteration", "acquisition_order", "mean_tilt_deg", "mean_score", "n_projections", "prior_dose_e_per_A2"});
  for (const auto& s : iterations)
    for (std::size_t o = 0; o < s.mean_score.size(); ++o)
      t.add_row({double(s.iteration), double(o), s.mean_tilt_deg[o], s.mean_score[o], s.n_projections[o],
                 s.prior_dose_e_per_A2[o]});
  return t;
}

int box_from_weight_shells(int shells) { return 2 * (shells - 2); }

WeightMap weight_map(const NumericCsv& csv, int box_px, double pixel_size_A, const std::vector<double>& mean_tilt_deg) {
  if (csv.columns.size() < 2 || csv.index("acquisition_order") != 0)
    throw IoError(csv.source, "header", csv.columns.empty() ? "" : csv.columns[0], "acquisition_order,shell_0,shell_1,...");
  WeightMap m;
  std::vector<std::vector<float>> as_float;
  for (std::size_t r = 0; r < csv.rows.size(); ++r) {
    if (order_of(csv, r, csv.rows[r][0]) != r)
      throw IoError(csv.source, "acquisition_order (row " + std::to_string(r + 1) + ")", format_number(csv.rows[r][0]),
                    std::to_string(r) + ": rows in acquisition order");
    std::vector<double> w(csv.rows[r].begin() + 1, csv.rows[r].end());
    for (double v : w)
      if (!std::isfinite(v) || v < 0)
        throw IoError(csv.source, "weight (row " + std::to_string(r + 1) + ")", format_number(v), "finite and >= 0");
    as_float.emplace_back(w.begin(), w.end());
    m.weights.push_back(std::move(w));
    m.mean_tilt_deg.push_back(r < mean_tilt_deg.size() ? mean_tilt_deg[r] : std::nan(""));
  }
  m.cumulative = cumulative_contribution(as_float);
  const std::size_t shells = csv.columns.size() - 1;
  for (std::size_t i = 0; i < shells; ++i) m.frequency_per_A.push_back(double(i) / (box_px * pixel_size_A));
  return m;
}

Table weight_map_table(const WeightMap& m) {
  Table t({"acquisition_order", "mean_tilt_deg", "shell", "frequency_per_A", "weight", "cumulative_contribution"});
  for (std::size_t f = 0; f < m.weights.size(); ++f)
    for (std::size_t i = 0; i < m.weights[f].size(); ++i)
      t.add_row({double(f), m.mean_tilt_deg[f], double(i), m.frequency_per_A[i], m.weights[f][i], m.cumulative[f][i]});
  return t;
}

}  // namespace cspt::report
