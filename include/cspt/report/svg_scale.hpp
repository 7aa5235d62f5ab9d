// Axis arithmetic for the report's SVG plots: linear scales, "nice" tick positions and labels, and
// colour maps.
#pragma once

#include <string>
#include <vector>

namespace cspt::report {

/// A closed interval of data values.
struct Interval {
  double lo = 0.0, hi = 1.0;
};

/// Maps the data interval [d0, d1] linearly onto the pixel interval [p0, p1] (either may be
/// decreasing: SVG y grows downwards, so a y axis maps lo to the bottom pixel).
struct LinearScale {
  double d0 = 0.0, d1 = 1.0, p0 = 0.0, p1 = 1.0;
  /// Pixel of data value v; a zero-width data interval maps everything to the middle.
  double operator()(double v) const;
};

/// The finite min and max of the values (several vectors pooled); {0, 1} when there are none.
/// A zero-width result is widened by 1 either side (or by 10 % of |value|, whichever is larger)
/// so that it can be scaled.
Interval data_interval(const std::vector<std::vector<double>>& values);

/// The tick step for an axis spanning `span` with about `target` ticks: 1, 2 or 5 times a power of
/// ten (span 0..1 with 5 ticks gives 0.2). span <= 0 gives 1.
double nice_step(double span, int target);

/// Tick values: every multiple of nice_step(hi - lo, target) within [lo, hi] (with a tolerance of
/// 1e-9 steps, so that the ends themselves count).
std::vector<double> nice_ticks(double lo, double hi, int target);

/// The interval widened outwards to multiples of its nice step (an axis that starts and ends on a tick).
Interval nice_interval(Interval iv, int target);

/// Tick label for value v on an axis with tick step `step`: as many decimals as the step needs
/// (step 0.25 -> 2, 5 -> 0), "-0" written as "0"; scientific ("1e+06") beyond 1e6 or below 1e-4.
std::string tick_label(double v, double step);

/// An "#rrggbb" colour.
struct Colour {
  unsigned char r = 0, g = 0, b = 0;
  std::string hex() const;
};

/// The perceptually ordered dark-blue-to-yellow map used for heat maps and colour-coded lines:
/// t in [0, 1] (clamped; NaN gives light grey) interpolated linearly between five key colours.
Colour sequential_colour(double t);

/// Colour i of a small categorical palette for distinct curves (repeats after 8).
Colour categorical_colour(int i);

}  // namespace cspt::report
