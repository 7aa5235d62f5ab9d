// Per-exposure frequency weights: none, Grant–Grigorieff dose, BISECT data-driven, B-factor variant.
#include "cspt/refine/exposure_weights.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "cspt/core/exposure_filter.hpp"
#include "cspt/util/error.hpp"

namespace cspt {
namespace {

constexpr const char* kWhere = "exposure weighting";
constexpr const char* kChoices = "one of: none, dose, data, bfactor";
/// The frequency constant of algorithms.md 4.1 step 4, per cycle/pixel.
constexpr double kDataFrequencyRate = 7.62;

std::string text(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

std::string exposure_label(std::size_t f) { return "exposures[" + std::to_string(f) + "]"; }

void check_options(const ExposureWeightOptions& o) {
  if (o.fraction < 1) throw ConfigError(kWhere, "fraction", std::to_string(o.fraction), "must be >= 1");
  if (!std::isfinite(o.transition) || o.transition <= 0)
    throw ConfigError(kWhere, "transition", text(o.transition), "must be finite and > 0");
  if (!std::isfinite(o.bfactor_max_A2) || o.bfactor_max_A2 < 0)
    throw ConfigError(kWhere, "bfactor_max_A2", text(o.bfactor_max_A2), "must be finite and >= 0");
  if (o.method == ExposureWeighting::dose && !(o.voltage_kV >= 100 && o.voltage_kV <= 300))
    throw ConfigError(kWhere, "voltage_kV", text(o.voltage_kV), "must be in [100, 300]");
}

/// log of exposure_attenuation, also where the attenuation itself underflows to 0.
double log_attenuation(double s_per_A, double prior, double dose, double voltage_kV) {
  const double att = exposure_attenuation(s_per_A, prior, dose, voltage_kV);  // validates the input
  if (att > 1e-200) return std::log(att);
  const double two_ne = 2 * critical_exposure_e_per_A2(s_per_A, voltage_kV);
  double l = -prior / two_ne;
  if (dose > 0) l += std::log(-std::expm1(-dose / two_ne)) + std::log(two_ne / dose);
  return l;
}

}  // namespace

ExposureWeighting parse_exposure_weighting(const std::string& name, const std::string& context) {
  if (name == "none") return ExposureWeighting::none;
  if (name == "dose") return ExposureWeighting::dose;
  if (name == "data") return ExposureWeighting::data;
  if (name == "bfactor") return ExposureWeighting::bfactor;
  throw ConfigError(context, "exposure_weighting", name.empty() ? "\"\"" : name, kChoices);
}

std::string to_string(ExposureWeighting w) {
  switch (w) {
    case ExposureWeighting::none: return "none";
    case ExposureWeighting::dose: return "dose";
    case ExposureWeighting::data: return "data";
    case ExposureWeighting::bfactor: return "bfactor";
  }
  throw InternalError("to_string(ExposureWeighting): unknown value");
}

int exposure_weight_shells(int box_px) {
  if (box_px < 2) throw ConfigError(kWhere, "box_px", std::to_string(box_px), "must be >= 2");
  return box_px / 2 + 2;
}

std::vector<double> exposure_score_dependency(const std::vector<ExposureInfo>& exposures, int fraction) {
  if (fraction < 1) throw ConfigError(kWhere, "fraction", std::to_string(fraction), "must be >= 1");
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  for (std::size_t f = 0; f < exposures.size(); ++f) {
    const ExposureInfo& e = exposures[f];
    if (e.n_projections == 0) continue;
    if (!std::isfinite(e.mean_score))
      throw ConfigError(kWhere, exposure_label(f) + ".mean_score", text(e.mean_score), "must be finite");
    if (e.mean_score > 0) {
      lo = std::min(lo, e.mean_score);
      hi = std::max(hi, e.mean_score);
    }
  }
  const bool any_positive = hi >= lo;
  std::vector<double> r(exposures.size(), 0.0);
  for (std::size_t f = 0; f < exposures.size(); ++f) {
    const ExposureInfo& e = exposures[f];
    if (e.n_projections == 0) continue;
    double a;
    if (!any_positive) a = 1.0;                  // nothing to rank: all equal
    else if (!(e.mean_score > 0)) a = 0.0;       // treated like the worst exposure
    else if (hi == lo) a = 1.0;                  // algorithms 4.1: max == min gives a = 1
    else a = std::clamp((e.mean_score - lo) / (hi - lo), 0.0, 1.0);
    r[f] = 1.0 - std::pow(a, fraction);
  }
  return r;
}

std::vector<std::vector<float>> exposure_weight_table(const std::vector<ExposureInfo>& exposures, int box_px,
                                                      double pixel_size_A, const ExposureWeightOptions& opts) {
  if (exposures.empty()) throw ConfigError(kWhere, "exposures", "(none)", "at least one exposure");
  const int n_shells = exposure_weight_shells(box_px);
  if (!std::isfinite(pixel_size_A) || pixel_size_A <= 0)
    throw ConfigError(kWhere, "pixel_size_A", text(pixel_size_A), "must be finite and > 0");
  check_options(opts);

  const std::size_t n = exposures.size();
  std::size_t n_nonempty = 0;
  for (const ExposureInfo& e : exposures) n_nonempty += e.n_projections > 0 ? 1 : 0;
  if (n_nonempty == 0)
    throw ConfigError(kWhere, "exposures", std::to_string(n) + " exposures, all empty",
                      "at least one exposure with projections");

  std::vector<std::vector<float>> table(n, std::vector<float>(static_cast<std::size_t>(n_shells), 0.0f));
  if (opts.method == ExposureWeighting::none) {
    for (std::size_t f = 0; f < n; ++f)
      if (exposures[f].n_projections > 0) std::fill(table[f].begin(), table[f].end(), 1.0f);
    return table;
  }

  // Per-method log weight of exposure f at shell i; normalised across exposures below.
  std::vector<double> r;
  if (opts.method == ExposureWeighting::data || opts.method == ExposureWeighting::bfactor)
    r = exposure_score_dependency(exposures, opts.fraction);
  if (opts.method == ExposureWeighting::dose) {
    for (std::size_t f = 0; f < n; ++f) {
      const ExposureInfo& e = exposures[f];
      if (e.n_projections == 0) continue;
      if (!std::isfinite(e.prior_dose_e_per_A2) || e.prior_dose_e_per_A2 < 0)
        throw ConfigError(kWhere, exposure_label(f) + ".prior_dose_e_per_A2", text(e.prior_dose_e_per_A2),
                          "must be finite and >= 0");
      if (!std::isfinite(e.dose_e_per_A2) || e.dose_e_per_A2 < 0)
        throw ConfigError(kWhere, exposure_label(f) + ".dose_e_per_A2", text(e.dose_e_per_A2),
                          "must be finite and >= 0");
    }
  }
  // bfactor: per-exposure scale and B-factor fitted to the shell correlations where given.
  std::vector<double> fit_log_a(n, 0.0), fit_b(n, 0.0);
  std::vector<char> fitted(n, 0);
  if (opts.method == ExposureWeighting::bfactor) {
    std::size_t best = n;
    for (std::size_t f = 0; f < n; ++f)
      if (exposures[f].n_projections > 0 && !exposures[f].shell_correlation.empty() &&
          (best == n || exposures[f].mean_score > exposures[best].mean_score))
        best = f;
    const auto amplitude = [](double c) { return c / std::sqrt(std::max(1e-6, 1.0 - c * c)); };
    if (best < n) {
      const auto& ref = exposures[best].shell_correlation;
      for (std::size_t f = 0; f < n; ++f) {
        const auto& e = exposures[f];
        if (e.n_projections == 0 || e.shell_correlation.empty()) continue;
        std::vector<double> s2, y, g0, w;
        for (std::size_t i = 0; i < e.shell_correlation.size() && i < ref.size(); ++i) {
          const double c = e.shell_correlation[i], cr = ref[i];
          if (!std::isfinite(c) || !std::isfinite(cr) || !(cr > 0)) continue;
          const double sa = double(i) / (box_px * pixel_size_A);
          s2.push_back(sa * sa);
          y.push_back(amplitude(c));
          g0.push_back(amplitude(cr));
          w.push_back(i < e.shell_samples.size() ? std::max(1.0, e.shell_samples[i]) : 1.0);
        }
        if (s2.size() < 3) continue;
        double best_res = std::numeric_limits<double>::infinity(), best_a = 1.0, best_b = 0.0;
        for (double b = -100.0; b <= 3000.0; b += 10.0) {
          double sgy = 0, sgg = 0;
          for (std::size_t k = 0; k < s2.size(); ++k) {
            const double gk = g0[k] * std::exp(-b * s2[k] / 4);
            sgy += w[k] * gk * y[k];
            sgg += w[k] * gk * gk;
          }
          if (!(sgg > 0)) continue;
          const double a = std::max(0.0, sgy / sgg);
          double res = 0;
          for (std::size_t k = 0; k < s2.size(); ++k) {
            const double d = y[k] - a * g0[k] * std::exp(-b * s2[k] / 4);
            res += w[k] * d * d;
          }
          if (res < best_res) {
            best_res = res;
            best_a = a;
            best_b = b;
          }
        }
        fit_log_a[f] = std::log(std::max(best_a, 1e-6));
        fit_b[f] = best_b;
        fitted[f] = 1;
      }
    }
  }
  auto log_weight = [&](std::size_t f, int i) -> double {
    const double s_px = static_cast<double>(i) / box_px;  // cycles per pixel
    const double s_A = s_px / pixel_size_A;               // 1/Angstrom
    switch (opts.method) {
      case ExposureWeighting::dose:
        return log_attenuation(s_A, exposures[f].prior_dose_e_per_A2, exposures[f].dose_e_per_A2,
                                   opts.voltage_kV);
      case ExposureWeighting::data: {
        const double r2 = r[f] * r[f];
        return -opts.transition * r2 * r2 * std::exp(kDataFrequencyRate * s_px);
      }
      case ExposureWeighting::bfactor:
        if (fitted[f]) return fit_log_a[f] - fit_b[f] * s_A * s_A / 4;
        return -opts.bfactor_max_A2 * r[f] * s_A * s_A / 4;
      case ExposureWeighting::none: break;
    }
    throw InternalError("exposure_weight_table: unexpected method");
  };

  const double scale = opts.multiply ? static_cast<double>(n_nonempty) : 1.0;
  std::vector<double> lw(n);
  for (int i = 0; i < n_shells; ++i) {
    double top = -std::numeric_limits<double>::infinity();
    for (std::size_t f = 0; f < n; ++f) {
      if (exposures[f].n_projections == 0) continue;
      lw[f] = log_weight(f, i);
      top = std::max(top, lw[f]);
    }
    double sum = 0;
    for (std::size_t f = 0; f < n; ++f) {
      if (exposures[f].n_projections == 0) continue;
      lw[f] = std::exp(lw[f] - top);  // the largest is exactly 1, so sum >= 1
      sum += lw[f];
    }
    for (std::size_t f = 0; f < n; ++f)
      if (exposures[f].n_projections > 0)
        table[f][static_cast<std::size_t>(i)] = static_cast<float>(lw[f] / sum * scale);
  }
  return table;
}

std::vector<std::vector<double>> cumulative_contribution(const std::vector<std::vector<float>>& weights) {
  std::vector<std::vector<double>> cum(weights.size());
  if (weights.empty()) return cum;
  const std::size_t n_shells = weights[0].size();
  for (std::size_t f = 0; f < weights.size(); ++f) {
    if (weights[f].size() != n_shells)
      throw ConfigError("cumulative_contribution", "weights[" + std::to_string(f) + "]",
                        std::to_string(weights[f].size()) + " shells",
                        "the same number of shells as weights[0] (" + std::to_string(n_shells) + ")");
    for (std::size_t i = 0; i < n_shells; ++i)
      if (!std::isfinite(weights[f][i]) || weights[f][i] < 0)
        throw ConfigError("cumulative_contribution",
                          "weights[" + std::to_string(f) + "][" + std::to_string(i) + "]",
                          text(weights[f][i]), "must be finite and >= 0");
  }
  std::vector<double> running(n_shells, 0.0);
  for (std::size_t f = 0; f < weights.size(); ++f) {
    cum[f].resize(n_shells);
    for (std::size_t i = 0; i < n_shells; ++i) running[i] += weights[f][i];
  }
  // running now holds the column totals; summing again in the same order makes the last row exactly 1.
  const std::vector<double> total = running;
  std::fill(running.begin(), running.end(), 0.0);
  for (std::size_t f = 0; f < weights.size(); ++f)
    for (std::size_t i = 0; i < n_shells; ++i) {
      running[i] += weights[f][i];
      cum[f][i] = total[i] > 0 ? running[i] / total[i] : 0.0;
    }
  return cum;
}

}  // namespace cspt
