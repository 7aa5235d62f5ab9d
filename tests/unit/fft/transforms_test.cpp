// Forward and inverse volume transforms: round trip, normalisation, and where the origin goes.
#include "cspt/fft/transforms.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>

namespace cspt {
namespace {

TEST(TransformsTest, round_trip_restores_the_volume) {
  Volume v(24, 1.5);
  std::mt19937 rng(4);
  std::normal_distribution<float> g;
  for (float& x : v.values()) x = g(rng);
  const Volume back = fft::inverse(fft::forward(v, 2));
  for (std::size_t i = 0; i < v.size(); ++i) ASSERT_NEAR(back.data()[i], v.data()[i], 1e-5);
  EXPECT_DOUBLE_EQ(back.pixel_size_A(), 1.5);
}

TEST(TransformsTest, dc_is_the_sum_and_a_shifted_delta_has_a_linear_phase) {
  Volume v(16, 1.0);
  v.at(3, 0, 0) = 2.0f;  // delta at x = 3
  FourierVolume f = fft::forward(v);
  EXPECT_NEAR(f.at(0, 0, 0).real(), 2.0, 1e-6);
  for (int kx = 0; kx <= 8; ++kx) {
    const std::complex<float> expect = std::polar(2.0f, float(-2 * std::numbers::pi * kx * 3 / 16));
    EXPECT_NEAR(std::abs(f.at(kx, 5, 7) - expect), 0.0, 1e-5);
  }
  EXPECT_EQ(f.frequency(15), -1);
  EXPECT_EQ(f.frequency(8), 8);
}

TEST(TransformsTest, image_round_trip_and_odd_sizes) {
  for (int n : {16, 17}) {
    Image im(n, n + 2, 2.0);
    for (std::size_t i = 0; i < im.size(); ++i) im.data()[i] = float(std::sin(0.37 * double(i)));
    const FourierImage f = fft::forward(im);
    EXPECT_EQ(f.nx_half(), n / 2 + 1);
    const Image back = fft::inverse(f);
    for (std::size_t i = 0; i < im.size(); ++i) ASSERT_NEAR(back.data()[i], im.data()[i], 1e-5);
  }
}

TEST(TransformsTest, plans_are_cached_per_shape) {
  const auto& a = fft::cached_forward_plan(20, 20);
  const auto& b = fft::cached_forward_plan(20, 20);
  const auto& c = fft::cached_forward_plan(22, 20);
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &c);
}

}  // namespace
}  // namespace cspt
