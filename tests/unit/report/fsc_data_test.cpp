// Tests for the FSC figure data: curves read from a known fsc.csv, crossings computed by hand, and
// the FSC of a map against the truth.
#include "cspt/report/fsc_data.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "cspt/util/error.hpp"

namespace cspt::report {
namespace {

// Box 8 at 2 A: shells 0..4 at i / 16 per A.
const char* kFsc =
    "shell,frequency_per_A,resolution_A,fsc_unmasked,fsc_masked,fsc_masked_randomized,fsc_corrected\n"
    "0,0.000000,0.0000,1.0,1.0,1.0,1.0\n"
    "1,0.062500,16.0000,0.8,0.95,0.9,0.9\n"
    "2,0.125000,8.0000,0.3,0.6,0.2,0.5\n"
    "3,0.187500,5.3333,0.05,0.3,0.0,0.1\n"
    "4,0.250000,4.0000,0.0,0.2,0.0,0.0\n";

FscCurves known_curves(int iteration = 3) { return parse_fsc_curves(parse_numeric_csv("fsc.csv", kFsc), iteration); }

TEST(FscDataTest, box_and_pixel_size_follow_from_the_shells) {
  const FscCurves c = known_curves();
  EXPECT_EQ(c.iteration, 3);
  EXPECT_EQ(c.box_px(), 8);
  EXPECT_DOUBLE_EQ(c.pixel_size_A(), 2.0);
  EXPECT_EQ(c.corrected, (std::vector<double>{1.0, 0.9, 0.5, 0.1, 0.0}));
}

TEST(FscDataTest, crossing_is_interpolated_linearly_in_frequency) {
  const FscCurves c = known_curves();
  // corrected: 0.5 at shell 2, 0.1 at shell 3: t = 0.357 / 0.4, f = 0.125 + t / 16.
  EXPECT_NEAR(crossing_resolution_A(c, c.corrected, 0.143), 1.0 / (0.125 + 0.8925 / 16.0), 1e-9);
  // unmasked: 0.3 at shell 2, 0.05 at shell 3.
  EXPECT_NEAR(crossing_resolution_A(c, c.unmasked, 0.143), 1.0 / (0.125 + 0.628 / 16.0), 1e-9);
  // masked never drops below 0.143: Nyquist, 2 px.
  EXPECT_NEAR(crossing_resolution_A(c, c.masked, 0.143), 4.0, 1e-12);
}

TEST(FscDataTest, tables_hold_every_shell_of_every_iteration) {
  const std::vector<FscCurves> all{known_curves(1), known_curves(2)};
  const Table t = fsc_curves_table(all);
  ASSERT_EQ(t.rows(), 10u);
  EXPECT_EQ(t.number(5, "iteration"), 2.0);
  EXPECT_EQ(t.number(5, "shell"), 0.0);
  EXPECT_TRUE(std::isnan(t.number(0, "resolution_A")));  // shell 0: infinite
  EXPECT_DOUBLE_EQ(t.number(4, "resolution_A"), 4.0);
  EXPECT_EQ(t.number(2, "fsc_masked_randomized"), 0.2);
  const Table r = fsc_resolution_table(all);
  ASSERT_EQ(r.rows(), 2u);
  EXPECT_NEAR(r.number(1, "resolution_corrected_A"), 1.0 / (0.125 + 0.8925 / 16.0), 1e-9);
  EXPECT_NEAR(r.number(1, "resolution_masked_A"), 4.0, 1e-12);
}

TEST(FscDataTest, a_missing_column_or_too_few_shells_names_the_file) {
  EXPECT_THROW(parse_fsc_curves(parse_numeric_csv("f.csv", "frequency_per_A,fsc_unmasked\n0,1\n"), 1), IoError);
  const std::string one_shell = std::string(kFsc).substr(0, std::string(kFsc).find("1,0.0625"));
  EXPECT_THROW(parse_fsc_curves(parse_numeric_csv("f.csv", one_shell), 1), IoError);
}

Volume random_volume(int n, unsigned seed) {
  Volume v(n, 1.5);
  std::mt19937 rng(seed);
  std::normal_distribution<float> g;
  for (float& x : v.values()) x = g(rng);
  return v;
}

TEST(FscDataTest, a_map_against_itself_correlates_fully_to_nyquist) {
  const Volume v = random_volume(16, 1);
  const TruthFsc f = fsc_against_truth(v, v, Volume());
  ASSERT_EQ(f.unmasked.size(), 9u);
  EXPECT_TRUE(f.masked.empty());
  for (double c : f.unmasked) EXPECT_NEAR(c, 1.0, 1e-6);
  EXPECT_NEAR(f.frequency_per_A[8], 1.0 / 3.0, 1e-12);  // Nyquist of 1.5 A
  EXPECT_NEAR(f.resolution_0p5_A, 3.0, 1e-9);
  EXPECT_NEAR(f.resolution_0p143_A, 3.0, 1e-9);
  const Table t = truth_fsc_table(f);
  EXPECT_EQ(t.rows(), 9u);
  EXPECT_TRUE(std::isnan(t.number(3, "fsc_masked")));
}

TEST(FscDataTest, independent_noise_does_not_correlate) {
  const Volume a = random_volume(16, 1), b = random_volume(16, 2);
  Volume mask(16, 1.5);
  for (float& x : mask.values()) x = 1.0f;
  const TruthFsc f = fsc_against_truth(a, b, mask);
  ASSERT_EQ(f.masked.size(), f.unmasked.size());
  for (std::size_t i = 2; i < f.unmasked.size(); ++i) EXPECT_LT(std::abs(f.unmasked[i]), 0.5) << "shell " << i;
  EXPECT_GT(f.resolution_0p5_A, 10.0);  // drops below 0.5 at the first shells
}

TEST(FscDataTest, maps_of_different_sizes_are_refused) {
  EXPECT_THROW(fsc_against_truth(random_volume(16, 1), random_volume(8, 1), Volume()), ConfigError);
  EXPECT_THROW(fsc_against_truth(Volume(8, 8, 4), Volume(8, 8, 4), Volume()), ConfigError);
}

}  // namespace
}  // namespace cspt::report
