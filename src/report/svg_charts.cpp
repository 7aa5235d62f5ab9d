// Histograms, horizontal bar charts and heat maps as SVG.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "cspt/report/svg_plot.hpp"
#include "svg_canvas.hpp"

namespace cspt::report {

std::string histogram_svg(const HistogramPlot& p) {
  detail::SvgCanvas svg(p.width_px, p.height_px, p.title);
  detail::Frame f = detail::plot_area(p.width_px, p.height_px, 0);
  Interval x{0.0, 1.0};
  if (p.edges.size() >= 2) x = {p.edges.front(), p.edges.back()};
  double top = 0;
  for (double c : p.counts)
    if (std::isfinite(c)) top = std::max(top, c);
  const Interval y = nice_interval({0.0, top > 0 ? top : 1.0}, 5);
  f = detail::draw_axes(svg, f, x, y, p.title, p.x_label, p.y_label);
  for (std::size_t i = 0; i < p.counts.size() && i + 1 < p.edges.size(); ++i) {
    if (!(p.counts[i] > 0)) continue;
    const double x0 = f.sx(p.edges[i]), x1 = f.sx(p.edges[i + 1]), y0 = f.sy(p.counts[i]);
    svg.rect(x0, y0, x1 - x0, f.bottom - y0, p.colour, true);
  }
  for (const auto& l : p.lines)
    if (!l.horizontal && l.value >= x.lo && l.value <= x.hi) {
      svg.line(f.sx(l.value), f.top, f.sx(l.value), f.bottom, l.colour, 1.2, true);
      svg.text(f.sx(l.value) + 4, f.top + 12, l.label, 11, "start");
    }
  return svg.finish();
}

std::string bar_chart_svg(const BarChart& c) {
  const int bar_px = 22, n = int(c.categories.size());
  const int height = 80 + std::max(1, n) * bar_px;
  detail::SvgCanvas svg(c.width_px, height, c.title);
  detail::Frame f;
  f.left = 150;
  f.right = c.width_px - 70;
  f.top = 34;
  f.bottom = height - 46;
  double top = 0;
  for (double v : c.values)
    if (std::isfinite(v)) top = std::max(top, v);
  const Interval x = nice_interval({0.0, top > 0 ? top : 1.0}, 5);
  // y runs over category slots; its ticks are the category names, drawn here instead of numbers.
  f = detail::draw_axes(svg, f, x, {0.0, double(std::max(1, n))}, c.title, c.value_label, "", false);
  const double slot = (f.bottom - f.top) / std::max(1, n);
  for (int i = 0; i < n && i < int(c.values.size()); ++i) {
    const double y = f.top + i * slot;
    const double v = std::isfinite(c.values[std::size_t(i)]) ? c.values[std::size_t(i)] : 0.0;
    svg.rect(f.left, y + 0.15 * slot, f.sx(v) - f.left, 0.7 * slot, c.colour, true);
    svg.text(f.left - 8, y + 0.5 * slot + 4, c.categories[std::size_t(i)], 11, "end");
    char label[32];
    std::snprintf(label, sizeof label, "%.3g", v);
    svg.text(f.sx(v) + 5, y + 0.5 * slot + 4, label, 10, "start");
  }
  return svg.finish();
}

std::string heat_map_svg(const HeatMap& m) {
  detail::SvgCanvas svg(m.width_px, m.height_px, m.title);
  detail::Frame f = detail::plot_area(m.width_px, m.height_px, 75);
  const Interval range = m.colour_range ? *m.colour_range : data_interval({m.values});
  f = detail::draw_axes(svg, f, m.x_extent, m.y_extent, m.title, m.x_label, m.y_label);
  const double dx = (m.x_extent.hi - m.x_extent.lo) / std::max(1, m.nx);
  const double dy = (m.y_extent.hi - m.y_extent.lo) / std::max(1, m.ny);
  const double span = range.hi - range.lo;
  for (int j = 0; j < m.ny; ++j)
    for (int i = 0; i < m.nx; ++i) {
      const std::size_t k = std::size_t(j) * std::size_t(m.nx) + std::size_t(i);
      if (k >= m.values.size()) continue;
      const double v = m.values[k];
      const double t = std::isfinite(v) ? (span > 0 ? (v - range.lo) / span : 0.5) : std::nan("");
      const double x0 = f.sx(m.x_extent.lo + i * dx), x1 = f.sx(m.x_extent.lo + (i + 1) * dx);
      const double y0 = f.sy(m.y_extent.lo + (j + 1) * dy), y1 = f.sy(m.y_extent.lo + j * dy);
      // Half a pixel of overlap hides the hairline gaps browsers leave between abutting rectangles.
      svg.rect(x0, y0, x1 - x0 + 0.5, y1 - y0 + 0.5, sequential_colour(t));
    }
  detail::draw_colour_bar(svg, f.right + 16, f.top + 14, f.bottom - f.top - 14, range, m.colour_label);
  return svg.finish();
}

}  // namespace cspt::report
