// Per-exposure frequency weights: none, Grant–Grigorieff dose, BISECT data-driven, B-factor variant.
#include "cspt/refine/exposure_weights.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "cspt/core/exposure_filter.hpp"
#include "cspt/util/error.hpp"

namespace cspt {
namespace {

constexpr const char* kWhere = "exposure weighting";
constexpr const char* kChoices = "one of: none, dose, data, bfactor, fitted-exposure";
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
  if ((o.method == ExposureWeighting::dose || o.method == ExposureWeighting::fitted_exposure) &&
      !(o.voltage_kV >= 100 && o.voltage_kV <= 300))
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

double data_log_weight(double r, double s_px, double transition) {
  const double r2 = r * r;
  return -transition * r2 * r2 * std::exp(kDataFrequencyRate * s_px);
}

/// The critical exposure is unbounded at s = 0; the DC shell uses this frequency (1/A) instead.
constexpr double kLowestS = 1e-4;

/// exp(-decay * s^2 / 4) (bfactor) or exp(-decay / (2 N_e(s))) (fitted_exposure) at s (1/A).
double decay_factor(ExposureWeighting method, double decay, double s_A, double voltage_kV) {
  if (method == ExposureWeighting::bfactor) return std::exp(-decay * s_A * s_A / 4);
  return std::exp(-decay / (2 * critical_exposure_e_per_A2(std::max(s_A, kLowestS), voltage_kV)));
}


/// What a fit compares: one exposure's signal amplitude per shell against the best exposure's.
struct ShellCurve {
  std::vector<double> s_A, y, g0, w;  ///< frequency (1/A), amplitude, best's amplitude, samples
};

/// Signal amplitude of a correlation C with the reference: C / sqrt(1 - C^2) = sqrt(SSNR).
double amplitude(double c) { return c / std::sqrt(std::max(1e-6, 1.0 - c * c)); }

/// The shells where both exposures were measured and the best one correlates (shell 0 left out).
ShellCurve shell_curve(const ExposureInfo& e, const ExposureInfo& best, int box_px, double pixel_size_A) {
  ShellCurve c;
  const auto& ref = best.shell_correlation;
  for (std::size_t i = 1; i < e.shell_correlation.size() && i < ref.size(); ++i) {
    const double cf = e.shell_correlation[i], cr = ref[i];
    if (!std::isfinite(cf) || !std::isfinite(cr) || !(cr > 0)) continue;
    c.s_A.push_back(double(i) / (box_px * pixel_size_A));
    c.y.push_back(amplitude(cf));
    c.g0.push_back(amplitude(cr));
    c.w.push_back(i < e.shell_samples.size() ? std::max(1.0, e.shell_samples[i]) : 1.0);
  }
  return c;
}

/// The decay's functional form and its grid: B in A^2 (bfactor), or the exposure beyond the best
/// exposure's in e/A^2 (fitted_exposure).
struct DecayModel {
  ExposureWeighting method;
  double voltage_kV;
  double factor(double decay, double s_A) const { return decay_factor(method, decay, s_A, voltage_kV); }
  /// d log(factor) / d decay, negated.
  double rate(double s_A) const {
    if (method == ExposureWeighting::bfactor) return s_A * s_A / 4;
    return 1.0 / (2 * critical_exposure_e_per_A2(std::max(s_A, kLowestS), voltage_kV));
  }
  double lo() const { return method == ExposureWeighting::bfactor ? -100.0 : -30.0; }
  double hi() const { return method == ExposureWeighting::bfactor ? 3000.0 : 600.0; }
  double step() const { return method == ExposureWeighting::bfactor ? 10.0 : 0.5; }
};

constexpr double kSmallestScale = 1e-6;

/// Least squares (weights = Fourier samples, about the inverse variance of C) for one decay, with
/// the scale in closed form: {scale, weighted residual}.
std::pair<double, double> scale_and_residual(const ShellCurve& c, const DecayModel& m, double decay) {
  double sgy = 0, sgg = 0;
  for (std::size_t k = 0; k < c.s_A.size(); ++k) {
    const double g = c.g0[k] * m.factor(decay, c.s_A[k]);
    sgy += c.w[k] * g * c.y[k];
    sgg += c.w[k] * g * g;
  }
  if (!(sgg > 0)) return {0.0, std::numeric_limits<double>::infinity()};
  const double a = std::max(0.0, sgy / sgg);
  double res = 0;
  for (std::size_t k = 0; k < c.s_A.size(); ++k) {
    const double r = c.y[k] - a * c.g0[k] * m.factor(decay, c.s_A[k]);
    res += c.w[k] * r * r;
  }
  return {a, res};
}

/// The decay on the model's grid with the least residual, and its scale.
ExposureFit best_decay(const ShellCurve& c, const DecayModel& m) {
  double best_res = std::numeric_limits<double>::infinity(), best_a = 1.0, best_d = 0.0;
  for (double d = m.lo(); d <= m.hi() + 1e-9; d += m.step()) {
    const auto [a, res] = scale_and_residual(c, m, d);
    if (res < best_res) {
      best_res = res;
      best_a = a;
      best_d = d;
    }
  }
  return {true, std::log(std::max(best_a, kSmallestScale)), best_d};
}

/// Fisher information of the decay at the fit: sum w (d model / d decay)^2.
double decay_information(const ShellCurve& c, const DecayModel& m, const ExposureFit& f) {
  const double a = std::exp(f.log_scale);
  double info = 0;
  for (std::size_t k = 0; k < c.s_A.size(); ++k) {
    const double g = a * c.g0[k] * m.factor(f.decay, c.s_A[k]) * m.rate(c.s_A[k]);
    info += c.w[k] * g * g;
  }
  return info;
}

}  // namespace

std::vector<ExposureFit> fit_exposure_decay(const std::vector<ExposureInfo>& exposures, int box_px,
                                            double pixel_size_A, const ExposureWeightOptions& opts) {
  const std::size_t n = exposures.size();
  std::vector<ExposureFit> fit(n);
  if (opts.method != ExposureWeighting::bfactor && opts.method != ExposureWeighting::fitted_exposure) return fit;
  if (!std::isfinite(pixel_size_A) || pixel_size_A <= 0)
    throw ConfigError(kWhere, "pixel_size_A", text(pixel_size_A), "must be finite and > 0");
  if (box_px < 2) throw ConfigError(kWhere, "box_px", std::to_string(box_px), "must be >= 2");
  check_options(opts);
  // The reference curve: the best-scoring exposure's. Every exposure is fitted relative to it, so
  // what the reference projections and the specimen share cancels.
  std::size_t best = n;
  for (std::size_t f = 0; f < n; ++f)
    if (exposures[f].n_projections > 0 && !exposures[f].shell_correlation.empty() &&
        (best == n || exposures[f].mean_score > exposures[best].mean_score))
      best = f;
  if (best == n) return fit;
  const DecayModel model{opts.method, opts.voltage_kV};
  std::vector<ShellCurve> curve(n);
  std::vector<double> information(n, 0.0);
  for (std::size_t f = 0; f < n; ++f) {
    if (exposures[f].n_projections == 0) continue;
    curve[f] = shell_curve(exposures[f], exposures[best], box_px, pixel_size_A);
    if (curve[f].s_A.size() < 3) continue;
    fit[f] = best_decay(curve[f], model);
    information[f] = decay_information(curve[f], model, fit[f]);
  }
  if (opts.method == ExposureWeighting::bfactor) return fit;
  // Exposure only accumulates: the fitted exposures must not fall with acquisition order. Pool
  // adjacent violators (weighted by information), then refit each scale at its pooled exposure.
  std::vector<std::size_t> fitted;
  std::vector<double> values, weights;
  for (std::size_t f = 0; f < n; ++f)
    if (fit[f].fitted) {
      fitted.push_back(f);
      values.push_back(fit[f].decay);
      weights.push_back(information[f]);
    }
  const std::vector<double> pooled = non_decreasing_fit(values, weights);
  for (std::size_t k = 0; k < fitted.size(); ++k) {
    ExposureFit& e = fit[fitted[k]];
    e.decay = pooled[k];
    e.log_scale = std::log(std::max(scale_and_residual(curve[fitted[k]], model, e.decay).first, kSmallestScale));
  }
  return fit;
}

std::vector<double> non_decreasing_fit(const std::vector<double>& values, const std::vector<double>& weights) {
  if (values.size() != weights.size())
    throw ConfigError("non_decreasing_fit", "weights", std::to_string(weights.size()) + " values",
                      "one per value (" + std::to_string(values.size()) + ")");
  struct Block {
    double value, weight;
    std::size_t count;
  };
  std::vector<Block> blocks;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i]) || !std::isfinite(weights[i]) || weights[i] < 0)
      throw ConfigError("non_decreasing_fit", "values[" + std::to_string(i) + "]",
                        text(values[i]) + " (weight " + text(weights[i]) + ")", "finite, with a finite weight >= 0");
    blocks.push_back({values[i], std::max(weights[i], 1e-300), 1});
    while (blocks.size() > 1 && blocks[blocks.size() - 2].value > blocks.back().value) {
      const Block b = blocks.back();
      blocks.pop_back();
      Block& a = blocks.back();
      a.value = (a.value * a.weight + b.value * b.weight) / (a.weight + b.weight);
      a.weight += b.weight;
      a.count += b.count;
    }
  }
  std::vector<double> out;
  out.reserve(values.size());
  for (const Block& b : blocks) out.insert(out.end(), b.count, b.value);
  return out;
}

ExposureWeighting parse_exposure_weighting(const std::string& name, const std::string& context) {
  if (name == "none") return ExposureWeighting::none;
  if (name == "dose") return ExposureWeighting::dose;
  if (name == "data") return ExposureWeighting::data;
  if (name == "bfactor") return ExposureWeighting::bfactor;
  if (name == "fitted-exposure") return ExposureWeighting::fitted_exposure;
  throw ConfigError(context, "exposure_weighting", name.empty() ? "\"\"" : name, kChoices);
}

std::string to_string(ExposureWeighting w) {
  switch (w) {
    case ExposureWeighting::none: return "none";
    case ExposureWeighting::dose: return "dose";
    case ExposureWeighting::data: return "data";
    case ExposureWeighting::bfactor: return "bfactor";
    case ExposureWeighting::fitted_exposure: return "fitted-exposure";
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
  const bool fits = opts.method == ExposureWeighting::bfactor || opts.method == ExposureWeighting::fitted_exposure;
  const std::vector<ExposureFit> fit =
      fits ? fit_exposure_decay(exposures, box_px, pixel_size_A, opts) : std::vector<ExposureFit>(n);
  bool all_fitted = true;
  for (std::size_t f = 0; f < n; ++f) all_fitted = all_fitted && (exposures[f].n_projections == 0 || fit[f].fitted);
  if (opts.method == ExposureWeighting::fitted_exposure && !all_fitted) r = exposure_score_dependency(exposures, opts.fraction);
  auto log_weight = [&](std::size_t f, int i) -> double {
    const double s_px = static_cast<double>(i) / box_px;  // cycles per pixel
    const double s_A = s_px / pixel_size_A;               // 1/Angstrom
    switch (opts.method) {
      case ExposureWeighting::dose:
        return log_attenuation(s_A, exposures[f].prior_dose_e_per_A2, exposures[f].dose_e_per_A2,
                                   opts.voltage_kV);
      case ExposureWeighting::data: return data_log_weight(r[f], s_px, opts.transition);
      case ExposureWeighting::bfactor:
        if (fit[f].fitted) return fit[f].log_scale - fit[f].decay * DecayModel{opts.method, opts.voltage_kV}.rate(s_A);
        return -opts.bfactor_max_A2 * r[f] * s_A * s_A / 4;
      case ExposureWeighting::fitted_exposure:
        if (!all_fitted) return data_log_weight(r[f], s_px, opts.transition);
        return fit[f].log_scale - fit[f].decay * DecayModel{opts.method, opts.voltage_kV}.rate(s_A);
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
