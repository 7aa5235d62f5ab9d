// Tests for the exposure-weighting figure data: scores per exposure and the weight map with its
// cumulative contributions, against hand-computed values.
#include "cspt/report/score_data.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "cspt/util/error.hpp"

namespace cspt::report {
namespace {

const char* kHeader = "acquisition_order,mean_tilt_deg,mean_score,n_projections,prior_dose_e_per_A2\n";

TEST(ScoreDataTest, rows_are_put_at_their_acquisition_order) {
  const std::string text = std::string(kHeader) + "2,-3,0.2,8,400\n0,0,0.4,8,0\n1,3,0.3,8,200\n";
  const TiltScores s = parse_tilt_scores(parse_numeric_csv("tilt_scores.csv", text), 4);
  EXPECT_EQ(s.iteration, 4);
  EXPECT_EQ(s.mean_score, (std::vector<double>{0.4, 0.3, 0.2}));
  EXPECT_EQ(s.mean_tilt_deg, (std::vector<double>{0, 3, -3}));
  EXPECT_EQ(s.prior_dose_e_per_A2, (std::vector<double>{0, 200, 400}));
  const Table t = tilt_scores_table({s});
  ASSERT_EQ(t.rows(), 3u);
  EXPECT_EQ(t.number(2, "acquisition_order"), 2.0);
  EXPECT_EQ(t.number(2, "mean_score"), 0.2);
  EXPECT_EQ(t.number(0, "iteration"), 4.0);
}

TEST(ScoreDataTest, a_gap_in_the_orders_is_nan) {
  const TiltScores s = parse_tilt_scores(parse_numeric_csv("t.csv", std::string(kHeader) + "0,0,0.4,8,0\n2,3,0.3,8,200\n"), 1);
  ASSERT_EQ(s.mean_score.size(), 3u);
  EXPECT_TRUE(std::isnan(s.mean_score[1]));
}

TEST(ScoreDataTest, repeated_negative_or_fractional_orders_are_refused) {
  for (const char* rows : {"0,0,0.4,8,0\n0,3,0.3,8,200\n", "-1,0,0.4,8,0\n", "0.5,0,0.4,8,0\n"})
    EXPECT_THROW(parse_tilt_scores(parse_numeric_csv("t.csv", std::string(kHeader) + rows), 1), IoError) << rows;
  EXPECT_THROW(parse_tilt_scores(parse_numeric_csv("t.csv", "acquisition_order,mean_score\n0,1\n"), 1), IoError);
}

TEST(WeightMapTest, cumulative_contributions_of_a_known_table) {
  // Two exposures, three shells: column sums 4, 4, 0.
  const NumericCsv csv = parse_numeric_csv("weights.csv", "acquisition_order,shell_0,shell_1,shell_2\n0,1,2,0\n1,3,2,0\n");
  EXPECT_EQ(box_from_weight_shells(3), 2);
  const WeightMap m = weight_map(csv, 2, 1.5, {10.0});
  ASSERT_EQ(m.weights.size(), 2u);
  EXPECT_EQ(m.weights[1], (std::vector<double>{3, 2, 0}));
  EXPECT_DOUBLE_EQ(m.cumulative[0][0], 0.25);
  EXPECT_DOUBLE_EQ(m.cumulative[0][1], 0.5);
  EXPECT_DOUBLE_EQ(m.cumulative[1][0], 1.0);
  EXPECT_DOUBLE_EQ(m.cumulative[1][1], 1.0);
  EXPECT_DOUBLE_EQ(m.cumulative[1][2], 0.0);  // no weight at this shell at all
  EXPECT_DOUBLE_EQ(m.frequency_per_A[1], 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(m.frequency_per_A[2], 2.0 / 3.0);
  EXPECT_EQ(m.mean_tilt_deg[0], 10.0);
  EXPECT_TRUE(std::isnan(m.mean_tilt_deg[1]));
  const Table t = weight_map_table(m);
  ASSERT_EQ(t.rows(), 6u);
  EXPECT_EQ(t.number(4, "acquisition_order"), 1.0);
  EXPECT_EQ(t.number(4, "shell"), 1.0);
  EXPECT_EQ(t.number(4, "weight"), 2.0);
  EXPECT_DOUBLE_EQ(t.number(4, "cumulative_contribution"), 1.0);
  EXPECT_DOUBLE_EQ(t.number(1, "cumulative_contribution"), 0.5);
}

TEST(WeightMapTest, malformed_tables_name_the_file) {
  const auto bad = [](const std::string& text) { return parse_numeric_csv("weights.csv", text); };
  EXPECT_THROW(weight_map(bad("acquisition_order,shell_0\n1,1\n0,1\n"), 2, 1, {}), IoError);  // out of order
  EXPECT_THROW(weight_map(bad("acquisition_order,shell_0\n0,-1\n"), 2, 1, {}), IoError);      // negative
  EXPECT_THROW(weight_map(bad("acquisition_order,shell_0\n0,nan\n"), 2, 1, {}), IoError);     // not finite
  EXPECT_THROW(weight_map(bad("order,shell_0\n0,1\n"), 2, 1, {}), IoError);                   // header
  EXPECT_THROW(weight_map(bad("acquisition_order\n0\n"), 2, 1, {}), IoError);                 // no shells
}

}  // namespace
}  // namespace cspt::report
