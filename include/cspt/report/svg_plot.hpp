// The report's plots as standalone SVG text (no external library, no script): line and scatter
// plots with bands, error bars and colour-coded points, histograms, bar charts and heat maps.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cspt/report/svg_scale.hpp"

namespace cspt::report {

/// How a series is drawn.
enum class Mark {
  line,             ///< polyline through the points in order; a non-finite point breaks it
  points,           ///< a dot per point
  line_and_points,  ///< both
  band,             ///< the area between y_low and y, filled (stacked-contribution plots)
};

struct Series {
  std::string label;  ///< legend entry ("" = not in the legend)
  std::vector<double> x, y;
  Colour colour;
  Mark mark = Mark::line;
  bool dashed = false;
  double stroke_px = 1.6;
  std::vector<double> y_low;                ///< band: lower edge, one per point
  std::vector<double> err_lo, err_hi;       ///< optional error bars from err_lo to err_hi, one per point
  /// Optional: a value per point; points (and the segment starting at each point) are then coloured
  /// by it through sequential_colour over the plot's colour range, and a colour bar is drawn.
  std::vector<double> colour_values;
};

/// A series with the common fields set (the others empty).
Series make_series(std::string label, std::vector<double> x, std::vector<double> y, Colour colour, Mark mark = Mark::line);

/// A straight reference line across the plot (e.g. FSC = 0.143, or a resolution).
struct ReferenceLine {
  bool horizontal = true;  ///< y = value if true, else x = value
  double value = 0.0;
  std::string label;
  Colour colour{120, 120, 120};
};

struct XyPlot {
  std::string title, x_label, y_label;
  int width_px = 640, height_px = 400;
  std::vector<Series> series;
  std::vector<ReferenceLine> lines;
  std::optional<Interval> x_range, y_range;  ///< default: the data, widened to nice ticks
  /// Default: the colour values' min and max. When set, a colour bar is drawn even if no series has
  /// colour values (e.g. for bands coloured by hand with sequential_colour).
  std::optional<Interval> colour_range;
  std::string colour_label;                  ///< title of the colour bar
  bool equal_aspect = false;                 ///< same data units per pixel on x and y (maps of positions)
  std::string note;                          ///< a line of small text under the title
};

/// Counts in bins: bin i covers [edges[i], edges[i+1]).
struct HistogramPlot {
  std::string title, x_label, y_label = "count";
  int width_px = 640, height_px = 360;
  std::vector<double> edges, counts;
  Colour colour{31, 119, 180};
  std::vector<ReferenceLine> lines;
};

/// One bar per category (horizontal bars, so that long names fit).
struct BarChart {
  std::string title, value_label;
  int width_px = 640;
  std::vector<std::string> categories;
  std::vector<double> values;
  Colour colour{31, 119, 180};
};

/// A grid of values: cell (i, j) covers x in [x.lo + i dx, x.lo + (i+1) dx) and y likewise, with
/// row j = 0 at the bottom. values[j * nx + i]; NaN cells are light grey.
struct HeatMap {
  std::string title, x_label, y_label, colour_label;
  int width_px = 640, height_px = 400;
  int nx = 0, ny = 0;
  std::vector<double> values;
  Interval x_extent, y_extent;
  std::optional<Interval> colour_range;  ///< default: the finite values' min and max
};

std::string xy_plot_svg(const XyPlot& plot);
std::string histogram_svg(const HistogramPlot& plot);
std::string bar_chart_svg(const BarChart& chart);
std::string heat_map_svg(const HeatMap& map);

/// Text made safe for XML and HTML content and attribute values (& < > " ').
std::string xml_escape(const std::string& text);

}  // namespace cspt::report
