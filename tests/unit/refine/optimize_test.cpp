// Box-constrained maximiser: correlated quadratic, faces, evaluation cap, ripples, NaN regions, bad options.
#include "cspt/refine/optimize.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "cspt/util/error.hpp"

namespace cspt {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

MaximizeOptions options(std::size_t n, double step, double min_step, int max_evaluations) {
  MaximizeOptions o;
  o.initial_step.assign(n, step);
  o.min_step.assign(n, min_step);
  o.max_evaluations = max_evaluations;
  return o;
}

BoxBounds box(std::size_t n, double lo, double hi) { return {std::vector<double>(n, lo), std::vector<double>(n, hi)}; }

/// -1/2 (x - c)^T A (x - c) with A = Q diag(1 .. 10) Q^T, Q a fixed product of plane rotations that mixes
/// every pair of axes: condition number 10, no axis an eigenvector.
struct CorrelatedQuadratic {
  static constexpr int n = 6;
  std::array<std::array<double, n>, n> a{};
  std::vector<double> centre{1.5, -2.0, 0.25, 3.0, -0.75, 0.5};

  CorrelatedQuadratic() {
    std::array<std::array<double, n>, n> q{};
    for (int i = 0; i < n; ++i) q[i][i] = 1;
    for (int i = 0; i < n; ++i)
      for (int j = i + 1; j < n; ++j) {
        const double th = 0.3 + 0.17 * i + 0.11 * j, c = std::cos(th), s = std::sin(th);
        for (int r = 0; r < n; ++r) {  // q <- q * rotation in the (i, j) plane
          const double qi = q[r][i], qj = q[r][j];
          q[r][i] = c * qi - s * qj;
          q[r][j] = s * qi + c * qj;
        }
      }
    for (int r = 0; r < n; ++r)
      for (int c = 0; c < n; ++c)
        for (int k = 0; k < n; ++k) a[r][c] += q[r][k] * (1 + 9.0 * k / (n - 1)) * q[c][k];
  }

  double operator()(const std::vector<double>& x) const {
    double s = 0;
    for (int r = 0; r < n; ++r)
      for (int c = 0; c < n; ++c) s += (x[r] - centre[r]) * a[r][c] * (x[c] - centre[c]);
    return 2.0 - 0.5 * s;
  }
};

double distance(const std::vector<double>& x, const std::vector<double>& y) {
  double s = 0;
  for (std::size_t i = 0; i < x.size(); ++i) s += (x[i] - y[i]) * (x[i] - y[i]);
  return std::sqrt(s);
}

TEST(OptimizeTest, correlated_quadratic_converges_from_five_steps_away) {
  const CorrelatedQuadratic f;
  const std::vector<double> signs{1, -1, 1, 1, -1, -1};
  for (double step : {1.0, 0.25, 4.0}) {  // the step right, too small and too large
    std::vector<double> x0(6);
    for (int i = 0; i < 6; ++i) x0[i] = f.centre[i] + 5 * signs[i] * 1.0;  // 5 (unit) steps from the optimum
    int calls = 0;
    auto opts = options(6, step, 1e-5, 250);
    opts.value_tolerance = 1e-12;
    const auto r = maximize_in_box(
        [&](const std::vector<double>& x) {
          ++calls;
          return f(x);
        },
        x0, box(6, -50, 50), opts);
    EXPECT_EQ(r.evaluations, calls);
    EXPECT_LE(r.evaluations, 250);
    EXPECT_LT(distance(r.x, f.centre), 1e-3) << "step " << step << ", " << r.evaluations << " evaluations";
    EXPECT_NEAR(r.value, 2.0, 1e-6);
    EXPECT_EQ(r.value, f(r.x));
    std::printf("[ quadratic, step %.2f ] %d evaluations, distance %.2e\n", step, r.evaluations,
                distance(r.x, f.centre));

    // How many evaluations it takes to first get within 1e-3 of the optimum.
    int to_reach = 0, count = 0;
    maximize_in_box(
        [&](const std::vector<double>& x) {
          ++count;
          if (to_reach == 0 && distance(x, f.centre) < 1e-3) to_reach = count;
          return f(x);
        },
        x0, box(6, -50, 50), opts);
    EXPECT_GT(to_reach, 0);
    EXPECT_LE(to_reach, 150) << "step " << step;  // measured: 92-93 (Powell ends in ~n + 1 sweeps)
    std::printf("[ quadratic, step %.2f ] within 1e-3 after %d evaluations\n", step, to_reach);
  }
}

TEST(OptimizeTest, default_tolerances_stop_early_but_close) {
  const CorrelatedQuadratic f;
  std::vector<double> x0(6);
  for (int i = 0; i < 6; ++i) x0[i] = f.centre[i] + (i % 2 ? -5.0 : 5.0);
  const auto r = maximize_in_box(f, x0, box(6, -kInf, kInf), options(6, 1.0, 1e-3, 200));
  EXPECT_LT(distance(r.x, f.centre), 1e-2) << r.evaluations;
  std::printf("[ quadratic, defaults ] %d evaluations, distance %.2e\n", r.evaluations, distance(r.x, f.centre));
}

TEST(OptimizeTest, optimum_outside_the_box_lands_exactly_on_the_faces) {
  // Unconstrained maximum at (3, -2, 0.5, 0.7); the box [-1, 1]^2 x [0, 2] x [0, 0.3] cuts off axes 0, 1, 3.
  const auto f = [](const std::vector<double>& x) {
    const double d0 = x[0] - 3, d1 = x[1] + 2, d2 = x[2] - 0.5, d3 = x[3] - 0.7;
    return -(d0 * d0 + d1 * d1 + d2 * d2 + d3 * d3) - 0.3 * d0 * d1;
  };
  const BoxBounds b{{-1, -1, 0, 0}, {1, 1, 2, 0.3}};
  bool outside = false;
  const auto r = maximize_in_box(
      [&](const std::vector<double>& x) {
        for (int i = 0; i < 4; ++i) outside |= x[i] < b.lower[i] || x[i] > b.upper[i];
        return f(x);
      },
      {0, 0, 1, 0.1}, b, options(4, 0.5, 1e-6, 200));
  EXPECT_FALSE(outside);
  EXPECT_EQ(r.x[0], 1.0);
  EXPECT_EQ(r.x[1], -1.0);
  EXPECT_EQ(r.x[3], 0.3);
  // Free coordinate: d f / d x2 = 0 at x2 = 0.5 whatever the others.
  EXPECT_NEAR(r.x[2], 0.5, 1e-5);
}

TEST(OptimizeTest, a_start_on_a_face_and_a_collapsed_box_are_handled) {
  const auto f = [](const std::vector<double>& x) { return -(x[0] - 0.2) * (x[0] - 0.2) - (x[1] - 7) * (x[1] - 7); };
  const BoxBounds b{{0, 5}, {1, 5}};  // x1 fixed at 5
  const auto r = maximize_in_box(f, {1, 5}, b, options(2, 0.3, 1e-6, 100));
  EXPECT_NEAR(r.x[0], 0.2, 1e-5);
  EXPECT_EQ(r.x[1], 5.0);
}

TEST(OptimizeTest, one_parameter_far_optimum_in_an_open_box) {
  // The line search expands from a small step to an optimum 400 steps away.
  const auto f = [](const std::vector<double>& x) { return -std::cosh(0.1 * (x[0] - 40)); };
  const auto r = maximize_in_box(f, {0}, box(1, -kInf, kInf), options(1, 0.1, 1e-6, 100));
  EXPECT_NEAR(r.x[0], 40, 1e-4) << r.evaluations;
  EXPECT_LT(r.evaluations, 40);
}

TEST(OptimizeTest, max_evaluations_is_respected_exactly) {
  const CorrelatedQuadratic f;
  std::vector<double> x0(6, 20.0);
  for (int cap : {1, 2, 3, 7, 17, 60}) {
    int calls = 0;
    auto opts = options(6, 1.0, 1e-8, cap);
    opts.value_tolerance = 0;
    const auto r = maximize_in_box(
        [&](const std::vector<double>& x) {
          ++calls;
          return f(x);
        },
        x0, box(6, -100, 100), opts);
    EXPECT_EQ(calls, cap);
    EXPECT_EQ(r.evaluations, cap);
    EXPECT_EQ(r.value, f(r.x));
    EXPECT_GE(r.value, f(x0));
    if (cap == 1) EXPECT_EQ(r.x, x0);
  }
}

TEST(OptimizeTest, rippled_cosine_sum_converges_to_the_nearest_local_maximum) {
  // Coupled cosines with a small fast ripple: maxima wherever every x_i - m_i is a multiple of 2 pi; the
  // ripple's curvature (0.04 * 25) stays below the main term's so the basin of m is unimodal.
  const std::vector<double> m{0.3, -1.1, 2.0, 0.0, 0.7, -0.4};
  const auto f = [&](const std::vector<double>& x) {
    double s = 0;
    for (int i = 0; i < 6; ++i) {
      const double u = x[i] - m[i];
      s += 2 * std::cos(u) + 0.04 * std::cos(5 * u) + 0.5 * std::cos(u + (x[(i + 1) % 6] - m[(i + 1) % 6]));
    }
    return s;
  };
  const std::vector<double> offset{0.9, -1.0, 0.6, -0.8, 1.1, 0.5};
  std::vector<double> x0(6);
  for (int i = 0; i < 6; ++i) x0[i] = m[i] + offset[i];
  auto opts = options(6, 0.2, 1e-5, 400);
  opts.value_tolerance = 1e-12;
  const auto r = maximize_in_box(f, x0, box(6, -10, 10), opts);
  EXPECT_LT(distance(r.x, m), 1e-3) << r.evaluations;
  std::printf("[ cosine sum ] %d evaluations, distance %.2e\n", r.evaluations, distance(r.x, m));
}

TEST(OptimizeTest, nan_region_is_never_the_answer) {
  // The maximum (1, 1) lies in the region x0 > 0.5 where f is NaN: the answer is on the finite side.
  int nan_calls = 0;
  const auto f = [&](const std::vector<double>& x) {
    if (x[0] > 0.5) {
      ++nan_calls;
      return std::numeric_limits<double>::quiet_NaN();
    }
    return -(x[0] - 1) * (x[0] - 1) - (x[1] - 1) * (x[1] - 1);
  };
  const auto r = maximize_in_box(f, {0, 0}, box(2, -5, 5), options(2, 0.4, 1e-6, 200));
  EXPECT_TRUE(std::isfinite(r.value));
  EXPECT_LE(r.x[0], 0.5);
  EXPECT_NEAR(r.x[0], 0.5, 1e-3);
  EXPECT_NEAR(r.x[1], 1.0, 1e-4);
  EXPECT_EQ(r.value, f(r.x));

  // A start whose every neighbour is NaN stays put.
  const auto spike = [](const std::vector<double>& x) {
    return x[0] == 0 ? 1.0 : std::numeric_limits<double>::quiet_NaN();
  };
  const auto s = maximize_in_box(spike, {0}, box(1, -1, 1), options(1, 0.5, 1e-3, 100));
  EXPECT_EQ(s.x[0], 0.0);
  EXPECT_EQ(s.value, 1.0);
}

TEST(OptimizeTest, same_input_gives_the_same_bits) {
  const CorrelatedQuadratic f;
  const auto g = [&](const std::vector<double>& x) { return f(x) + 0.01 * std::sin(3 * x[0] * x[1]); };
  const std::vector<double> x0{0, 0, 0, 0, 0, 0};
  const auto a = maximize_in_box(g, x0, box(6, -10, 10), options(6, 0.5, 1e-4, 150));
  const auto b = maximize_in_box(g, x0, box(6, -10, 10), options(6, 0.5, 1e-4, 150));
  EXPECT_EQ(a.evaluations, b.evaluations);
  EXPECT_EQ(std::memcmp(&a.value, &b.value, sizeof(double)), 0);
  EXPECT_EQ(a.x, b.x);
}

TEST(OptimizeTest, bad_options_throw) {
  const auto f = [](const std::vector<double>& x) { return -x[0] * x[0] - x[1] * x[1]; };
  const auto good = options(2, 0.5, 1e-3, 50);
  const auto b = box(2, -1, 1);
  EXPECT_NO_THROW(maximize_in_box(f, {0, 0}, b, good));

  EXPECT_THROW(maximize_in_box(f, {0, 0, 0}, b, good), InternalError);
  EXPECT_THROW(maximize_in_box(f, {0, 0}, box(3, -1, 1), good), InternalError);
  auto o = good;
  o.initial_step = {0.5};
  EXPECT_THROW(maximize_in_box(f, {0, 0}, b, o), InternalError);
  o = good;
  o.min_step = {};
  EXPECT_THROW(maximize_in_box(f, {0, 0}, b, o), InternalError);
  EXPECT_THROW(maximize_in_box({}, {0, 0}, b, good), InternalError);

  o = good;
  o.initial_step[1] = 0;
  EXPECT_THROW(maximize_in_box(f, {0, 0}, b, o), ConfigError);
  o.initial_step[1] = -1;
  EXPECT_THROW(maximize_in_box(f, {0, 0}, b, o), ConfigError);
  o.initial_step[1] = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THROW(maximize_in_box(f, {0, 0}, b, o), ConfigError);
  o = good;
  o.min_step[0] = 0;
  EXPECT_THROW(maximize_in_box(f, {0, 0}, b, o), ConfigError);
  o = good;
  o.max_evaluations = 0;
  EXPECT_THROW(maximize_in_box(f, {0, 0}, b, o), ConfigError);
  o = good;
  o.value_tolerance = -1;
  EXPECT_THROW(maximize_in_box(f, {0, 0}, b, o), ConfigError);

  EXPECT_THROW(maximize_in_box(f, {0, 0}, BoxBounds{{-1, 1}, {1, -1}}, good), ConfigError);
  EXPECT_THROW(maximize_in_box(f, {0, 0}, BoxBounds{{-1, std::nan("")}, {1, 1}}, good), ConfigError);
  EXPECT_THROW(maximize_in_box(f, {0, 1.5}, b, good), ConfigError);
  EXPECT_THROW(maximize_in_box(f, {-1.0000001, 0}, b, good), ConfigError);
  EXPECT_THROW(maximize_in_box(f, {0, std::numeric_limits<double>::infinity()}, box(2, -kInf, kInf), good),
               ConfigError);
  try {
    maximize_in_box(f, {0, 1.5}, b, good);
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.field(), "x0[1]");
  }
}

}  // namespace
}  // namespace cspt
