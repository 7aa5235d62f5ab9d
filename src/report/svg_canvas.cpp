// SVG text building, plot frames, colour bars and legends for the report's figures.
#include "svg_canvas.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "cspt/report/svg_plot.hpp"

namespace cspt::report::detail {

std::string px(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", std::isfinite(v) ? v : 0.0);
  return buf;
}

SvgCanvas::SvgCanvas(int width_px, int height_px, const std::string& title) : width_(width_px), height_(height_px) {
  body_ += "<title>" + xml_escape(title) + "</title>";
  body_ += "<rect x=\"0\" y=\"0\" width=\"" + std::to_string(width_) + "\" height=\"" + std::to_string(height_) +
           "\" fill=\"#ffffff\"/>";
}

// Elements are appended piece by piece (no chains of operator+ starting from a literal): shorter,
// and it avoids GCC 12's false -Wrestrict warning on such chains.
void SvgCanvas::line(double x0, double y0, double x1, double y1, const Colour& c, double width, bool dashed) {
  body_.append("<line x1=\"").append(px(x0)).append("\" y1=\"").append(px(y0));
  body_.append("\" x2=\"").append(px(x1)).append("\" y2=\"").append(px(y1));
  body_.append("\" stroke=\"").append(c.hex()).append("\" stroke-width=\"").append(px(width)).append("\"");
  if (dashed) body_.append(" stroke-dasharray=\"6 4\"");
  body_.append("/>");
}

void SvgCanvas::polyline(const std::vector<Point>& pts, const Colour& c, double width, bool dashed) {
  if (pts.size() < 2) return;
  body_.append("<polyline fill=\"none\" stroke=\"").append(c.hex()).append("\" stroke-width=\"").append(px(width));
  body_.append("\" stroke-linejoin=\"round\"");
  if (dashed) body_.append(" stroke-dasharray=\"6 4\"");
  body_.append(" points=\"");
  for (const auto& [x, y] : pts) body_.append(px(x)).append(",").append(px(y)).append(" ");
  body_.append("\"/>");
}

void SvgCanvas::polygon(const std::vector<Point>& pts, const Colour& fill, double opacity) {
  if (pts.size() < 3) return;
  char op[16];
  std::snprintf(op, sizeof op, "%.2f", std::clamp(opacity, 0.0, 1.0));
  body_.append("<polygon fill=\"").append(fill.hex()).append("\" fill-opacity=\"").append(op);
  body_.append("\" stroke=\"none\" points=\"");
  for (const auto& [x, y] : pts) body_.append(px(x)).append(",").append(px(y)).append(" ");
  body_.append("\"/>");
}

void SvgCanvas::rect(double x, double y, double w, double h, const Colour& fill, bool outline) {
  body_.append("<rect x=\"").append(px(x)).append("\" y=\"").append(px(y));
  body_.append("\" width=\"").append(px(std::max(0.0, w))).append("\" height=\"").append(px(std::max(0.0, h)));
  body_.append("\" fill=\"").append(fill.hex()).append("\"");
  if (outline) body_.append(" stroke=\"#333333\" stroke-width=\"0.6\"");
  body_.append("/>");
}

void SvgCanvas::circle(double x, double y, double r, const Colour& fill) {
  body_.append("<circle cx=\"").append(px(x)).append("\" cy=\"").append(px(y)).append("\" r=\"").append(px(r));
  body_.append("\" fill=\"").append(fill.hex()).append("\"/>");
}

void SvgCanvas::text(double x, double y, const std::string& s, double size_px, const char* anchor, bool rotated) {
  body_.append("<text x=\"").append(px(x)).append("\" y=\"").append(px(y)).append("\" font-size=\"").append(px(size_px));
  body_.append("\" text-anchor=\"").append(anchor).append("\"");
  if (rotated) body_.append(" transform=\"rotate(-90 ").append(px(x)).append(" ").append(px(y)).append(")\"");
  body_.append(">").append(xml_escape(s)).append("</text>");
}

std::string SvgCanvas::finish() const {
  const std::string w = std::to_string(width_), h = std::to_string(height_);
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"plot\" width=\"" + w + "\" height=\"" + h +
         "\" viewBox=\"0 0 " + w + " " + h + "\" font-family=\"sans-serif\" role=\"img\">" + body_ + "</svg>";
}

Frame plot_area(int width_px, int height_px, double extra_right, bool has_note) {
  Frame f;
  f.left = 70;
  f.right = width_px - 18 - extra_right;
  f.top = has_note ? 44 : 32;
  f.bottom = height_px - 46;
  return f;
}

Frame draw_axes(SvgCanvas& svg, Frame f, Interval x, Interval y, const std::string& title, const std::string& x_label,
                const std::string& y_label, bool y_ticks) {
  f.x = x;
  f.y = y;
  f.sx = {x.lo, x.hi, f.left, f.right};
  f.sy = {y.lo, y.hi, f.bottom, f.top};
  const Colour grid{225, 225, 225}, ink{40, 40, 40};
  const int x_target = std::max(2, int((f.right - f.left) / 90)), y_target = std::max(2, int((f.bottom - f.top) / 60));
  const double step = nice_step(x.hi - x.lo, x_target);
  for (double t : nice_ticks(x.lo, x.hi, x_target)) {
    const double p = f.sx(t);
    svg.line(p, f.top, p, f.bottom, grid);
    svg.line(p, f.bottom, p, f.bottom + 5, ink);
    svg.text(p, f.bottom + 18, tick_label(t, step), 11);
  }
  const double ystep = nice_step(y.hi - y.lo, y_target);
  for (double t : y_ticks ? nice_ticks(y.lo, y.hi, y_target) : std::vector<double>{}) {
    const double p = f.sy(t);
    svg.line(f.left, p, f.right, p, grid);
    svg.line(f.left - 5, p, f.left, p, ink);
    svg.text(f.left - 8, p + 4, tick_label(t, ystep), 11, "end");
  }
  svg.line(f.left, f.bottom, f.right, f.bottom, ink);
  svg.line(f.left, f.top, f.left, f.bottom, ink);
  svg.text(0.5 * (f.left + f.right), f.bottom + 38, x_label, 12);
  svg.text(16, 0.5 * (f.top + f.bottom), y_label, 12, "middle", true);
  svg.text(0.5 * svg.width(), 20, title, 14);
  return f;
}

void draw_colour_bar(SvgCanvas& svg, double x, double top, double height, Interval range, const std::string& label) {
  const int steps = 48;
  const double h = height / steps;
  for (int i = 0; i < steps; ++i)  // top of the bar = high values
    svg.rect(x, top + i * h, 14, h + 0.6, sequential_colour(1.0 - (i + 0.5) / steps));
  const LinearScale s{range.lo, range.hi, top + height, top};
  const double step = nice_step(range.hi - range.lo, 4);
  for (double t : nice_ticks(range.lo, range.hi, 4)) {
    svg.line(x + 14, s(t), x + 18, s(t), {40, 40, 40});
    svg.text(x + 21, s(t) + 4, tick_label(t, step), 10, "start");
  }
  svg.text(x, top - 8, label, 11, "start");
}

void draw_legend(SvgCanvas& svg, double x, double top, const std::vector<LegendEntry>& entries) {
  double y = top;
  for (const auto& e : entries) {
    if (e.label.empty()) continue;
    if (e.filled)
      svg.rect(x, y - 6, 22, 10, e.colour);
    else
      svg.line(x, y - 1, x + 22, y - 1, e.colour, 2.0, e.dashed);
    svg.text(x + 28, y + 3, e.label, 11, "start");
    y += 17;
  }
}

}  // namespace cspt::report::detail
