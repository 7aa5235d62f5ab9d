// Tests for the plot axis arithmetic: scales, nice ticks, tick labels and colour maps.
#include "cspt/report/svg_scale.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace cspt::report {
namespace {

TEST(LinearScaleTest, maps_data_linearly_onto_pixels) {
  const LinearScale s{0.0, 10.0, 100.0, 200.0};
  EXPECT_DOUBLE_EQ(s(0.0), 100.0);
  EXPECT_DOUBLE_EQ(s(5.0), 150.0);
  EXPECT_DOUBLE_EQ(s(12.0), 220.0);  // no clamping
  const LinearScale up{0.0, 1.0, 300.0, 100.0};  // a y axis: larger values higher on the page
  EXPECT_DOUBLE_EQ(up(0.25), 250.0);
  const LinearScale flat{3.0, 3.0, 0.0, 50.0};
  EXPECT_DOUBLE_EQ(flat(7.0), 25.0);
}

TEST(NiceTicksTest, steps_are_one_two_or_five_times_a_power_of_ten) {
  EXPECT_DOUBLE_EQ(nice_step(1.0, 5), 0.2);
  EXPECT_DOUBLE_EQ(nice_step(10.0, 5), 2.0);
  EXPECT_DOUBLE_EQ(nice_step(0.25, 5), 0.05);
  EXPECT_DOUBLE_EQ(nice_step(37.0, 6), 5.0);
  EXPECT_DOUBLE_EQ(nice_step(80.0, 6), 10.0);
  EXPECT_DOUBLE_EQ(nice_step(0.0, 5), 1.0);
  EXPECT_DOUBLE_EQ(nice_step(-3.0, 5), 1.0);
}

TEST(NiceTicksTest, ticks_cover_the_interval_ends_included) {
  const auto t = nice_ticks(0.0, 1.0, 5);
  ASSERT_EQ(t.size(), 6u);
  for (std::size_t i = 0; i < t.size(); ++i) EXPECT_NEAR(t[i], 0.2 * double(i), 1e-12);
  const auto u = nice_ticks(-40.0, 40.0, 6);
  ASSERT_EQ(u.size(), 9u);
  EXPECT_DOUBLE_EQ(u.front(), -40.0);
  EXPECT_DOUBLE_EQ(u[4], 0.0);
  EXPECT_DOUBLE_EQ(u.back(), 40.0);
  const auto v = nice_ticks(0.03, 0.97, 5);  // only the multiples of 0.2 inside
  ASSERT_EQ(v.size(), 4u);
  EXPECT_NEAR(v.front(), 0.2, 1e-12);
  EXPECT_TRUE(nice_ticks(1.0, 1.0, 5).empty());
  EXPECT_TRUE(nice_ticks(0.0, NAN, 5).empty());
}

TEST(NiceTicksTest, nice_interval_widens_to_whole_steps) {
  const Interval i = nice_interval({0.03, 0.97}, 5);
  EXPECT_NEAR(i.lo, 0.0, 1e-12);
  EXPECT_NEAR(i.hi, 1.0, 1e-12);
  const Interval j = nice_interval({-37.0, 38.0}, 6);  // step 10
  EXPECT_NEAR(j.lo, -40.0, 1e-12);
  EXPECT_NEAR(j.hi, 40.0, 1e-12);
  const Interval k = nice_interval({0.0, 20.0}, 5);  // already on ticks: unchanged
  EXPECT_NEAR(k.lo, 0.0, 1e-12);
  EXPECT_NEAR(k.hi, 20.0, 1e-12);
}

TEST(TickLabelTest, as_many_decimals_as_the_step_needs) {
  EXPECT_EQ(tick_label(0.25, 0.05), "0.25");
  EXPECT_EQ(tick_label(0.5, 0.25), "0.50");
  EXPECT_EQ(tick_label(0.4, 0.2), "0.4");
  EXPECT_EQ(tick_label(5.0, 5.0), "5");
  EXPECT_EQ(tick_label(-20.0, 10.0), "-20");
  EXPECT_EQ(tick_label(-1e-17, 0.2), "0");
  EXPECT_EQ(tick_label(2e6, 1e6), "2e+06");
  EXPECT_EQ(tick_label(5e-5, 1e-5), "5e-05");
}

TEST(DataIntervalTest, finite_min_and_max_widened_when_flat) {
  const Interval a = data_interval({{1.0, NAN, 3.0}, {2.0}, {}});
  EXPECT_EQ(a.lo, 1.0);
  EXPECT_EQ(a.hi, 3.0);
  const Interval none = data_interval({{NAN}});
  EXPECT_EQ(none.lo, 0.0);
  EXPECT_EQ(none.hi, 1.0);
  const Interval one = data_interval({{5.0}});
  EXPECT_EQ(one.lo, 4.0);
  EXPECT_EQ(one.hi, 6.0);
  const Interval big = data_interval({{100.0, 100.0}});
  EXPECT_EQ(big.lo, 90.0);
  EXPECT_EQ(big.hi, 110.0);
}

TEST(ColourTest, sequential_map_runs_through_its_key_colours) {
  EXPECT_EQ(sequential_colour(0.0).hex(), "#440154");
  EXPECT_EQ(sequential_colour(0.5).hex(), "#21918c");
  EXPECT_EQ(sequential_colour(1.0).hex(), "#fde725");
  EXPECT_EQ(sequential_colour(-3.0).hex(), "#440154");  // clamped
  EXPECT_EQ(sequential_colour(NAN).hex(), "#cccccc");
  // Half-way between the first two keys (68,1,84) and (59,82,139): rounded means.
  EXPECT_EQ(sequential_colour(0.125).hex(), "#402a70");
}

TEST(ColourTest, categorical_palette_repeats_after_eight) {
  EXPECT_EQ(categorical_colour(0).hex(), categorical_colour(8).hex());
  EXPECT_NE(categorical_colour(0).hex(), categorical_colour(1).hex());
  EXPECT_EQ(categorical_colour(-1).hex(), categorical_colour(7).hex());
}

}  // namespace
}  // namespace cspt::report
