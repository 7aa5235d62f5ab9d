// Tests for the single-image checks of a CTF fit against the file's pixel size and the nominal defocus.
#include "cspt/ctf/ctf_plausibility.hpp"

#include <gtest/gtest.h>

namespace cspt {
namespace {

CtfFit confident_fit(double mean_defocus_A) {
  CtfFit f;
  f.defocus1_A = mean_defocus_A + 100;
  f.defocus2_A = mean_defocus_A - 100;
  f.score = 0.3;
  f.fit_resolution_A = 6;
  f.confident = true;
  return f;
}

TEST(CtfPlausibilityTest, a_pixel_size_off_the_files_by_more_than_five_percent_is_flagged) {
  MicrographMetadata m;
  m.file_pixel_size_A = 1.5;
  m.file_pixel_source = "the file's MRC header";
  CtfFit ok = confident_fit(20000), off = confident_fit(20000);
  check_fit_against_metadata(ok, 1.55, m);  // 3.3%: a calibrated pixel size
  EXPECT_TRUE(ok.confident) << ok.reason;
  check_fit_against_metadata(off, 1.3, m);  // 13%
  EXPECT_FALSE(off.confident);
  EXPECT_NE(off.reason.find("pixel size given (1.3 A) differs from the file's MRC header (1.5 A) by 13%"), std::string::npos)
      << off.reason;
}

TEST(CtfPlausibilityTest, a_defocus_far_from_the_nominal_one_names_the_pixel_size_that_would_match) {
  MicrographMetadata m;
  m.nominal_underfocus_A = 20000;
  m.nominal_source = "--nominal-defocus";
  for (double mean : {14000.0, 20000.0, 29000.0}) {  // within 1.5x either way
    CtfFit f = confident_fit(mean);
    check_fit_against_metadata(f, 1.0, m);
    EXPECT_TRUE(f.confident) << mean << ": " << f.reason;
  }
  CtfFit low = confident_fit(12800), high = confident_fit(45000);
  check_fit_against_metadata(low, 1.2, m);
  check_fit_against_metadata(high, 1.0, m);
  EXPECT_FALSE(low.confident);
  EXPECT_FALSE(high.confident);
  // defocus x pixel^2 is what the rings fix: 12800 x 1.2^2 = 20000 x 0.96^2.
  EXPECT_NE(low.reason.find("0.64 times the nominal 20000 A (--nominal-defocus)"), std::string::npos) << low.reason;
  EXPECT_NE(low.reason.find("0.96 A would match"), std::string::npos) << low.reason;
  EXPECT_NE(high.reason.find("1.5 A would match"), std::string::npos) << high.reason;
}

TEST(CtfPlausibilityTest, unknown_metadata_and_low_fits_are_left_alone) {
  CtfFit f = confident_fit(90000);
  check_fit_against_metadata(f, 1.0, {});
  EXPECT_TRUE(f.confident);
  CtfFit low = confident_fit(20000);
  low.confident = false;
  low.reason = "no Thon rings match the model";
  MicrographMetadata m;
  m.file_pixel_size_A = 3.0;
  check_fit_against_metadata(low, 1.0, m);
  EXPECT_EQ(low.reason, "no Thon rings match the model");
}

}  // namespace
}  // namespace cspt
