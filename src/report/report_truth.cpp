// Report section "Against the truth" (simulations only): angular errors, FSC against the true map,
// CTF errors per tilt, and the acquisition's true targeting and defocus errors.
#include <algorithm>
#include <cmath>
#include <filesystem>

#include "cspt/io/mrc.hpp"
#include "cspt/recon/mask.hpp"
#include "cspt/report/acquisition_data.hpp"
#include "cspt/report/ctf_data.hpp"
#include "cspt/report/orientation_data.hpp"
#include "cspt/report/svg_plot.hpp"
#include "report_parts.hpp"

namespace cspt::report::detail {
namespace fs = std::filesystem;
namespace {

/// The true map: its path as stored (absolute, or relative to the project file), else the same
/// relative path under each search folder. "" when not found.
std::string find_truth_map(const ReportData& d) {
  const std::string& rel = d.project.truth->map_path;
  if (rel.empty()) return "";
  std::vector<fs::path> candidates{fs::path(rel).is_absolute() ? fs::path(rel) : fs::path(d.in.project_path).parent_path() / rel};
  for (const auto& dir : d.in.truth_search_dirs) candidates.push_back(fs::path(dir) / rel);
  for (const auto& c : candidates)
    if (fs::exists(c)) return c.string();
  return "";
}

/// The mask the refinement used: its file, or a soft sphere of its radius (0 = default) and edge.
Volume refine_mask(const ReportData& d, int n, double px) {
  const json& o = d.refine->options;
  const std::string file = o.is_object() ? o.value("mask", std::string()) : "";
  if (!file.empty() && fs::exists(file)) return read_mask(file, n, px);
  const double edge = o.is_object() ? o.value("mask_edge_A", 10.0) : 10.0;
  double radius = o.is_object() ? o.value("mask_radius_A", 0.0) : 0.0;
  if (!(radius > 0)) radius = default_mask_radius_A(n, px, edge);
  return soft_sphere_mask(n, px, radius, edge);
}

void add_angular_errors(const ReportData& d, FigureWriter& w, Section& s) {
  std::string sym = "C1";
  if (d.refine && d.refine->options.is_object()) sym = d.refine->options.value("symmetry", sym);
  const Project& oriented = d.oriented();
  const auto errors = angular_errors_deg(oriented, sym);
  if (errors.empty()) {
    s.absent.push_back("No particles with true orientations: no angular errors.");
    return;
  }
  const double top = *std::max_element(errors.begin(), errors.end());
  const double hi = std::min(180.0, nice_interval({0.0, std::max(1.0, top)}, 5).hi);
  const Histogram h = histogram(errors, 0.0, hi, 24);
  const double median = quantile(errors, 0.5);
  s.facts.push_back({"median angular error (" + sym + ")", fact_number(median, "deg")});
  HistogramPlot p;
  p.title = "Angular error of the particles";
  p.x_label = "angle to the true orientation (deg)";
  p.edges = h.edges;
  p.counts = h.counts;
  p.lines.push_back({false, median, "median " + fact_number(median, "deg"), {210, 40, 40}});
  s.figures.push_back(w.svg_figure("angular_error", "Angular error against the truth",
                                   "Angle of the rotation from each particle's orientation (" + d.oriented_source +
                                       ") to its true one, the smallest over the " + sym + " symmetry operators.",
                                   histogram_svg(p),
                                   {{"angular_errors", angular_error_table(oriented, errors)},
                                    {"angular_error_histogram", histogram_table(h)}}));
}

void add_truth_fsc(const ReportData& d, FigureWriter& w, Section& s) {
  const fs::path map_path = d.refine ? fs::path(d.refine->last_dir) / "map.mrc" : fs::path();
  const std::string truth_path = find_truth_map(d);
  if (map_path.empty() || !fs::exists(map_path) || truth_path.empty()) {
    s.absent.push_back(truth_path.empty() ? "True map " + d.project.truth->map_path + " not found: no FSC against the truth."
                                          : "No refined map: no FSC against the truth.");
    return;
  }
  const Volume map = io::read_mrc_volume(map_path.string()), truth = io::read_mrc_volume(truth_path);
  const TruthFsc f = fsc_against_truth(map, truth, refine_mask(d, map.nx(), map.pixel_size_A()), d.in.threads);
  s.facts.push_back({"FSC 0.5 against the true map (masked)", fact_number(f.resolution_0p5_A, "A")});
  XyPlot p;
  p.title = "FSC of the final map against the true map";
  p.x_label = "spatial frequency (1/A)";
  p.y_label = "FSC";
  p.y_range = Interval{-0.1, 1.05};
  p.series.push_back(make_series("unmasked", f.frequency_per_A, f.unmasked, {200, 40, 160}));
  p.series.push_back(make_series("masked", f.frequency_per_A, f.masked, {40, 80, 200}));
  p.lines.push_back({true, 0.5, "FSC = 0.5", {90, 90, 90}});
  p.lines.push_back({false, 1.0 / f.resolution_0p5_A, fact_number(f.resolution_0p5_A, "A"), {0, 0, 0}});
  s.figures.push_back(w.svg_figure("fsc_truth", "FSC against the true map",
                                   "FSC between the final map and the simulation's true map (" + truth_path +
                                       "), with and without the refinement's mask; 0.5 is the usual threshold for a "
                                       "map against a reference.",
                                   xy_plot_svg(p), {{"fsc_truth", truth_fsc_table(f)}}));
}

void add_ctf_errors(const ReportData& d, FigureWriter& w, Section& s) {
  const Table t = ctf_error_table(d.project);
  if (t.rows() == 0) {
    s.absent.push_back("No fitted CTF with a true record: no CTF errors per tilt.");
    return;
  }
  Series mean = make_series("mean defocus", {}, {}, {40, 80, 200}, Mark::points);
  Series astig = make_series("astigmatism", {}, {}, {210, 40, 40}, Mark::points);
  std::vector<double> abs_error;
  for (std::size_t r = 0; r < t.rows(); ++r) {
    mean.x.push_back(t.number(r, "tilt_deg"));
    mean.y.push_back(t.number(r, "mean_error_A"));
    astig.x.push_back(t.number(r, "tilt_deg"));
    astig.y.push_back(t.number(r, "astigmatism_error_A"));
    abs_error.push_back(std::abs(t.number(r, "mean_error_A")));
  }
  s.facts.push_back({"median |defocus error|", fact_number(quantile(abs_error, 0.5), "A")});
  XyPlot p;
  p.title = "CTF error per tilt";
  p.x_label = "tilt angle (deg)";
  p.y_label = "fitted - true (A)";
  p.series = {mean, astig};
  p.lines.push_back({true, 0.0, "", {150, 150, 150}});
  s.figures.push_back(w.svg_figure("ctf_errors", "CTF errors per tilt",
                                   "Fitted minus true mean defocus (blue) and astigmatism |u - v| (red) of every tilt of "
                                   "every tilt series; the CSV also has the astigmatism angle error.",
                                   xy_plot_svg(p), {{"ctf_errors", t}}));
}

void add_track_truth(const ReportData& d, FigureWriter& w, Section& s) {
  const fs::path path = d.in.track_dir.empty() ? fs::path() : fs::path(d.in.track_dir) / "truth.json";
  if (path.empty() || !fs::exists(path)) return;
  const Table t = truth_error_table(parse_track_truth(path.string(), read_text_file(path.string())));
  const auto series = [&](const std::string& prefix, const std::string& label, Colour c) {
    Series e = make_series(label, {}, {}, c, Mark::points);
    for (std::size_t r = 0; r < t.rows(); ++r) {
      e.x.push_back(t.number(r, "tilt_deg"));
      e.y.push_back(t.number(r, prefix + "_median"));
      e.err_lo.push_back(t.number(r, prefix + "_q25"));
      e.err_hi.push_back(t.number(r, prefix + "_q75"));
    }
    return e;
  };
  for (bool targeting : {true, false}) {
    XyPlot p;
    p.title = targeting ? "True targeting error per tilt" : "True defocus error per tilt";
    p.x_label = "tilt angle (deg)";
    p.y_label = targeting ? "distance from the target (nm)" : "defocus - target (um)";
    p.series.push_back(targeting ? series("targeting_nm", "median", {40, 80, 200}) : series("defocus_error_um", "median", {30, 150, 60}));
    p.lines.push_back({true, 0.0, "", {150, 150, 150}});
    s.figures.push_back(w.svg_figure(targeting ? "track_targeting_truth" : "track_defocus_truth", p.title,
                                     "From the simulated microscope's truth (track/truth.json): median over the ROIs with "
                                     "the interquartile range, the true counterpart of Fig. 2c-d.",
                                     xy_plot_svg(p), {{"track_truth_errors", t}}));
  }
}

}  // namespace

Section truth_section(const ReportData& d, FigureWriter& w) {
  Section s{"truth", "Against the truth",
            "For simulated projects: every estimate compared with the truth it was simulated from.", {}, {}, {}};
  if (!d.project.truth) {
    s.absent.push_back("Not a simulated project (no /truth in the project file): nothing to compare against.");
    return s;
  }
  add_angular_errors(d, w, s);
  add_truth_fsc(d, w, s);
  add_ctf_errors(d, w, s);
  add_track_truth(d, w, s);
  return s;
}

}  // namespace cspt::report::detail
