// Line and scatter plots (with bands, error bars, colour-coded points and reference lines) as SVG.
#include "cspt/report/svg_plot.hpp"

#include <algorithm>
#include <cmath>

#include "svg_canvas.hpp"

namespace cspt::report {
namespace {

using detail::Frame;
using detail::Point;
using detail::SvgCanvas;

bool finite(double x, double y) { return std::isfinite(x) && std::isfinite(y); }

/// Every x and every y value the plot must show (reference lines included).
void gather_values(const XyPlot& p, std::vector<std::vector<double>>& xs, std::vector<std::vector<double>>& ys) {
  for (const auto& s : p.series) {
    xs.push_back(s.x);
    ys.push_back(s.y);
    ys.push_back(s.y_low);
    ys.push_back(s.err_lo);
    ys.push_back(s.err_hi);
  }
  for (const auto& l : p.lines) (l.horizontal ? ys : xs).push_back({l.value});
}

/// Widen the narrower interval so that one data unit takes the same number of pixels on both axes.
void equalise(Interval& x, Interval& y, double width_px, double height_px) {
  const double ux = (x.hi - x.lo) / width_px, uy = (y.hi - y.lo) / height_px;
  if (ux > uy) {
    const double mid = 0.5 * (y.lo + y.hi), half = 0.5 * ux * height_px;
    y = {mid - half, mid + half};
  } else {
    const double mid = 0.5 * (x.lo + x.hi), half = 0.5 * uy * width_px;
    x = {mid - half, mid + half};
  }
}

Interval colour_interval(const XyPlot& p) {
  if (p.colour_range) return *p.colour_range;
  std::vector<std::vector<double>> v;
  for (const auto& s : p.series) v.push_back(s.colour_values);
  return data_interval(v);
}

/// Pixel position of a data point, pinned to the plot area (values beyond a fixed range sit on its edge).
Point at(const Frame& f, double x, double y) {
  return {std::clamp(f.sx(x), f.left, f.right), std::clamp(f.sy(y), f.top, f.bottom)};
}

void draw_band(SvgCanvas& svg, const Frame& f, const Series& s) {
  std::vector<Point> pts;
  for (std::size_t i = 0; i < s.x.size() && i < s.y.size(); ++i)
    if (finite(s.x[i], s.y[i])) pts.push_back(at(f, s.x[i], s.y[i]));
  for (std::size_t i = std::min(s.x.size(), s.y_low.size()); i-- > 0;)
    if (finite(s.x[i], s.y_low[i])) pts.push_back(at(f, s.x[i], s.y_low[i]));
  svg.polygon(pts, s.colour, 0.9);
}

void draw_line(SvgCanvas& svg, const Frame& f, const Series& s, Interval crange) {
  const bool coloured = s.colour_values.size() == s.x.size();
  const double span = crange.hi - crange.lo;
  std::vector<Point> run;
  for (std::size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
    if (!finite(s.x[i], s.y[i])) {
      svg.polyline(run, s.colour, s.stroke_px, s.dashed);
      run.clear();
      continue;
    }
    if (coloured && i + 1 < s.x.size() && finite(s.x[i + 1], s.y[i + 1])) {
      const auto [x0, y0] = at(f, s.x[i], s.y[i]);
      const auto [x1, y1] = at(f, s.x[i + 1], s.y[i + 1]);
      svg.line(x0, y0, x1, y1, sequential_colour(span > 0 ? (s.colour_values[i] - crange.lo) / span : 0.5), s.stroke_px);
    }
    run.push_back(at(f, s.x[i], s.y[i]));
  }
  if (!coloured) svg.polyline(run, s.colour, s.stroke_px, s.dashed);
}

void draw_points_and_errors(SvgCanvas& svg, const Frame& f, const Series& s, Interval crange) {
  const bool coloured = s.colour_values.size() == s.x.size();
  const double span = crange.hi - crange.lo;
  for (std::size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
    if (i < s.err_lo.size() && i < s.err_hi.size() && finite(s.err_lo[i], s.err_hi[i]) && std::isfinite(s.x[i])) {
      const auto [x, lo] = at(f, s.x[i], s.err_lo[i]);
      svg.line(x, lo, x, at(f, s.x[i], s.err_hi[i]).second, s.colour, 1.0);
    }
    if (s.mark == Mark::line || s.mark == Mark::band || !finite(s.x[i], s.y[i])) continue;
    const auto [x, y] = at(f, s.x[i], s.y[i]);
    svg.circle(x, y, 2.8, coloured ? sequential_colour(span > 0 ? (s.colour_values[i] - crange.lo) / span : 0.5) : s.colour);
  }
}

}  // namespace

Series make_series(std::string label, std::vector<double> x, std::vector<double> y, Colour colour, Mark mark) {
  Series s;
  s.label = std::move(label);
  s.x = std::move(x);
  s.y = std::move(y);
  s.colour = colour;
  s.mark = mark;
  return s;
}

std::string xml_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string xy_plot_svg(const XyPlot& p) {
  bool coloured = p.colour_range.has_value(), legend = false;
  for (const auto& s : p.series) {
    coloured = coloured || !s.colour_values.empty();
    legend = legend || !s.label.empty();
  }
  for (const auto& l : p.lines) legend = legend || !l.label.empty();
  SvgCanvas svg(p.width_px, p.height_px, p.title);
  Frame f = detail::plot_area(p.width_px, p.height_px, (coloured ? 75 : 0) + (legend ? 150 : 0), !p.note.empty());
  std::vector<std::vector<double>> xs, ys;
  gather_values(p, xs, ys);
  Interval x = p.x_range ? *p.x_range : nice_interval(data_interval(xs), 6);
  Interval y = p.y_range ? *p.y_range : nice_interval(data_interval(ys), 5);
  if (p.equal_aspect) equalise(x, y, f.right - f.left, f.bottom - f.top);
  f = detail::draw_axes(svg, f, x, y, p.title, p.x_label, p.y_label);
  if (!p.note.empty()) svg.text(0.5 * p.width_px, 36, p.note, 11);
  const Interval crange = colour_interval(p);
  for (const auto& s : p.series)
    if (s.mark == Mark::band) draw_band(svg, f, s);
  for (const auto& l : p.lines) {
    if (l.horizontal && l.value >= y.lo && l.value <= y.hi) svg.line(f.left, f.sy(l.value), f.right, f.sy(l.value), l.colour, 1.2, true);
    if (!l.horizontal && l.value >= x.lo && l.value <= x.hi) svg.line(f.sx(l.value), f.top, f.sx(l.value), f.bottom, l.colour, 1.2, true);
  }
  for (const auto& s : p.series) {
    if (s.mark == Mark::line || s.mark == Mark::line_and_points) draw_line(svg, f, s, crange);
    draw_points_and_errors(svg, f, s, crange);
  }
  std::vector<detail::LegendEntry> entries;
  for (const auto& s : p.series) entries.push_back({s.label, s.colour, s.dashed, s.mark == Mark::band});
  for (const auto& l : p.lines) entries.push_back({l.label, l.colour, true, false});
  double right = f.right + 16;
  if (coloured) {
    detail::draw_colour_bar(svg, right, f.top + 14, f.bottom - f.top - 14, crange, p.colour_label);
    right += 75;
  }
  if (legend) detail::draw_legend(svg, right, f.top + 8, entries);
  return svg.finish();
}

}  // namespace cspt::report
