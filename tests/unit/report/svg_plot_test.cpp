// Tests for the SVG plots: structure of the output, where data points land, and text escaping.
#include "cspt/report/svg_plot.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace cspt::report {
namespace {

int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(SvgPlotTest, xml_escape_replaces_the_five_special_characters) {
  EXPECT_EQ(xml_escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
  EXPECT_EQ(xml_escape("plain"), "plain");
}

TEST(SvgPlotTest, one_polyline_per_line_series_and_a_legend_entry_per_label) {
  XyPlot p;
  p.title = "FSC <test>";
  p.series.push_back(make_series("unmasked", {0, 1, 2}, {1, 0.5, 0}, {200, 40, 160}));
  p.series.push_back(make_series("masked", {0, 1, 2}, {1, 0.7, 0.1}, {40, 80, 200}));
  const std::string svg = xy_plot_svg(p);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_EQ(svg.substr(svg.size() - 6), "</svg>");
  EXPECT_EQ(count(svg, "<polyline"), 2);
  EXPECT_EQ(count(svg, ">unmasked</text>"), 1);
  EXPECT_EQ(count(svg, ">masked</text>"), 1);
  EXPECT_NE(svg.find("FSC &lt;test&gt;"), std::string::npos);
  EXPECT_EQ(svg.find("<test>"), std::string::npos);
}

TEST(SvgPlotTest, a_point_lands_where_the_scales_put_it) {
  // 640 x 400 without legend or colour bar: plot area x 70..622, y 32..354 (svg_canvas.cpp).
  XyPlot p;
  p.x_range = Interval{0.0, 10.0};
  p.y_range = Interval{0.0, 1.0};
  p.series.push_back(make_series("", {5.0}, {0.5}, {0, 0, 0}, Mark::points));
  const std::string svg = xy_plot_svg(p);
  EXPECT_NE(svg.find("cx=\"346.0\" cy=\"193.0\""), std::string::npos) << svg;
  // Ticks of both axes are labelled: 0, 2, ..., 10 and 0, 0.2, ..., 1.
  EXPECT_NE(svg.find(">10</text>"), std::string::npos);
  EXPECT_NE(svg.find(">0.6</text>"), std::string::npos);
}

TEST(SvgPlotTest, values_outside_a_fixed_range_are_pinned_to_its_edge) {
  XyPlot p;
  p.x_range = Interval{0.0, 10.0};
  p.y_range = Interval{0.0, 1.0};
  p.series.push_back(make_series("", {5.0}, {7.0}, {0, 0, 0}, Mark::points));
  EXPECT_NE(xy_plot_svg(p).find("cx=\"346.0\" cy=\"32.0\""), std::string::npos);
}

TEST(SvgPlotTest, a_non_finite_point_breaks_the_line) {
  XyPlot p;
  p.series.push_back(make_series("", {0, 1, 2, 3, 4}, {0, 1, NAN, 3, 4}, {0, 0, 0}));
  EXPECT_EQ(count(xy_plot_svg(p), "<polyline"), 2);
}

TEST(SvgPlotTest, bands_are_filled_polygons) {
  XyPlot p;
  Series s = make_series("", {0, 1, 2}, {0.5, 0.6, 0.7}, {10, 20, 30}, Mark::band);
  s.y_low = {0, 0, 0};
  p.series = {s, s};
  const std::string svg = xy_plot_svg(p);
  EXPECT_EQ(count(svg, "<polygon"), 2);
  EXPECT_EQ(count(svg, "<polyline"), 0);
}

TEST(SvgPlotTest, colour_values_draw_coloured_segments_and_a_colour_bar) {
  XyPlot p;
  Series s = make_series("", {0, 1, 2}, {0, 1, 0}, {0, 0, 0});
  s.colour_values = {0.0, 0.5, 1.0};
  p.series.push_back(s);
  const std::string svg = xy_plot_svg(p);
  EXPECT_EQ(count(svg, "<polyline"), 0);
  EXPECT_NE(svg.find("stroke=\"#440154\""), std::string::npos);  // first segment: value 0
  EXPECT_NE(svg.find("stroke=\"#21918c\""), std::string::npos);  // second: value 0.5
  EXPECT_GE(count(svg, "<rect"), 1 + 48);                         // background + colour bar
}

TEST(SvgPlotTest, error_bars_are_vertical_lines) {
  XyPlot p;
  p.x_range = Interval{0.0, 10.0};
  p.y_range = Interval{0.0, 1.0};
  Series s = make_series("", {5.0}, {0.5}, {1, 2, 3}, Mark::points);
  s.err_lo = {0.25};
  s.err_hi = {0.75};
  p.series.push_back(s);
  // y 0.25 -> 273.5, 0.75 -> 112.5
  EXPECT_NE(xy_plot_svg(p).find("x1=\"346.0\" y1=\"273.5\" x2=\"346.0\" y2=\"112.5\" stroke=\"#010203\""),
            std::string::npos);
}

TEST(SvgPlotTest, equal_aspect_uses_the_same_units_per_pixel_on_both_axes) {
  XyPlot p;
  p.equal_aspect = true;
  p.x_range = Interval{0.0, 1.0};
  p.y_range = Interval{0.0, 1.0};
  // Plot area 552 x 322 px: y keeps 0..1 (1/322 per px), x widens to 552/322 units about 0.5.
  p.series.push_back(make_series("", {0.5, 1.0}, {0.5, 1.0}, {0, 0, 0}, Mark::points));
  const std::string svg = xy_plot_svg(p);
  EXPECT_NE(svg.find("cx=\"346.0\" cy=\"193.0\""), std::string::npos);
  EXPECT_NE(svg.find("cx=\"507.0\" cy=\"32.0\""), std::string::npos);  // 346 + 0.5 * 322
}

TEST(SvgChartsTest, histogram_draws_one_outlined_bar_per_non_empty_bin) {
  HistogramPlot h;
  h.edges = {0, 1, 2, 3};
  h.counts = {1, 0, 2};
  const std::string svg = histogram_svg(h);
  EXPECT_EQ(count(svg, "stroke=\"#333333\""), 2);
}

TEST(SvgChartsTest, heat_map_draws_every_cell_and_a_colour_bar) {
  HeatMap m;
  m.nx = 3;
  m.ny = 2;
  m.values = {0, 1, 2, 3, 4, NAN};
  m.x_extent = {0, 3};
  m.y_extent = {0, 2};
  const std::string svg = heat_map_svg(m);
  EXPECT_EQ(count(svg, "<rect"), 1 + 6 + 48);
  EXPECT_NE(svg.find("fill=\"#cccccc\""), std::string::npos);  // the NaN cell
  EXPECT_NE(svg.find("fill=\"#440154\""), std::string::npos);  // the minimum
  EXPECT_NE(svg.find("fill=\"#fde725\""), std::string::npos);  // the maximum
}

TEST(SvgChartsTest, bar_chart_names_every_category) {
  BarChart c;
  c.categories = {"ctf", "refine: tilts"};
  c.values = {4.0, 0.5};
  const std::string svg = bar_chart_svg(c);
  EXPECT_NE(svg.find(">ctf</text>"), std::string::npos);
  EXPECT_NE(svg.find(">refine: tilts</text>"), std::string::npos);
  EXPECT_EQ(count(svg, "stroke=\"#333333\""), 2);
}

}  // namespace
}  // namespace cspt::report
