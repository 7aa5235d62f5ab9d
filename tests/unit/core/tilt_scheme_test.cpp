// Tilt schemes: the BISECT paper's two lists, grid permutation, branch monotonicity, clipping, errors.
#include "cspt/core/tilt_scheme.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "cspt/util/error.hpp"

namespace cspt {
namespace {

// The two lists exactly as printed in the BISECT paper (Methods, dNTPase data collection), with the
// paper's Unicode minus sign U+2212; parsed below so the test compares against the printed text.
const char* const kPaperPm60 =
    "0, 3, −3, −6, 6, 9, −9, −12, 12, 15, −15, −18, −21, 18, 21, 24, 27, −24, −27, −30, −33, 30, 33, "
    "36, 39, 42, −36, −39, −42, −45, −48, 45, 48, 51, 54, 57, 60, −51, −54, −57, −60";
const char* const kPaperPm36 =
    "0, 3, −3, −6, 6, 9, −9, −12, 12, 15, −15, −18, −21, 18, 21, 24, −24, −27, −30, 27, 30, 33, 36, "
    "−33, −36";

std::vector<double> parse_paper_list(std::string s) {
  const std::string minus = "\u2212";
  for (auto pos = s.find(minus); pos != std::string::npos; pos = s.find(minus, pos))
    s.replace(pos, minus.size(), "-");
  std::replace(s.begin(), s.end(), ',', ' ');
  std::istringstream in(s);
  std::vector<double> v;
  for (double x; in >> x;) v.push_back(x);
  return v;
}

/// The sorted grid start + k * step within the limits.
std::vector<double> grid(const TiltSchemeParams& p) {
  std::vector<double> g;
  for (int k = -1000; k <= 1000; ++k) {
    const double a = p.start_deg + k * p.step_deg;
    if (a >= p.max_neg_deg - 1e-9 && a <= p.max_pos_deg + 1e-9) g.push_back(a);
  }
  return g;
}

void expect_permutation_of_grid(const std::vector<double>& order, const TiltSchemeParams& p) {
  std::vector<double> sorted = order;
  std::sort(sorted.begin(), sorted.end());
  const std::vector<double> g = grid(p);
  ASSERT_EQ(sorted.size(), g.size());
  for (std::size_t i = 0; i < g.size(); ++i) EXPECT_NEAR(sorted[i], g[i], 1e-9) << i;
}

/// Within each side of start, the distance from start grows strictly in acquisition order.
void expect_branches_monotone(const std::vector<double>& order, double start_deg) {
  double last_pos = 0, last_neg = 0;
  for (std::size_t i = 1; i < order.size(); ++i) {
    const double d = order[i] - start_deg;
    double& last = d > 0 ? last_pos : last_neg;
    EXPECT_GT(std::abs(d), last) << "index " << i << " angle " << order[i];
    last = std::abs(d);
  }
}

template <class F>
void expect_config_error(F f, const std::string& field) {
  try {
    f();
    ADD_FAILURE() << "no ConfigError thrown";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.field(), field) << e.what();
  }
}

TEST(TiltSchemeTest, paper_lists_parse_to_the_expected_lengths) {
  EXPECT_EQ(parse_paper_list(kPaperPm60).size(), 41u);
  EXPECT_EQ(parse_paper_list(kPaperPm36).size(), 25u);
}

TEST(TiltSchemeTest, bisect60_equals_the_paper_list) {
  EXPECT_EQ(tilt_scheme("bisect60"), parse_paper_list(kPaperPm60));
}

TEST(TiltSchemeTest, bisect36_equals_the_paper_list) {
  EXPECT_EQ(tilt_scheme("bisect36"), parse_paper_list(kPaperPm36));
}

TEST(TiltSchemeTest, bisect36_is_not_bisect60_clipped) {
  TiltSchemeParams p = tilt_scheme_preset("bisect60");
  p.max_pos_deg = 36;
  p.max_neg_deg = -36;
  EXPECT_NE(dose_symmetric_order(p), tilt_scheme("bisect36"));
}

TEST(TiltSchemeTest, hagen_prefix_matches_relion_test_order) {
  const std::vector<double> expected = {0, 3, -3, -6, 6, 9, -9, -12, 12, 15, -15, -18, 18};
  const std::vector<double> order = tilt_scheme("hagen");
  ASSERT_EQ(order.size(), 41u);
  EXPECT_EQ(std::vector<double>(order.begin(), order.begin() + 13), expected);
  EXPECT_EQ(order.back(), 60);  // 20 blocks of 1 alternate +-, -+, ...; the 20th is -60, 60
}

TEST(TiltSchemeTest, every_preset_is_a_monotone_permutation_of_its_grid) {
  for (const char* name : {"bisect60", "bisect36", "hagen"}) {
    SCOPED_TRACE(name);
    const TiltSchemeParams p = tilt_scheme_preset(name);
    const std::vector<double> order = dose_symmetric_order(p);
    EXPECT_EQ(order.front(), 0);
    expect_permutation_of_grid(order, p);
    expect_branches_monotone(order, p.start_deg);
  }
}

TEST(TiltSchemeTest, default_params_are_valid_and_give_hagen) {
  EXPECT_EQ(dose_symmetric_order(TiltSchemeParams{}), tilt_scheme("hagen"));
}

TEST(TiltSchemeTest, first_sign_negative_mirrors_the_order) {
  TiltSchemeParams p = tilt_scheme_preset("bisect60");
  p.first_sign = -1;
  const std::vector<double> plus = tilt_scheme("bisect60"), minus = dose_symmetric_order(p);
  ASSERT_EQ(plus.size(), minus.size());
  for (std::size_t i = 0; i < plus.size(); ++i) EXPECT_EQ(minus[i], -plus[i]);
}

TEST(TiltSchemeTest, asymmetric_range_runs_the_longer_side_to_its_end) {
  TiltSchemeParams p;  // hagen blocks, +60 / -30
  p.max_neg_deg = -30;
  const std::vector<double> order = dose_symmetric_order(p);
  expect_permutation_of_grid(order, p);
  expect_branches_monotone(order, 0);
  // Blocks 1..10 alternate as usual; -30 is the last negative angle, then 33 ... 60 follow as a run.
  const auto it = std::find(order.begin(), order.end(), -30.0);
  ASSERT_NE(it, order.end());
  std::vector<double> tail(it + 1, order.end()), expected_tail;
  for (int a = 30; a <= 60; a += 3) expected_tail.push_back(a);
  EXPECT_EQ(tail, expected_tail);
}

TEST(TiltSchemeTest, pretilt_start_shifts_the_grid_and_clips_at_the_limits) {
  TiltSchemeParams p = tilt_scheme_preset("bisect60");
  p.start_deg = 10;  // lamella pretilt: +side 13..58 (16 steps), -side 7..-59 (23 steps)
  const std::vector<double> order = dose_symmetric_order(p);
  EXPECT_EQ(order.front(), 10);
  EXPECT_EQ(order[1], 13);
  EXPECT_EQ(order[2], 7);
  expect_permutation_of_grid(order, p);
  expect_branches_monotone(order, p.start_deg);
  EXPECT_EQ(order.size(), 1u + 16u + 23u);
  EXPECT_EQ(order.back(), -59);
  EXPECT_EQ(*std::max_element(order.begin(), order.end()), 58);
}

TEST(TiltSchemeTest, blocks_beyond_the_list_form_one_remainder_run) {
  TiltSchemeParams p;
  p.max_pos_deg = 12;
  p.max_neg_deg = -12;
  p.block_sizes = {1};
  EXPECT_EQ(dose_symmetric_order(p), (std::vector<double>{0, 3, -3, -6, -9, -12, 6, 9, 12}));
}

TEST(TiltSchemeTest, zero_range_gives_only_start) {
  TiltSchemeParams p;
  p.start_deg = 5;
  p.max_pos_deg = 5;
  p.max_neg_deg = 5;
  EXPECT_EQ(dose_symmetric_order(p), std::vector<double>{5});
}

TEST(TiltSchemeTest, bad_params_throw_config_error_naming_the_field) {
  TiltSchemeParams p;
  p.step_deg = 0;
  expect_config_error([&] { dose_symmetric_order(p); }, "step_deg");
  p.step_deg = -3;
  expect_config_error([&] { dose_symmetric_order(p); }, "step_deg");
  p = {};
  p.start_deg = 70;
  expect_config_error([&] { dose_symmetric_order(p); }, "max_pos_deg");
  p = {};
  p.max_neg_deg = 1;
  expect_config_error([&] { dose_symmetric_order(p); }, "max_neg_deg");
  p = {};
  p.first_sign = 0;
  expect_config_error([&] { dose_symmetric_order(p); }, "first_sign");
  p = {};
  p.block_sizes = {1, 0};
  expect_config_error([&] { dose_symmetric_order(p); }, "block_sizes[1]");
  p = {};
  p.start_deg = std::nan("");
  expect_config_error([&] { dose_symmetric_order(p); }, "start_deg");
  p = {};
  p.step_deg = 1e-9;
  expect_config_error([&] { dose_symmetric_order(p); }, "step_deg");
}

TEST(TiltSchemeTest, unknown_preset_lists_the_valid_names) {
  try {
    tilt_scheme("bisect45");
    ADD_FAILURE() << "no ConfigError thrown";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.field(), "preset");
    EXPECT_EQ(e.value(), "bisect45");
    for (const char* n : {"bisect60", "bisect36", "hagen"})
      EXPECT_NE(std::string(e.what()).find(n), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace cspt
