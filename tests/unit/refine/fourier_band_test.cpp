// The scored band: the right shells, each Friedel pair once, bad limits refused.
#include "cspt/refine/fourier_band.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <utility>

#include "cspt/util/error.hpp"

namespace cspt {
namespace {

TEST(FourierBandTest, holds_the_shells_between_the_limits_once_per_friedel_pair) {
  const int box = 64;
  const double px = 2.0;  // 128 A box: 20 A is shell 6.4 -> 6, 8 A is shell 16
  const FourierBand b = make_fourier_band(box, px, 20.0, 8.0);
  EXPECT_EQ(b.shell_lo, 6);
  EXPECT_EQ(b.shell_hi, 16);
  std::set<std::pair<int, int>> seen;
  std::size_t expected = 0;
  for (int ky = -box / 2 + 1; ky < box / 2; ++ky)
    for (int kx = -box / 2 + 1; kx < box / 2; ++kx) {
      const int s = int(std::lround(std::hypot(kx, ky)));
      if (s >= 6 && s <= 16) ++expected;
    }
  EXPECT_EQ(b.size() * 2, expected);  // the full plane holds every sample and its Friedel mate
  for (std::size_t i = 0; i < b.size(); ++i) {
    EXPECT_TRUE(b.kx[i] > 0 || (b.kx[i] == 0 && b.ky[i] > 0));
    EXPECT_TRUE(seen.insert({b.kx[i], b.ky[i]}).second);
    EXPECT_FALSE(seen.count({-b.kx[i], -b.ky[i]}));
    const int row = b.ky[i] >= 0 ? b.ky[i] : b.ky[i] + box;
    EXPECT_EQ(b.half_plane[i], row * (box / 2 + 1) + b.kx[i]);
  }
}

TEST(FourierBandTest, stops_below_nyquist_and_refuses_empty_or_inverted_limits) {
  EXPECT_EQ(make_fourier_band(64, 2.0, 300.0, 1.0).shell_hi, 31);
  EXPECT_THROW(make_fourier_band(64, 2.0, 8.0, 20.0), ConfigError);
  EXPECT_THROW(make_fourier_band(64, 2.0, 300.0, 0.0), ConfigError);
  EXPECT_THROW(make_fourier_band(64, 2.0, 5000.0, 4000.0), ConfigError);  // both below shell 1
  EXPECT_THROW(make_fourier_band(4, 2.0, 300.0, 8.0), ConfigError);
}

}  // namespace
}  // namespace cspt
