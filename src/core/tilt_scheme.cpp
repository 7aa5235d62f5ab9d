// Dose-symmetric tilt orders (acquisition.md 6.2): grouped mirror-pair blocks, clipped per side.
#include "cspt/core/tilt_scheme.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "cspt/util/error.hpp"

namespace cspt {
namespace {

constexpr const char* kWhere = "tilt scheme";
// Grid points per side are counted with a small tolerance so that, e.g., 60 / 3 gives 20 even when
// the range is a computed value such as 60.000000000001 - 0.
constexpr double kGridTolerance = 1e-9;
constexpr int kMaxStepsPerSide = 100000;  // guards against a tiny step filling memory

std::string text(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

void require_finite(double v, const char* field) {
  if (!std::isfinite(v)) throw ConfigError(kWhere, field, text(v), "must be finite");
}

void validate(const TiltSchemeParams& p) {
  require_finite(p.start_deg, "start_deg");
  require_finite(p.step_deg, "step_deg");
  require_finite(p.max_pos_deg, "max_pos_deg");
  require_finite(p.max_neg_deg, "max_neg_deg");
  if (p.step_deg <= 0) throw ConfigError(kWhere, "step_deg", text(p.step_deg), "must be > 0");
  if (p.max_pos_deg < p.start_deg)
    throw ConfigError(kWhere, "max_pos_deg", text(p.max_pos_deg),
                      "must be >= start_deg (" + text(p.start_deg) + ")");
  if (p.max_neg_deg > p.start_deg)
    throw ConfigError(kWhere, "max_neg_deg", text(p.max_neg_deg),
                      "must be <= start_deg (" + text(p.start_deg) + ")");
  if (p.first_sign != 1 && p.first_sign != -1)
    throw ConfigError(kWhere, "first_sign", std::to_string(p.first_sign), "must be +1 or -1");
  for (std::size_t i = 0; i < p.block_sizes.size(); ++i)
    if (p.block_sizes[i] < 1)
      throw ConfigError(kWhere, "block_sizes[" + std::to_string(i) + "]",
                        std::to_string(p.block_sizes[i]), "must be >= 1");
  if ((p.max_pos_deg - p.max_neg_deg) / p.step_deg > 2.0 * kMaxStepsPerSide)
    throw ConfigError(kWhere, "step_deg", text(p.step_deg),
                      "too small for the range (more than " + std::to_string(2 * kMaxStepsPerSide) +
                          " tilts)");
}

/// Number of grid steps that fit in range_deg (>= 0).
int steps_within(double range_deg, double step_deg) {
  return static_cast<int>(std::floor(range_deg / step_deg + kGridTolerance));
}

/// Appends start + sign * step * m for m in [first, last], skipping magnitudes beyond that side's limit.
void emit_side(std::vector<double>& out, const TiltSchemeParams& p, int sign, int first, int last,
               int side_limit) {
  for (int m = first; m <= std::min(last, side_limit); ++m)
    out.push_back(p.start_deg + sign * p.step_deg * m);
}

}  // namespace

std::vector<double> dose_symmetric_order(const TiltSchemeParams& p) {
  validate(p);
  const int n_pos = steps_within(p.max_pos_deg - p.start_deg, p.step_deg);
  const int n_neg = steps_within(p.start_deg - p.max_neg_deg, p.step_deg);
  const int n_max = std::max(n_pos, n_neg);
  std::vector<double> out{p.start_deg};
  out.reserve(static_cast<std::size_t>(n_pos + n_neg + 1));
  int sign = p.first_sign;
  std::size_t block = 0;
  for (int m = 1; m <= n_max; ++block) {
    const int size = p.block_sizes.empty()              ? 1
                     : block < p.block_sizes.size()     ? p.block_sizes[block]
                                                        : n_max - m + 1;  // remainder block
    const int last = m + size - 1;
    emit_side(out, p, sign, m, last, sign > 0 ? n_pos : n_neg);
    emit_side(out, p, -sign, m, last, sign > 0 ? n_neg : n_pos);
    sign = -sign;
    m = last + 1;
  }
  return out;
}

TiltSchemeParams tilt_scheme_preset(const std::string& name) {
  TiltSchemeParams p;  // start 0, step 3, +-60, first sign +
  if (name == "bisect60") {
    p.block_sizes = {1, 1, 1, 1, 1, 2, 2, 2, 3, 2, 4};
  } else if (name == "bisect36") {
    p.max_pos_deg = 36;
    p.max_neg_deg = -36;
    p.block_sizes = {1, 1, 1, 1, 1, 2, 1, 2, 2};
  } else if (name != "hagen") {
    throw ConfigError(kWhere, "preset", name, "one of: bisect60, bisect36, hagen");
  }
  return p;
}

std::vector<double> tilt_scheme(const std::string& preset) {
  return dose_symmetric_order(tilt_scheme_preset(preset));
}

}  // namespace cspt
