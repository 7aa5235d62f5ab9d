// Scales, ticks and colours of the report's plots.
#include "cspt/report/svg_scale.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

namespace cspt::report {

double LinearScale::operator()(double v) const {
  if (d1 == d0) return 0.5 * (p0 + p1);
  return p0 + (v - d0) * (p1 - p0) / (d1 - d0);
}

Interval data_interval(const std::vector<std::vector<double>>& values) {
  bool any = false;
  Interval iv{0.0, 0.0};
  for (const auto& vec : values)
    for (double v : vec) {
      if (!std::isfinite(v)) continue;
      if (!any) iv = {v, v};
      iv.lo = std::min(iv.lo, v);
      iv.hi = std::max(iv.hi, v);
      any = true;
    }
  if (!any) return {0.0, 1.0};
  if (iv.hi == iv.lo) {
    const double pad = std::max(1.0, 0.1 * std::abs(iv.lo));
    iv = {iv.lo - pad, iv.hi + pad};
  }
  return iv;
}

double nice_step(double span, int target) {
  if (!(span > 0) || !std::isfinite(span)) return 1.0;
  const double raw = span / std::max(1, target);
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / power;  // in [1, 10)
  // Pick the nice factor closest (in ratio) to the raw step.
  const double nice = f < 1.5 ? 1.0 : f < 3.5 ? 2.0 : f < 7.5 ? 5.0 : 10.0;
  return nice * power;
}

std::vector<double> nice_ticks(double lo, double hi, int target) {
  std::vector<double> ticks;
  if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi)) return ticks;
  const double step = nice_step(hi - lo, target);
  const double eps = 1e-9;
  for (double k = std::ceil(lo / step - eps); k * step <= hi + eps * step; k += 1.0) {
    const double v = k * step;
    ticks.push_back(std::abs(v) < eps * step ? 0.0 : v);
  }
  return ticks;
}

Interval nice_interval(Interval iv, int target) {
  if (!(iv.hi > iv.lo)) return iv;
  const double step = nice_step(iv.hi - iv.lo, target);
  const double eps = 1e-9;
  return {std::floor(iv.lo / step + eps) * step, std::ceil(iv.hi / step - eps) * step};
}

std::string tick_label(double v, double step) {
  char buf[48];
  if (std::abs(v) < 1e-12 * std::max(1.0, std::abs(step))) return "0";
  if (std::abs(v) >= 1e6 || std::abs(v) < 1e-4) {
    std::snprintf(buf, sizeof buf, "%.3g", v);
    return buf;
  }
  int decimals = 0;
  if (step > 0 && step < 1) decimals = std::min(6, int(std::ceil(-std::log10(step) - 1e-9)));
  // A step such as 0.25 needs one more decimal than its power of ten.
  if (step > 0 && decimals < 6) {
    const double scaled = step * std::pow(10.0, decimals);
    if (std::abs(scaled - std::round(scaled)) > 1e-6) ++decimals;
  }
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string Colour::hex() const {
  char buf[8];
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", r, g, b);
  return buf;
}

Colour sequential_colour(double t) {
  if (std::isnan(t)) return {204, 204, 204};
  // Key colours of a dark blue-violet to yellow ramp (evenly spaced in t).
  static constexpr std::array<std::array<double, 3>, 5> keys{{
      {68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}}};
  t = std::clamp(t, 0.0, 1.0) * double(keys.size() - 1);
  const std::size_t i = std::min(keys.size() - 2, std::size_t(t));
  const double f = t - double(i);
  const auto mix = [&](int c) { return (unsigned char)std::lround(keys[i][c] + f * (keys[i + 1][c] - keys[i][c])); };
  return {mix(0), mix(1), mix(2)};
}

Colour categorical_colour(int i) {
  static constexpr std::array<Colour, 8> palette{{{31, 119, 180}, {214, 39, 40}, {44, 160, 44}, {148, 103, 189},
                                                  {255, 127, 14}, {140, 86, 75}, {227, 119, 194}, {23, 190, 207}}};
  return palette[std::size_t(((i % 8) + 8) % 8)];
}

}  // namespace cspt::report
