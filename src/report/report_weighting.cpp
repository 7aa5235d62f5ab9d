// Report section "Exposure weighting" (paper Fig. 4): mean score per exposure against tilt angle and
// acquisition order, the weight map exposure x spatial frequency, and the cumulative contributions.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>

#include "cspt/io/mrc.hpp"
#include "cspt/report/svg_plot.hpp"
#include "report_parts.hpp"

namespace cspt::report::detail {
namespace fs = std::filesystem;
namespace {

/// Score series of one iteration ordered by x (tilt angle or acquisition order); exposures without
/// projections are left out.
Series score_series(const TiltScores& t, bool by_angle, Colour c) {
  std::vector<std::size_t> idx;
  for (std::size_t o = 0; o < t.mean_score.size(); ++o)
    if (t.n_projections[o] > 0 && std::isfinite(t.mean_score[o])) idx.push_back(o);
  if (by_angle) std::sort(idx.begin(), idx.end(), [&](auto a, auto b) { return t.mean_tilt_deg[a] < t.mean_tilt_deg[b]; });
  Series s;
  s.label = "iteration " + std::to_string(t.iteration);
  s.colour = c;
  s.mark = Mark::line_and_points;
  for (std::size_t o : idx) {
    s.x.push_back(by_angle ? t.mean_tilt_deg[o] : double(o));
    s.y.push_back(t.mean_score[o]);
  }
  return s;
}

std::string score_svg(const std::vector<TiltScores>& all, bool by_angle) {
  XyPlot p;
  p.title = by_angle ? "Mean score per tilt against tilt angle" : "Mean score per tilt against acquisition order";
  p.x_label = by_angle ? "tilt angle (deg)" : "acquisition order (0 = first exposure)";
  p.y_label = "mean particle score";
  for (std::size_t i = 0; i < all.size(); ++i) p.series.push_back(score_series(all[i], by_angle, categorical_colour(int(i))));
  return xy_plot_svg(p);
}

/// Shells up to Nyquist (box/2): the table's extra shell lies beyond it.
std::size_t shown_shells(const WeightMap& m, int box) {
  return std::min(m.frequency_per_A.size(), std::size_t(std::max(1, box / 2 + 1)));
}

std::string weight_heat_map_svg(const WeightMap& m, int box) {
  HeatMap h;
  h.title = "Exposure weights";
  h.x_label = "spatial frequency (1/A)";
  h.y_label = "exposure (acquisition order)";
  h.colour_label = "weight";
  h.nx = int(shown_shells(m, box));
  h.ny = int(m.weights.size());
  const double df = m.frequency_per_A.size() > 1 ? m.frequency_per_A[1] : 1.0;
  h.x_extent = {-0.5 * df, (h.nx - 0.5) * df};
  h.y_extent = {-0.5, h.ny - 0.5};
  for (int f = 0; f < h.ny; ++f)
    for (int i = 0; i < h.nx; ++i) h.values.push_back(m.weights[std::size_t(f)][std::size_t(i)]);
  return heat_map_svg(h);
}

std::string contribution_svg(const WeightMap& m, int box) {
  XyPlot p;
  p.title = "Cumulative contribution of the exposures";
  p.x_label = "spatial frequency (1/A)";
  p.y_label = "cumulative contribution";
  p.y_range = Interval{0.0, 1.0};
  const std::size_t n = shown_shells(m, box);
  p.x_range = Interval{0.0, m.frequency_per_A[n - 1]};
  p.colour_range = Interval{0.0, double(std::max<std::size_t>(1, m.weights.size() - 1))};
  p.colour_label = "exposure";
  const std::vector<double> x(m.frequency_per_A.begin(), m.frequency_per_A.begin() + std::ptrdiff_t(n));
  for (std::size_t f = 0; f < m.cumulative.size(); ++f) {
    Series s;
    s.mark = Mark::band;
    s.x = x;
    s.y.assign(m.cumulative[f].begin(), m.cumulative[f].begin() + std::ptrdiff_t(n));
    s.y_low = f == 0 ? std::vector<double>(n, 0.0)
                     : std::vector<double>(m.cumulative[f - 1].begin(), m.cumulative[f - 1].begin() + std::ptrdiff_t(n));
    s.colour = sequential_colour(m.cumulative.size() > 1 ? double(f) / double(m.cumulative.size() - 1) : 0.0);
    p.series.push_back(std::move(s));
  }
  return xy_plot_svg(p);
}

/// Box and pixel size of the weight table: the final map's header, else the FSC table, else the
/// weight table's own shell count and the project's pixel size.
std::pair<int, double> weight_geometry(const ReportData& d, const NumericCsv& weights) {
  const fs::path map = fs::path(d.refine->last_dir) / "map.mrc";
  if (fs::exists(map)) {
    const auto h = io::read_mrc_header(map.string());
    if (h.pixel_size_A() > 0) return {h.nx, h.pixel_size_A()};
  }
  if (!d.refine->fsc.empty()) return {d.refine->fsc.back().box_px(), d.refine->fsc.back().pixel_size_A()};
  return {box_from_weight_shells(int(weights.columns.size()) - 1), d.project.optics.pixel_size_A};
}

}  // namespace

Section weighting_section(const ReportData& d, FigureWriter& w) {
  Section s{"weighting", "Exposure weighting",
            "Self-tuning exposure weighting (paper Fig. 4): the mean score of the particle projections of each exposure "
            "against its tilt angle and its place in the acquisition (4a), the weight each exposure gets at each spatial "
            "frequency, and the cumulative contribution of the exposures, taken in acquisition order (4b).",
            {}, {}, {}};
  if (!d.refine) {
    s.absent.push_back("No refinement folder given (--refine or --run): no scores or exposure weights.");
    return s;
  }
  const auto& scores = d.refine->scores;
  if (!scores.empty()) {
    const Table t = tilt_scores_table(scores);
    s.figures.push_back(w.svg_figure("score_vs_tilt", "Score against tilt angle",
                                     "Mean score of the projections of each exposure (over all tilt series) against its "
                                     "mean tilt angle, per iteration (Fig. 4a).",
                                     score_svg(scores, true), {{"tilt_scores", t}}));
    s.figures.push_back(w.svg_figure("score_vs_order", "Score against acquisition order",
                                     "The same scores against the order of exposure: later exposures carry more dose.",
                                     score_svg(scores, false), {{"tilt_scores", t}}));
  } else {
    s.absent.push_back("No iter_NNN/tilt_scores.csv in " + d.refine->dir + ": no scores per tilt.");
  }
  const fs::path weights_path = fs::path(d.refine->last_dir) / "weights.csv";
  if (d.refine->last_dir.empty() || !fs::exists(weights_path)) {
    s.absent.push_back("No weights.csv in the last iteration folder: no weight map.");
    return s;
  }
  const NumericCsv csv = read_numeric_csv(weights_path.string());
  const auto [box, px] = weight_geometry(d, csv);
  const WeightMap m = weight_map(csv, box, px, scores.empty() ? std::vector<double>{} : scores.back().mean_tilt_deg);
  if (m.weights.empty()) {
    s.absent.push_back("weights.csv has no exposures.");
    return s;
  }
  const Table t = weight_map_table(m);
  s.figures.push_back(w.svg_figure("weight_map", "Exposure weight map",
                                   "Weight of each exposure (rows, in acquisition order) at each spatial frequency up to "
                                   "Nyquist, last iteration.",
                                   weight_heat_map_svg(m, box), {{"weight_map", t}}));
  s.figures.push_back(w.svg_figure("contributions", "Cumulative contributions",
                                   "Each band is one exposure, stacked in acquisition order (dark = first): its share of the "
                                   "total weight at each frequency (Fig. 4b).",
                                   contribution_svg(m, box), {{"weight_map", t}}));
  return s;
}

}  // namespace cspt::report::detail
