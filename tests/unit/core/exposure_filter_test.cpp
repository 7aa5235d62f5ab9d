// Exposure filter: the Grant & Grigorieff formula written out, limits, monotonicity, voltage scale.
#include "cspt/core/exposure_filter.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "cspt/util/error.hpp"

namespace cspt {
namespace {

double reference_ne_300(double s) { return 0.24499 * std::pow(s, -1.6649) + 2.8141; }

// Direct transcription of the integrated form with N_end - N_start in the denominator.
double reference_integrated(double s, double n0, double n1, double ne) {
  return 2 * ne / (n1 - n0) * (std::exp(-n0 / (2 * ne)) - std::exp(-n1 / (2 * ne)));
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

TEST(ExposureFilterTest, critical_exposure_matches_the_formula) {
  for (double s : {0.01, 0.05, 0.1, 0.25, 0.5})
    EXPECT_DOUBLE_EQ(critical_exposure_e_per_A2(s, 300), reference_ne_300(s)) << s;
  // A hand value: at 1/10 A, Ne = 0.24499 * 10^1.6649 + 2.8141 = 14.1394...
  EXPECT_NEAR(critical_exposure_e_per_A2(0.1, 300), 14.1394, 1e-3);
  EXPECT_TRUE(std::isinf(critical_exposure_e_per_A2(0, 300)));
}

TEST(ExposureFilterTest, voltage_factor_at_200_and_100_kv_and_linear_between) {
  const double s = 0.2, ne300 = reference_ne_300(s);
  EXPECT_DOUBLE_EQ(critical_exposure_e_per_A2(s, 200), 0.8 * ne300);
  EXPECT_DOUBLE_EQ(critical_exposure_e_per_A2(s, 100), 0.532 * ne300);
  EXPECT_NEAR(critical_exposure_e_per_A2(s, 250), 0.9 * ne300, 1e-12 * ne300);
  EXPECT_NEAR(critical_exposure_e_per_A2(s, 150), 0.666 * ne300, 1e-12 * ne300);
}

TEST(ExposureFilterTest, attenuation_matches_the_formula) {
  for (double s : {0.05, 0.1, 0.3})
    for (double prior : {0.0, 3.0, 40.0})
      for (double dose : {1.0, 3.0, 5.0}) {
        const double ne = reference_ne_300(s);
        EXPECT_NEAR(exposure_attenuation(s, prior, dose, 300),
                    reference_integrated(s, prior, prior + dose, ne), 1e-12)
            << s << " " << prior << " " << dose;
      }
}

TEST(ExposureFilterTest, zero_frequency_is_not_attenuated) {
  EXPECT_EQ(exposure_attenuation(0, 0, 3, 300), 1.0);
  EXPECT_EQ(exposure_attenuation(0, 100, 3, 200), 1.0);
  EXPECT_EQ(exposure_attenuation(0, 100, 0, 300), 1.0);
}

TEST(ExposureFilterTest, zero_dose_gives_the_end_point_value) {
  const double s = 0.2, ne = reference_ne_300(s);
  EXPECT_DOUBLE_EQ(exposure_attenuation(s, 30, 0, 300), std::exp(-30 / (2 * ne)));
  EXPECT_EQ(exposure_attenuation(s, 0, 0, 300), 1.0);
}

TEST(ExposureFilterTest, tiny_dose_agrees_with_the_end_point_value) {
  for (double s : {0.05, 0.2, 0.4})
    for (double prior : {0.0, 10.0, 60.0}) {
      const double end_point = exposure_attenuation(s, prior, 0, 300);
      EXPECT_NEAR(exposure_attenuation(s, prior, 1e-9, 300), end_point, 1e-10 * end_point + 1e-300);
      EXPECT_NEAR(exposure_attenuation(s, prior, 1e-4, 300), end_point, 1e-4 * end_point);
    }
}

TEST(ExposureFilterTest, monotone_decreasing_in_dose_and_in_frequency) {
  double last = 1.0;
  for (double prior = 0; prior <= 120; prior += 3) {
    const double q = exposure_attenuation(0.2, prior, 3, 300);
    EXPECT_LT(q, last) << prior;
    last = q;
  }
  last = 1.0;
  for (double s = 0.01; s <= 0.5; s += 0.01) {
    const double q = exposure_attenuation(s, 20, 3, 300);
    EXPECT_LT(q, last) << s;
    EXPECT_GT(q, 0.0);
    last = q;
  }
  // Within one image: a larger dose on the same prior gives a smaller average.
  EXPECT_LT(exposure_attenuation(0.2, 10, 5, 300), exposure_attenuation(0.2, 10, 1, 300));
}

TEST(ExposureFilterTest, lower_voltage_attenuates_more) {
  EXPECT_LT(exposure_attenuation(0.2, 20, 3, 200), exposure_attenuation(0.2, 20, 3, 300));
}

TEST(ExposureFilterTest, bad_input_throws_config_error_naming_the_field) {
  expect_config_error([] { critical_exposure_e_per_A2(-0.1, 300); }, "s_per_A");
  expect_config_error([] { critical_exposure_e_per_A2(0.1, 80); }, "voltage_kV");
  expect_config_error([] { critical_exposure_e_per_A2(0.1, 400); }, "voltage_kV");
  expect_config_error([] { critical_exposure_e_per_A2(0.1, std::nan("")); }, "voltage_kV");
  expect_config_error([] { exposure_attenuation(0.1, -1, 3, 300); }, "prior_e_per_A2");
  expect_config_error([] { exposure_attenuation(0.1, 0, -3, 300); }, "dose_e_per_A2");
  expect_config_error(
      [] { exposure_attenuation(std::numeric_limits<double>::infinity(), 0, 3, 300); }, "s_per_A");
}

}  // namespace
}  // namespace cspt
