// Report sections "Resolution" (FSC curves per iteration, paper Fig. 5c) and "Final map" (central
// sections and projections along x, y and z).
#include <algorithm>
#include <cmath>
#include <filesystem>

#include "cspt/io/mrc.hpp"
#include "cspt/report/map_views.hpp"
#include "cspt/report/svg_plot.hpp"
#include "report_parts.hpp"

namespace cspt::report::detail {
namespace fs = std::filesystem;
namespace {

Series curve(const std::string& label, const std::vector<double>& x, const std::vector<double>& y, Colour c, bool dashed = false) {
  Series s;
  s.label = label;
  s.x = x;
  s.y = y;
  s.colour = c;
  s.dashed = dashed;
  return s;
}

std::string final_fsc_svg(const FscCurves& c, double resolution_A) {
  XyPlot p;
  p.title = "FSC between half-maps, iteration " + std::to_string(c.iteration);
  p.x_label = "spatial frequency (1/A)";
  p.y_label = "FSC";
  p.y_range = Interval{-0.1, 1.05};
  p.x_range = Interval{0.0, c.frequency_per_A.back()};
  // The colours of the paper's Fig. 5c.
  p.series.push_back(curve("unmasked", c.frequency_per_A, c.unmasked, {200, 40, 160}));
  p.series.push_back(curve("masked", c.frequency_per_A, c.masked, {40, 80, 200}));
  p.series.push_back(curve("phase randomised", c.frequency_per_A, c.randomized, {210, 40, 40}));
  p.series.push_back(curve("corrected", c.frequency_per_A, c.corrected, {30, 150, 60}, true));
  p.lines.push_back({true, 0.143, "FSC = 0.143", {90, 90, 90}});
  if (std::isfinite(resolution_A) && resolution_A > 0)
    p.lines.push_back({false, 1.0 / resolution_A, fact_number(resolution_A, "A"), {0, 0, 0}});
  p.note = "resolution " + fact_number(resolution_A, "A") + " (corrected FSC at 0.143)";
  return xy_plot_svg(p);
}

std::string iterations_fsc_svg(const std::vector<FscCurves>& all) {
  XyPlot p;
  p.title = "Corrected FSC per iteration";
  p.x_label = "spatial frequency (1/A)";
  p.y_label = "FSC (corrected)";
  p.y_range = Interval{-0.1, 1.05};
  for (std::size_t i = 0; i < all.size(); ++i)
    p.series.push_back(curve("iteration " + std::to_string(all[i].iteration), all[i].frequency_per_A, all[i].corrected,
                             categorical_colour(int(i))));
  p.lines.push_back({true, 0.143, "FSC = 0.143", {90, 90, 90}});
  return xy_plot_svg(p);
}

}  // namespace

Section fsc_section(const ReportData& d, FigureWriter& w) {
  Section s{"fsc", "Resolution (FSC)",
            "Gold-standard Fourier shell correlation between the half-maps of every refinement iteration, "
            "unmasked, masked, masked with phase-randomised halves, and corrected for the mask (paper Fig. 5c); "
            "the resolution is where the corrected curve crosses 0.143.",
            {}, {}, {}};
  if (!d.refine || d.refine->fsc.empty()) {
    s.absent.push_back(d.refine ? "The refinement folder " + d.refine->dir + " has no iter_NNN/fsc.csv."
                                : "No refinement folder given (--refine or --run): no FSC curves.");
    return s;
  }
  const auto& all = d.refine->fsc;
  const Table curves = fsc_curves_table(all), res = fsc_resolution_table(all);
  const double final_res = res.number(res.rows() - 1, "resolution_corrected_A");
  s.facts.push_back({"final resolution (corrected, 0.143)", fact_number(final_res, "A")});
  s.facts.push_back({"final resolution (unmasked, 0.143)", fact_number(res.number(res.rows() - 1, "resolution_unmasked_A"), "A")});
  if (d.refine->summary.is_object() && d.refine->summary.contains("resolution_A") &&
      d.refine->summary["resolution_A"].is_number())
    s.facts.push_back({"resolution in refine/summary.json", fact_number(d.refine->summary["resolution_A"].get<double>(), "A")});
  s.figures.push_back(w.svg_figure("fsc_final", "FSC of the final iteration",
                                   "Unmasked (magenta), masked (blue), phase-randomised (red) and corrected (green, dashed) "
                                   "FSC of the last iteration, the 0.143 threshold and the resolution it gives.",
                                   final_fsc_svg(all.back(), final_res),
                                   {{"fsc_curves", curves}, {"fsc_resolution", res}}));
  s.figures.push_back(w.svg_figure("fsc_iterations", "FSC per iteration",
                                   "The corrected FSC of every iteration: how the resolution improved.",
                                   iterations_fsc_svg(all), {{"fsc_curves", curves}, {"fsc_resolution", res}}));
  return s;
}

Section map_section(const ReportData& d, FigureWriter& w) {
  Section s{"map", "Final map", "Central sections and projections of the final map along x, y and z (grey scale from "
            "the 0.5th to the 99.5th percentile of each picture; the second image axis points up).", {}, {}, {}};
  const std::string path = d.refine ? (fs::path(d.refine->last_dir) / "map.mrc").string() : "";
  if (path.empty() || !fs::exists(path)) {
    s.absent.push_back(d.refine ? "No map.mrc in the last iteration folder " + d.refine->last_dir + "."
                                : "No refinement folder given (--refine or --run): no map.");
    return s;
  }
  const Volume map = io::read_mrc_volume(path);
  const auto views = map_views(map);
  const Table stats = map_views_table(views);
  const int zoom = zoom_for(std::max({map.nx(), map.ny(), map.nz()}), 200);
  s.facts = {{"map", path}, {"box", std::to_string(map.nx()) + " x " + std::to_string(map.ny()) + " x " + std::to_string(map.nz())},
             {"pixel size", fact_number(map.pixel_size_A(), "A")}};
  const char* axes[] = {"x (image: y right, z up)", "y (image: x right, z up)", "z (image: x right, y up)"};
  for (bool proj : {false, true}) {
    Figure f;
    f.id = proj ? "map_projections" : "map_sections";
    f.title = proj ? "Projections of the final map" : "Central sections of the final map";
    f.caption = proj ? "Sums along x, y and z." : "Planes through the centre voxel perpendicular to x, y and z.";
    for (std::size_t i = 0; i < views.size(); ++i) {
      if (views[i].is_projection != proj) continue;
      f.images.push_back(w.png(views[i].name + ".png", view_picture(views[i], zoom),
                               std::string(proj ? "projection along " : "section perpendicular to ") + axes[i % 3]));
    }
    f.csv_files.push_back(w.csv("map_views", stats));
    s.figures.push_back(std::move(f));
  }
  return s;
}

}  // namespace cspt::report::detail
