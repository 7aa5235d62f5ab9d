// Grant & Grigorieff 2015 exposure filter: critical exposure and the per-image attenuation.
#include "cspt/core/exposure_filter.hpp"

#include <cmath>
#include <limits>
#include <sstream>
#include <string>

#include "cspt/util/error.hpp"

namespace cspt {
namespace {

constexpr const char* kWhere = "exposure filter";

std::string text(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

void require_non_negative(double v, const char* field) {
  if (!std::isfinite(v) || v < 0) throw ConfigError(kWhere, field, text(v), "must be finite and >= 0");
}

/// Voltage scale of Ne: cisTEM's values at 100, 200 and 300 kV, linear in between.
double voltage_factor(double voltage_kV) {
  if (!(voltage_kV >= 100 && voltage_kV <= 300))
    throw ConfigError(kWhere, "voltage_kV", text(voltage_kV),
                      "must be in [100, 300] (critical exposure is calibrated for 100-300 kV)");
  // std::lerp is exact at both ends, so 100, 200 and 300 kV give cisTEM's factors bit for bit.
  if (voltage_kV <= 200) return std::lerp(0.532, 0.8, (voltage_kV - 100) / 100);
  return std::lerp(0.8, 1.0, (voltage_kV - 200) / 100);
}

}  // namespace

double critical_exposure_e_per_A2(double s_per_A, double voltage_kV) {
  require_non_negative(s_per_A, "s_per_A");
  const double v = voltage_factor(voltage_kV);
  if (s_per_A == 0) return std::numeric_limits<double>::infinity();
  return (0.24499 * std::pow(s_per_A, -1.6649) + 2.8141) * v;
}

double exposure_attenuation(double s_per_A, double prior_e_per_A2, double dose_e_per_A2,
                            double voltage_kV) {
  require_non_negative(prior_e_per_A2, "prior_e_per_A2");
  require_non_negative(dose_e_per_A2, "dose_e_per_A2");
  const double ne = critical_exposure_e_per_A2(s_per_A, voltage_kV);
  if (s_per_A == 0) return 1.0;
  const double two_ne = 2 * ne;
  const double at_start = std::exp(-prior_e_per_A2 / two_ne);
  if (dose_e_per_A2 == 0) return at_start;
  // exp(-a) - exp(-b) = -exp(-a) * expm1(-(b - a)): no cancellation when the dose is tiny.
  return at_start * (-std::expm1(-dose_e_per_A2 / two_ne)) * two_ne / dose_e_per_A2;
}

}  // namespace cspt
