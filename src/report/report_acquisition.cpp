// Report section "Acquisition" (paper Figs. 1b, 2c-d): the ROI pattern with tracking trajectories
// coloured by defocus, targeting residuals and defocus changes per tilt, and the session's timing.
#include <algorithm>
#include <cmath>
#include <map>

#include "cspt/report/acquisition_data.hpp"
#include "cspt/report/ctf_data.hpp"
#include "cspt/report/svg_plot.hpp"
#include "report_parts.hpp"

namespace cspt::report::detail {
namespace {

std::string pattern_svg(const std::vector<TrajectoryPoint>& pts, double exaggeration) {
  XyPlot p;
  p.title = "ROI pattern and tracking trajectories";
  p.x_label = "image shift x (um)";
  p.y_label = "image shift y (um)";
  p.width_px = 700;
  p.height_px = 560;
  p.equal_aspect = true;
  p.colour_label = "defocus (um)";
  p.note = "residuals enlarged " + fact_number(exaggeration) + " x";
  std::map<std::string, Series> by_roi;
  Series anchors;
  anchors.mark = Mark::points;
  anchors.colour = {150, 150, 150};
  for (const auto& q : pts) {
    Series& s = by_roi[q.roi];
    if (s.x.empty()) {
      anchors.x.push_back(q.anchor_x_um);
      anchors.y.push_back(q.anchor_y_um);
    }
    s.x.push_back(q.anchor_x_um + exaggeration * q.residual_x_nm * 1e-3);
    s.y.push_back(q.anchor_y_um + exaggeration * q.residual_y_nm * 1e-3);
    s.colour_values.push_back(q.defocus_um);
  }
  for (auto& [roi, s] : by_roi) {
    s.mark = Mark::line;
    s.stroke_px = 1.4;
    p.series.push_back(std::move(s));
  }
  p.series.push_back(std::move(anchors));
  return xy_plot_svg(p);
}

/// Median with interquartile error bars per tilt, against tilt angle.
Series spread_series(const Table& t, const std::string& prefix, double scale, const std::string& label, Colour c) {
  Series s;
  s.label = label;
  s.colour = c;
  s.mark = Mark::points;
  for (std::size_t r = 0; r < t.rows(); ++r) {
    s.x.push_back(t.number(r, "tilt_deg"));
    s.y.push_back(t.number(r, prefix + "_median") * scale);
    s.err_lo.push_back(t.number(r, prefix + "_q25") * scale);
    s.err_hi.push_back(t.number(r, prefix + "_q75") * scale);
  }
  return s;
}

std::string spread_svg(const std::string& title, const std::string& y_label, std::vector<Series> series) {
  XyPlot p;
  p.title = title;
  p.x_label = "tilt angle (deg)";
  p.y_label = y_label;
  p.series = std::move(series);
  p.lines.push_back({true, 0.0, "", {150, 150, 150}});
  return xy_plot_svg(p);
}

/// Fig. 2d from the project's CTF fits: per acquisition order, the spread over the tilt series of
/// the fitted defocus minus that of the first image.
Table defocus_change_spread(const Table& change) {
  std::vector<int> order;
  std::vector<double> angle, value;
  for (std::size_t r = 0; r < change.rows(); ++r) {
    order.push_back(int(change.number(r, "acquisition_order")));
    angle.push_back(change.number(r, "tilt_deg"));
    value.push_back(change.number(r, "defocus_change_A"));
  }
  Table t({"acquisition_order", "tilt_deg", "n", "defocus_change_A_q25", "defocus_change_A_median", "defocus_change_A_q75"});
  for (const auto& s : spread_per_tilt(order, angle, value))
    t.add_row({double(s.tilt_index), s.tilt_deg, double(s.n), s.q25, s.median, s.q75});
  return t;
}

std::string timeline_svg(const Table& t) {
  XyPlot p;
  p.title = "Acquisition timeline";
  p.x_label = "tilt (in acquisition order)";
  p.y_label = "start (minutes)";
  Series s;
  s.mark = Mark::line_and_points;
  s.colour = categorical_colour(0);
  for (std::size_t r = 0; r < t.rows(); ++r) {
    s.x.push_back(t.number(r, "tilt_index"));
    s.y.push_back(t.number(r, "start_min"));
  }
  p.series.push_back(std::move(s));
  return xy_plot_svg(p);
}

void add_record_figures(const ReportData& d, FigureWriter& w, Section& s) {
  const AcquisitionRecord& a = *d.acquisition;
  const auto pts = roi_trajectories(a);
  s.facts.push_back({"record", d.acquisition_source});
  s.facts.push_back({"ROIs (tilt series)", std::to_string(roi_tables(a).size())});
  s.facts.push_back({"minutes per tilt series (from the record)", fact_number(minutes_per_tilt_series(a), "min")});
  if (d.track_summary.is_object() && d.track_summary.contains("minutes_per_tilt_series") &&
      d.track_summary["minutes_per_tilt_series"].is_number())
    s.facts.push_back({"minutes per tilt series (track/summary.json)",
                       fact_number(d.track_summary["minutes_per_tilt_series"].get<double>(), "min")});
  if (pts.empty()) {
    s.absent.push_back("The acquisition record has no ROI tables with positions and residuals.");
  } else {
    const double k = trajectory_exaggeration(pts);
    const bool ctf = std::any_of(pts.begin(), pts.end(), [](const auto& q) { return q.from_ctf; });
    s.figures.push_back(w.svg_figure(
        "acquisition_pattern", "ROI pattern with tracking trajectories",
        "Each ROI at its first image-shift position (grey dot) and the path of the targeting residuals measured by "
        "cross-correlation, enlarged " + fact_number(k) + " times, coloured by " +
            (ctf ? "the estimated defocus" : "the focus the tracker set (no CTF estimates in the record)") + " (Fig. 1b).",
        pattern_svg(pts, k), {{"acquisition_trajectories", trajectory_table(pts, k)}}));
    const Table t = targeting_table(pts);
    s.figures.push_back(w.svg_figure(
        "targeting_per_tilt", "Targeting residuals per tilt",
        "Median over the ROIs of the residual displacement in x (blue) and y (red) measured at each tilt, with the "
        "interquartile range (Fig. 2c).",
        spread_svg("Targeting residuals per tilt", "residual (nm)",
                   {spread_series(t, "residual_x_nm", 1.0, "x", {40, 80, 200}),
                    spread_series(t, "residual_y_nm", 1.0, "y", {210, 40, 40})}),
        {{"targeting_per_tilt", t}}));
  }
  const Table timeline = acquisition_timeline_table(a);
  if (timeline.rows() > 0)
    s.figures.push_back(w.svg_figure("acquisition_timeline", "Acquisition timeline",
                                     "Minutes from the start of the session to the first image of each tilt.",
                                     timeline_svg(timeline), {{"acquisition_timeline", timeline}}));
}

}  // namespace

Section acquisition_section(const ReportData& d, FigureWriter& w) {
  Section s{"acquisition", "Acquisition",
            "How the tilt series were collected (paper Figs. 1b and 2c-d): the beam-image-shift pattern with each ROI's "
            "tracking, the targeting residuals per tilt, the defocus change per tilt, and the time per tilt series.",
            {}, {}, {}};
  if (d.acquisition)
    add_record_figures(d, w, s);
  else
    s.absent.push_back("No acquisition record in this project (and no --track folder with one): no ROI pattern, "
                       "targeting or timing.");
  const Table change = defocus_change_table(d.project);
  if (change.rows() > 0) {
    const Table spread = defocus_change_spread(change);
    s.figures.push_back(w.svg_figure(
        "defocus_change_per_tilt", "Defocus change per tilt",
        "Fitted mean defocus of each tilt minus that of the first image of its tilt series: median over the tilt "
        "series with the interquartile range (Fig. 2d).",
        spread_svg("Defocus change from the first image", "defocus change (um)",
                   {spread_series(spread, "defocus_change_A", 1e-4, "median", {30, 150, 60})}),
        {{"defocus_change", change}, {"defocus_change_per_tilt", spread}}));
  } else {
    s.absent.push_back("No CTF fits in the project: no defocus change per tilt.");
  }
  return s;
}

}  // namespace cspt::report::detail
