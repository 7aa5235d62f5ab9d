// Report section "CTF per tilt" (paper Fig. 3): defocus and astigmatism across every tilt series,
// and example power spectra with their fitted models from `cspt ctf --diagnostics`.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>

#include "cspt/report/ctf_data.hpp"
#include "cspt/report/svg_plot.hpp"
#include "report_parts.hpp"

namespace cspt::report::detail {
namespace fs = std::filesystem;
namespace {

constexpr int kLabelledSeries = 8;  // legend entries beyond this would hide the plot

/// One series per tilt series of `column` (times `scale`) against tilt angle, fitted tilts only.
std::vector<Series> per_series(const Table& t, const std::string& column, double scale) {
  std::map<double, Series> by_index;  // keyed by series_index, so that series keep the project's order
  for (std::size_t r = 0; r < t.rows(); ++r) {
    if (t.number(r, "fitted") == 0) continue;
    Series& s = by_index[t.number(r, "series_index")];
    s.label = t.text(r, "series");
    s.x.push_back(t.number(r, "tilt_deg"));
    s.y.push_back(t.number(r, column) * scale);
  }
  std::vector<Series> out;
  for (auto& entry : by_index) {
    const Series& s = entry.second;  // (a named reference: clang 14 cannot capture a structured binding)
    std::vector<std::size_t> idx(s.x.size());
    for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = i;
    std::sort(idx.begin(), idx.end(), [&](auto a, auto b) { return s.x[a] < s.x[b]; });
    Series sorted = s;
    for (std::size_t i = 0; i < idx.size(); ++i) {
      sorted.x[i] = s.x[idx[i]];
      sorted.y[i] = s.y[idx[i]];
    }
    sorted.colour = categorical_colour(int(out.size()));
    sorted.mark = Mark::line_and_points;
    if (int(out.size()) >= kLabelledSeries) sorted.label.clear();
    out.push_back(std::move(sorted));
  }
  return out;
}

std::string ctf_plot(const Table& t, const std::string& title, const std::string& column, double scale,
                     const std::string& y_label) {
  XyPlot p;
  p.title = title;
  p.x_label = "tilt angle (deg)";
  p.y_label = y_label;
  p.series = per_series(t, column, scale);
  return xy_plot_svg(p);
}

Figure examples_figure(const ReportData& d, FigureWriter& w, const TiltSeriesRecord& ts, std::vector<std::string>& missing) {
  Figure f;
  f.id = "ctf_examples";
  f.title = "Example power spectra of " + ts.name;
  f.caption = "Power spectra of the tilts nearest -51, 0 and +51 degrees (left: the fitted model in the left half, "
              "the data in the right half; right: the radial profile, black, with the fitted CTF, red), as in Fig. 3a.";
  Table t({"file", "series", "tilt_index", "tilt_deg", "defocus_u_A", "defocus_v_A", "defocus_angle_deg", "ctf_score",
           "ctf_resolution_A"});
  for (int i : example_tilts(ts, {-51.0, 0.0, 51.0})) {
    const fs::path source = fs::path(d.in.ctf_diagnostics_dir) / ctf_diagnostics_name(ts, i);
    if (!fs::exists(source)) {
      missing.push_back(source.string());
      continue;
    }
    const TiltRecord& r = ts.tilts[std::size_t(i)];
    const std::string file = "ctf_example_" + std::to_string(f.images.size() + 1) + ".png";
    char alt[96];
    std::snprintf(alt, sizeof alt, "%s, tilt %+.1f deg, defocus %.0f / %.0f A", ts.name.c_str(), r.nominal_tilt_deg,
                  r.defocus_u_A, r.defocus_v_A);
    f.images.push_back(w.copy_png(source.string(), file, alt, 420));
    t.add_row({file, ts.name, double(i), r.nominal_tilt_deg, r.defocus_u_A, r.defocus_v_A, r.defocus_angle_deg, r.ctf_score,
               r.ctf_resolution_A});
  }
  if (!f.images.empty()) f.csv_files.push_back(w.csv("ctf_examples", t));
  return f;
}

}  // namespace

Section ctf_section(const ReportData& d, FigureWriter& w) {
  Section s{"ctf", "CTF per tilt",
            "The tilted, astigmatic CTF fitted to every tilt (paper Fig. 3): mean defocus, astigmatism (the difference "
            "of the two defoci) and its angle across each tilt series (3b), and example power spectra with their fits (3a).",
            {}, {}, {}};
  const Table t = ctf_per_tilt_table(d.project);
  int fitted = 0;
  for (std::size_t r = 0; r < t.rows(); ++r) fitted += t.number(r, "fitted") != 0;
  s.facts.push_back({"tilts fitted", std::to_string(fitted) + " of " + std::to_string(t.rows())});
  if (fitted == 0) {
    s.absent.push_back("No CTF fits in the project (run cspt ctf first): no defocus or astigmatism per tilt.");
  } else {
    const std::vector<std::pair<std::string, Table>> data{{"ctf_per_tilt", t}};
    s.figures.push_back(w.svg_figure("ctf_defocus", "Defocus per tilt",
                                     "Fitted mean defocus (u + v) / 2 against tilt angle, one line per tilt series.",
                                     ctf_plot(t, "Mean defocus per tilt", "defocus_mean_A", 1e-4, "mean defocus (um)"), data));
    s.figures.push_back(w.svg_figure("ctf_astigmatism", "Astigmatism per tilt",
                                     "Defocus difference |u - v| against tilt angle (Fig. 3b, blue).",
                                     ctf_plot(t, "Astigmatism per tilt", "astigmatism_A", 1.0, "|defocus u - v| (A)"), data));
    s.figures.push_back(w.svg_figure("ctf_astigmatism_angle", "Astigmatism angle per tilt",
                                     "Angle of the astigmatism against tilt angle (Fig. 3b, green); meaningless where "
                                     "the astigmatism is close to zero.",
                                     ctf_plot(t, "Astigmatism angle per tilt", "astigmatism_angle_deg", 1.0,
                                              "astigmatism angle (deg)"), data));
  }
  if (d.in.ctf_diagnostics_dir.empty() || !fs::is_directory(d.in.ctf_diagnostics_dir)) {
    s.absent.push_back(d.in.ctf_diagnostics_dir.empty()
                           ? "No CTF diagnostics folder given (--ctf-diagnostics or --run): no example power spectra."
                           : "CTF diagnostics folder " + d.in.ctf_diagnostics_dir + " does not exist: no example power spectra.");
  } else if (!d.project.tilt_series.empty()) {
    std::vector<std::string> missing;
    Figure f = examples_figure(d, w, d.project.tilt_series.front(), missing);
    if (!f.images.empty()) s.figures.push_back(std::move(f));
    if (!missing.empty()) s.absent.push_back("Missing diagnostics PNG(s): " + missing.front() +
                                             (missing.size() > 1 ? " and " + std::to_string(missing.size() - 1) + " more" : ""));
  }
  return s;
}

}  // namespace cspt::report::detail
