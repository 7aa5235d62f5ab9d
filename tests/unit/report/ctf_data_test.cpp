// Tests for the per-tilt CTF figure data on a hand-made project: fits, defocus change, errors
// against the truth, example tilts and diagnostics file names.
#include "cspt/report/ctf_data.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace cspt::report {
namespace {

TiltRecord tilt(int order, double nominal_deg, double u_A, double v_A, double angle_deg) {
  TiltRecord t;
  t.section = order;
  t.acquisition_order = order;
  t.nominal_tilt_deg = nominal_deg;
  t.defocus_u_A = u_A;
  t.defocus_v_A = v_A;
  t.defocus_angle_deg = angle_deg;
  t.ctf_score = 0.8;
  t.ctf_resolution_A = 6.0;
  return t;
}

/// One series of three tilts (the third not fitted), with its truth.
Project hand_made(bool with_truth = true) {
  Project p;
  TiltSeriesRecord ts;
  ts.name = "ts_a";
  ts.tilts = {tilt(0, 0.0, 20000, 19000, 30), tilt(1, 3.0, 21000, 20600, 170), tilt(2, -3.0, 0, 0, 0)};
  p.tilt_series.push_back(ts);
  if (with_truth) {
    Truth t;
    t.tilts = {{tilt(0, 0.0, 20100, 19100, 25), tilt(1, 3.0, 20800, 20300, -5), tilt(2, -3.0, 20000, 20000, 0)}};
    p.truth = t;
  }
  return p;
}

TEST(CtfDataTest, angle_differences_wrap_with_period_180) {
  EXPECT_DOUBLE_EQ(astigmatism_angle_difference_deg(30, 25), 5);
  EXPECT_DOUBLE_EQ(astigmatism_angle_difference_deg(170, -5), -5);
  EXPECT_DOUBLE_EQ(astigmatism_angle_difference_deg(10, 170), 20);
  EXPECT_DOUBLE_EQ(astigmatism_angle_difference_deg(90, 0), 90);
  EXPECT_DOUBLE_EQ(astigmatism_angle_difference_deg(-90, 0), 90);  // (-90, 90]
  EXPECT_DOUBLE_EQ(astigmatism_angle_difference_deg(400, 0), 40);
}

TEST(CtfDataTest, per_tilt_table_has_mean_defocus_and_astigmatism) {
  const Table t = ctf_per_tilt_table(hand_made());
  ASSERT_EQ(t.rows(), 3u);
  EXPECT_EQ(t.text(0, "series"), "ts_a");
  EXPECT_EQ(t.number(0, "defocus_mean_A"), 19500.0);
  EXPECT_EQ(t.number(0, "astigmatism_A"), 1000.0);
  EXPECT_EQ(t.number(1, "astigmatism_A"), 400.0);
  EXPECT_EQ(t.number(1, "astigmatism_angle_deg"), 170.0);
  EXPECT_EQ(t.number(1, "tilt_deg"), 3.0);
  EXPECT_EQ(t.number(2, "fitted"), 0.0);
  EXPECT_TRUE(std::isnan(t.number(2, "defocus_mean_A")));
  EXPECT_TRUE(std::isnan(t.number(2, "ctf_score")));
}

TEST(CtfDataTest, defocus_change_is_relative_to_the_first_image) {
  const Table t = defocus_change_table(hand_made());
  ASSERT_EQ(t.rows(), 2u);  // the unfitted tilt is left out
  EXPECT_EQ(t.number(0, "defocus_change_A"), 0.0);
  EXPECT_EQ(t.number(1, "defocus_change_A"), 20800.0 - 19500.0);
  Project p = hand_made();
  p.tilt_series[0].tilts[0].defocus_u_A = 0;  // first image not fitted: no reference
  const Table u = defocus_change_table(p);
  ASSERT_EQ(u.rows(), 1u);
  EXPECT_TRUE(std::isnan(u.number(0, "defocus_change_A")));
}

TEST(CtfDataTest, errors_against_the_truth_per_tilt) {
  const Table t = ctf_error_table(hand_made());
  ASSERT_EQ(t.rows(), 2u);
  EXPECT_EQ(t.number(0, "fitted_mean_A"), 19500.0);
  EXPECT_EQ(t.number(0, "true_mean_A"), 19600.0);
  EXPECT_EQ(t.number(0, "mean_error_A"), -100.0);
  EXPECT_EQ(t.number(0, "astigmatism_error_A"), 0.0);
  EXPECT_DOUBLE_EQ(t.number(0, "angle_error_deg"), 5.0);
  EXPECT_EQ(t.number(1, "mean_error_A"), 250.0);
  EXPECT_EQ(t.number(1, "fitted_astigmatism_A"), 400.0);
  EXPECT_EQ(t.number(1, "true_astigmatism_A"), 500.0);
  EXPECT_EQ(t.number(1, "astigmatism_error_A"), -100.0);
  EXPECT_DOUBLE_EQ(t.number(1, "angle_error_deg"), -5.0);
  EXPECT_EQ(ctf_error_table(hand_made(false)).rows(), 0u);
}

TEST(CtfDataTest, example_tilts_are_the_nearest_without_repeats) {
  TiltSeriesRecord ts;
  for (double a : {0.0, 3.0, -3.0, 51.0, -51.0, 54.0}) ts.tilts.push_back(tilt(int(ts.tilts.size()), a, 1, 1, 0));
  EXPECT_EQ(example_tilts(ts, {-51, 0, 51}), (std::vector<int>{4, 0, 3}));
  EXPECT_EQ(example_tilts(ts, {-60, 60}), (std::vector<int>{4, 5}));
  TiltSeriesRecord one;
  one.tilts.push_back(tilt(0, 0.0, 1, 1, 0));
  EXPECT_EQ(example_tilts(one, {-51, 0, 51}), (std::vector<int>{0}));
  EXPECT_TRUE(example_tilts(TiltSeriesRecord{}, {0}).empty());
}

TEST(CtfDataTest, diagnostics_names_follow_cspt_ctf) {
  TiltSeriesRecord ts;
  ts.name = "ts_001";
  ts.tilts = {tilt(7, -3.0, 1, 1, 0), tilt(12, 12.5, 1, 1, 0), tilt(0, 0.0, 1, 1, 0)};
  EXPECT_EQ(ctf_diagnostics_name(ts, 0), "ts_001_07_-03.0.png");
  EXPECT_EQ(ctf_diagnostics_name(ts, 1), "ts_001_12_+12.5.png");
  EXPECT_EQ(ctf_diagnostics_name(ts, 2), "ts_001_00_+00.0.png");
}

}  // namespace
}  // namespace cspt::report
