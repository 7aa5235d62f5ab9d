// Private drawing layer of the report's SVG plots: an SVG text builder, plot frames with ticks and
// labels, colour bars and legends. Used by svg_plot.cpp and svg_charts.cpp only.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "cspt/report/svg_scale.hpp"

namespace cspt::report::detail {

using Point = std::pair<double, double>;

/// Accumulates the elements of one <svg> figure.
class SvgCanvas {
 public:
  SvgCanvas(int width_px, int height_px, const std::string& title);
  void line(double x0, double y0, double x1, double y1, const Colour& c, double width = 1.0, bool dashed = false);
  void polyline(const std::vector<Point>& pts, const Colour& c, double width, bool dashed);
  void polygon(const std::vector<Point>& pts, const Colour& fill, double opacity);
  void rect(double x, double y, double w, double h, const Colour& fill, bool outline = false);
  void circle(double x, double y, double r, const Colour& fill);
  /// anchor: "start", "middle" or "end"; rotated text runs upwards (y axis labels).
  void text(double x, double y, const std::string& s, double size_px = 12, const char* anchor = "middle",
            bool rotated = false);
  int width() const { return width_; }
  int height() const { return height_; }
  /// The complete <svg> element.
  std::string finish() const;

 private:
  int width_, height_;
  std::string body_;
};

/// The plot area of a figure and its scales.
struct Frame {
  double left = 0, right = 0, top = 0, bottom = 0;  ///< pixel edges of the plot area
  Interval x, y;                                    ///< data shown
  LinearScale sx, sy;
};

/// Pixel edges of the plot area for a canvas, leaving `extra_right` px for a legend or colour bar.
Frame plot_area(int width_px, int height_px, double extra_right, bool has_note = false);

/// Sets the data intervals and scales of `f` and draws the frame, grid, ticks, tick labels and axis
/// labels (and the title above). Returns f.
Frame draw_axes(SvgCanvas& svg, Frame f, Interval x, Interval y, const std::string& title,
                const std::string& x_label, const std::string& y_label, bool y_ticks = true);

/// A vertical colour bar of sequential_colour over `range` at pixel x, from top to top + height.
void draw_colour_bar(SvgCanvas& svg, double x, double top, double height, Interval range, const std::string& label);

struct LegendEntry {
  std::string label;
  Colour colour;
  bool dashed = false, filled = false;
};
/// Legend entries stacked downwards from (x, top).
void draw_legend(SvgCanvas& svg, double x, double top, const std::vector<LegendEntry>& entries);

/// "%.1f" of a pixel coordinate.
std::string px(double v);

}  // namespace cspt::report::detail
