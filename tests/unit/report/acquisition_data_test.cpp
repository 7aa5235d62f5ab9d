// Tests for the acquisition figure data on a hand-made record of two ROIs: trajectories, defocus
// source and sign, the exaggeration, spreads per tilt, the simulated truth, and timing.
#include "cspt/report/acquisition_data.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "cspt/util/error.hpp"

namespace cspt::report {
namespace {

AcquisitionTable table(const std::string& name, std::vector<std::pair<std::string, std::vector<double>>> columns) {
  AcquisitionTable t;
  t.name = name;
  for (auto& [n, v] : columns) t.columns.push_back({n, "", std::move(v)});
  return t;
}

/// ROI 001 at (0, 0) um and ROI 002 at (3, 4) um (5 um apart), three tilts each, and a tracking
/// table whose times start and end the session (40 s .. 400 s).
AcquisitionRecord hand_made() {
  AcquisitionRecord r;
  r.tables.push_back(table("tracking", {{"tilt_index", {0, 2}}, {"time_s", {40, 400}}}));
  r.tables.push_back(table("roi_001", {{"tilt_index", {0, 1, 2}},
                                       {"tilt_deg", {0, 3, -3}},
                                       {"command_x_um", {0, 0.1, 0.2}},
                                       {"command_y_um", {0, 0, 0}},
                                       {"residual_x_nm", {10, 20, 30}},
                                       {"residual_y_nm", {0, -10, 5}},
                                       {"focus_um", {-3, -3.2, -2.8}},
                                       {"ctf_defocus_um", {NAN, -3.1, NAN}},
                                       {"accepted", {1, 0, 1}},
                                       {"time_s", {100, 200, 300}}}));
  r.tables.push_back(table("roi_002", {{"tilt_index", {0, 1, 2}},
                                       {"tilt_deg", {0.01, 3.01, -2.99}},
                                       {"command_x_um", {3, 3, 3}},
                                       {"command_y_um", {4, 4, 4}},
                                       {"residual_x_nm", {40, 50, 60}},
                                       {"residual_y_nm", {0, 0, 0}},
                                       {"focus_um", {-3, -3, -3}},
                                       {"time_s", {110, 210, 310}}}));
  r.tables.push_back(table("roi_003", {{"tilt_index", {0}}}));  // no positions: skipped
  return r;
}

TEST(AcquisitionDataTest, tables_and_columns_by_name) {
  const AcquisitionRecord r = hand_made();
  ASSERT_EQ(roi_tables(r).size(), 3u);
  EXPECT_EQ(roi_tables(r)[0]->name, "roi_001");
  EXPECT_NE(find_column(r.tables[1], "focus_um"), nullptr);
  EXPECT_EQ(find_column(r.tables[1], "nope"), nullptr);
}

TEST(AcquisitionDataTest, trajectories_take_the_defocus_from_the_ctf_when_there_is_one) {
  const auto pts = roi_trajectories(hand_made());
  ASSERT_EQ(pts.size(), 6u);
  EXPECT_EQ(pts[0].roi, "001");
  EXPECT_EQ(pts[2].anchor_x_um, 0.0);  // the first commanded position, not the current one
  EXPECT_DOUBLE_EQ(pts[0].defocus_um, 3.0);  // SerialEM's sign flipped: underfocus positive
  EXPECT_FALSE(pts[0].from_ctf);
  EXPECT_DOUBLE_EQ(pts[1].defocus_um, 3.1);
  EXPECT_TRUE(pts[1].from_ctf);
  EXPECT_FALSE(pts[1].accepted);
  EXPECT_TRUE(pts[4].accepted);  // no "accepted" column: all accepted
  EXPECT_EQ(pts[4].tilt_index, 1);
  EXPECT_EQ(pts[4].anchor_y_um, 4.0);
}

TEST(AcquisitionDataTest, exaggeration_is_a_125_number_near_a_third_of_the_spacing) {
  // Residual lengths (um) 0.01, 0.0224, 0.0304, 0.04, 0.05, 0.06: 95th percentile 0.0575;
  // (5 / 3) / 0.0575 = 29.0, nearest in ratio among 10, 20, 50, 100 is 20.
  const auto pts = roi_trajectories(hand_made());
  EXPECT_DOUBLE_EQ(trajectory_exaggeration(pts), 20.0);
  const Table t = trajectory_table(pts, 20.0);
  ASSERT_EQ(t.rows(), 6u);
  EXPECT_DOUBLE_EQ(t.number(3, "plot_x_um"), 3.0 + 20 * 0.04);
  EXPECT_DOUBLE_EQ(t.number(1, "plot_y_um"), 0.0 - 20 * 0.01);
  EXPECT_EQ(t.text(1, "defocus_source"), "ctf");
  EXPECT_EQ(t.text(0, "defocus_source"), "focus");
  std::vector<TrajectoryPoint> lone(pts.begin(), pts.begin() + 3);
  EXPECT_EQ(trajectory_exaggeration(lone), 1.0);  // one ROI: no spacing
}

TEST(AcquisitionDataTest, quantiles_interpolate_like_numpy) {
  EXPECT_DOUBLE_EQ(quantile({4, 1, 3, 2}, 0.25), 1.75);
  EXPECT_DOUBLE_EQ(quantile({4, 1, 3, 2}, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(quantile({4, 1, NAN, 3, 2}, 1.0), 4.0);
  EXPECT_DOUBLE_EQ(quantile({7}, 0.3), 7.0);
  EXPECT_TRUE(std::isnan(quantile({}, 0.5)));
}

TEST(AcquisitionDataTest, targeting_spread_per_tilt_over_the_rois) {
  const Table t = targeting_table(roi_trajectories(hand_made()));
  ASSERT_EQ(t.rows(), 3u);
  EXPECT_EQ(t.number(0, "n"), 2.0);
  EXPECT_DOUBLE_EQ(t.number(0, "tilt_deg"), 0.005);
  EXPECT_DOUBLE_EQ(t.number(0, "residual_x_nm_median"), 25.0);
  EXPECT_DOUBLE_EQ(t.number(0, "residual_x_nm_q25"), 17.5);
  EXPECT_DOUBLE_EQ(t.number(0, "residual_x_nm_q75"), 32.5);
  EXPECT_DOUBLE_EQ(t.number(1, "residual_y_nm_median"), -5.0);
}

TEST(AcquisitionDataTest, track_truth_counts_tilts_per_roi) {
  const std::string json =
      R"({"records": [{"roi": "001", "tilt_deg": 0, "targeting_nm": 10, "defocus_error_um": 0.1},
                      {"roi": "002", "tilt_deg": 0, "targeting_nm": 30, "defocus_error_um": -0.1},
                      {"roi": "001", "tilt_deg": 3, "targeting_nm": 20, "defocus_error_um": 0.2}]})";
  const auto r = parse_track_truth("truth.json", json);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[1].tilt_index, 0);
  EXPECT_EQ(r[2].tilt_index, 1);
  const Table t = truth_error_table(r);
  ASSERT_EQ(t.rows(), 2u);
  EXPECT_DOUBLE_EQ(t.number(0, "targeting_nm_median"), 20.0);
  EXPECT_DOUBLE_EQ(t.number(0, "defocus_error_um_median"), 0.0);
  EXPECT_DOUBLE_EQ(t.number(1, "targeting_nm_q25"), 20.0);
  EXPECT_EQ(t.number(1, "n"), 1.0);
  for (const char* bad : {"not json", "[]", R"({"records": 3})", R"({"records": [{"tilt_deg": 1}]})"}) {
    try {
      parse_track_truth("truth.json", bad);
      ADD_FAILURE() << bad;
    } catch (const IoError& e) {
      EXPECT_EQ(e.where(), "truth.json");
    }
  }
}

TEST(AcquisitionDataTest, timeline_and_minutes_per_tilt_series) {
  const AcquisitionRecord r = hand_made();
  const Table t = acquisition_timeline_table(r);
  ASSERT_EQ(t.rows(), 3u);
  EXPECT_DOUBLE_EQ(t.number(0, "start_min"), 1.0);  // (100 - 40) / 60
  EXPECT_DOUBLE_EQ(t.number(1, "start_min"), 160.0 / 60.0);
  EXPECT_EQ(t.number(2, "records"), 2.0);
  // 40 s .. 400 s over three ROI tables (the third has no times but is an ROI).
  EXPECT_DOUBLE_EQ(minutes_per_tilt_series(r), 6.0 / 3.0);
  EXPECT_TRUE(std::isnan(minutes_per_tilt_series(AcquisitionRecord{})));
}

}  // namespace
}  // namespace cspt::report
