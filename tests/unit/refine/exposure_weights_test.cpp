// Exposure weights: the BISECT formula (algorithms.md 4.1) written out by hand, the Grant–Grigorieff
// dose variant, the B-factor variant, normalisation, empty exposures, cumulative contribution, errors.
#include "cspt/refine/exposure_weights.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "cspt/util/error.hpp"

namespace cspt {
namespace {

ExposureInfo scored(double score, std::size_t n = 10) {
  ExposureInfo e;
  e.mean_score = score;
  e.n_projections = n;
  return e;
}

ExposureInfo dosed(double prior, double dose) {
  ExposureInfo e;
  e.n_projections = 10;
  e.prior_dose_e_per_A2 = prior;
  e.dose_e_per_A2 = dose;
  return e;
}

template <class F>
void expect_config_error(F f, const std::string& field) {
  try {
    f();
    ADD_FAILURE() << "no ConfigError thrown";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.field(), field) << e.what();
  }
}

double column_sum(const std::vector<std::vector<float>>& w, std::size_t i) {
  double s = 0;
  for (const auto& row : w) s += row[i];
  return s;
}

// Three exposures, scores 0.1, 0.3, 0.2: a = 0, 1, 0.5; with F = 4, r = 1, 0, 1 - 0.5^4 = 0.9375.
const std::vector<ExposureInfo> kThree = {scored(0.1), scored(0.3), scored(0.2)};
const double kR[3] = {1.0, 0.0, 0.9375};

TEST(ExposureWeightsTest, data_matches_the_formula_written_out) {
  const ExposureWeightOptions opts;  // data, F = 4, T = 0.75, multiply
  const auto w = exposure_weight_table(kThree, 8, 1.5, opts);
  ASSERT_EQ(w.size(), 3u);
  ASSERT_EQ(w[0].size(), 6u);  // shells 0 .. 8/2 + 1
  for (int i = 0; i < 6; ++i) {
    const double s = i / 8.0;  // cycles per pixel: the pixel size does not enter
    double raw[3], sum = 0;
    for (int f = 0; f < 3; ++f) {
      raw[f] = std::exp(-0.75 * std::pow(kR[f], 4) * std::exp(7.62 * s));
      sum += raw[f];
    }
    for (int f = 0; f < 3; ++f) EXPECT_NEAR(w[f][i], 3 * raw[f] / sum, 1e-6) << f << " " << i;
  }
  // A few entries as numbers (computed separately, double precision).
  EXPECT_NEAR(w[0][0], 0.697177138, 1e-6);
  EXPECT_NEAR(w[1][0], 1.475924014, 1e-6);
  EXPECT_NEAR(w[2][0], 0.826898848, 1e-6);
  EXPECT_NEAR(w[0][1], 0.314335713, 1e-6);
  EXPECT_NEAR(w[1][2], 2.921522032, 1e-6);
  EXPECT_NEAR(w[2][2], 0.059556365, 1e-6);
  EXPECT_NEAR(w[2][3], 0.000124322, 1e-6);
  EXPECT_NEAR(w[1][4], 3.0, 1e-6);
}

TEST(ExposureWeightsTest, score_dependency_follows_4_1_and_documented_choices) {
  const auto r = exposure_score_dependency(kThree, 4);
  for (int f = 0; f < 3; ++f) EXPECT_DOUBLE_EQ(r[f], kR[f]);
  // Scores 0.5, (empty), -0.1, 0.3, 0.4: min/max over positive non-empty = 0.3/0.5; the negative one is
  // treated as the worst (a = 0); F = 2.
  const std::vector<ExposureInfo> e = {scored(0.5), scored(0.9, 0), scored(-0.1), scored(0.3), scored(0.4)};
  const auto r2 = exposure_score_dependency(e, 2);
  EXPECT_DOUBLE_EQ(r2[0], 0.0);
  EXPECT_DOUBLE_EQ(r2[1], 0.0);  // empty
  EXPECT_DOUBLE_EQ(r2[2], 1.0);
  EXPECT_DOUBLE_EQ(r2[3], 1.0);
  EXPECT_NEAR(r2[4], 1 - 0.25, 1e-12);
  // Scores are not truncated to integers: 2.4, 2.6, 2.8 give a = 0, 0.5, 1.
  const auto r3 = exposure_score_dependency({scored(2.4), scored(2.6), scored(2.8)}, 1);
  EXPECT_NEAR(r3[1], 0.5, 1e-12);
  // No positive score at all: all equal.
  const auto r4 = exposure_score_dependency({scored(0.0), scored(-1.0)}, 4);
  EXPECT_DOUBLE_EQ(r4[0], 0.0);
  EXPECT_DOUBLE_EQ(r4[1], 0.0);
}

TEST(ExposureWeightsTest, columns_sum_to_the_number_of_nonempty_exposures) {
  const std::vector<ExposureInfo> e = {scored(0.3), scored(0.2), scored(0.0, 0), scored(0.25), scored(0.05)};
  for (ExposureWeighting m : {ExposureWeighting::none, ExposureWeighting::data, ExposureWeighting::bfactor}) {
    ExposureWeightOptions opts;
    opts.method = m;
    const auto w = exposure_weight_table(e, 64, 1.0, opts);
    for (std::size_t i = 0; i < w[0].size(); ++i) EXPECT_NEAR(column_sum(w, i), 4.0, 1e-5) << to_string(m) << i;
    for (float v : w[2]) EXPECT_EQ(v, 0.0f);  // the empty exposure
    opts.multiply = false;
    if (m == ExposureWeighting::none) continue;  // none is 1 whatever multiply
    const auto u = exposure_weight_table(e, 64, 1.0, opts);
    for (std::size_t i = 0; i < u[0].size(); ++i) EXPECT_NEAR(column_sum(u, i), 1.0, 1e-6);
  }
}

TEST(ExposureWeightsTest, best_exposure_dominates_high_frequency_but_not_low) {
  const std::vector<ExposureInfo> e = {scored(0.30), scored(0.32), scored(0.28), scored(0.20), scored(0.10)};
  const ExposureWeightOptions opts;
  const auto w = exposure_weight_table(e, 64, 1.0, opts);
  const std::size_t nyq = 32;
  for (std::size_t f = 0; f < e.size(); ++f)
    if (f != 1) EXPECT_GT(w[1][nyq], w[f][nyq]) << f;
  // Larger score, larger weight at every shell past 0 (ordering 1 > 0 > 2 > 3 > 4).
  const int order[5] = {1, 0, 2, 3, 4};
  for (std::size_t i = 1; i < w[0].size(); ++i)
    for (int k = 0; k + 1 < 5; ++k) EXPECT_GE(w[order[k]][i], w[order[k + 1]][i]) << i;
  // At s = 0 the raw weights lie in [exp(-T), 1]: ratio at most exp(0.75); at Nyquist it is huge.
  double lo0 = 1e9, hi0 = 0;
  for (const auto& row : w) lo0 = std::min<double>(lo0, row[0]), hi0 = std::max<double>(hi0, row[0]);
  EXPECT_LE(hi0 / lo0, std::exp(0.75) + 1e-6);
  EXPECT_GT(w[1][nyq] / w[4][nyq], 1e3);
}

TEST(ExposureWeightsTest, equal_scores_and_none_give_all_ones) {
  ExposureWeightOptions opts;
  for (ExposureWeighting m : {ExposureWeighting::data, ExposureWeighting::bfactor, ExposureWeighting::none}) {
    opts.method = m;
    const auto w = exposure_weight_table({scored(0.2), scored(0.2), scored(0.2, 0), scored(0.2)}, 16, 2.0, opts);
    for (std::size_t f = 0; f < 4; ++f)
      for (float v : w[f]) EXPECT_NEAR(v, f == 2 ? 0.0 : 1.0, 1e-6) << to_string(m);
  }
}

TEST(ExposureWeightsTest, no_underflow_to_zero_over_zero) {
  ExposureWeightOptions opts;
  opts.transition = 1e4;  // every raw weight but the best underflows at every shell
  const auto w = exposure_weight_table(kThree, 2, 1.0, opts);
  for (std::size_t i = 0; i < w[0].size(); ++i) {
    EXPECT_NEAR(w[1][i], 3.0, 1e-6);
    EXPECT_NEAR(column_sum(w, i), 3.0, 1e-5);
  }
}

// Grant & Grigorieff written out at 300 kV: Ne = 0.24499 s^-1.6649 + 2.8141, integrated attenuation.
double reference_attenuation(double s, double n0, double d) {
  if (s == 0) return 1.0;
  const double ne = 0.24499 * std::pow(s, -1.6649) + 2.8141;
  return 2 * ne / d * (std::exp(-n0 / (2 * ne)) - std::exp(-(n0 + d) / (2 * ne)));
}

TEST(ExposureWeightsTest, dose_matches_attenuation_normalised) {
  const std::vector<ExposureInfo> e = {dosed(0, 3), dosed(3, 3), dosed(6, 4), dosed(40, 3)};
  ExposureWeightOptions opts;
  opts.method = ExposureWeighting::dose;
  const int box = 32;
  const double px = 1.2;
  const auto w = exposure_weight_table(e, box, px, opts);
  for (int i = 0; i < box / 2 + 2; ++i) {
    const double s = i / (box * px);
    double raw[4], sum = 0;
    for (int f = 0; f < 4; ++f) {
      raw[f] = reference_attenuation(s, e[f].prior_dose_e_per_A2, e[f].dose_e_per_A2);
      sum += raw[f];
    }
    for (int f = 0; f < 4; ++f) EXPECT_NEAR(w[f][i], 4 * raw[f] / sum, 1e-6) << f << " " << i;
  }
  for (int f = 0; f < 4; ++f) EXPECT_NEAR(w[f][0], 1.0, 1e-6);  // no attenuation at s = 0
  // More prior dose, less high-frequency weight.
  for (int f = 0; f + 1 < 4; ++f) EXPECT_GT(w[f][box / 2], w[f + 1][box / 2]);
  // Equal doses, equal weights.
  const auto eq = exposure_weight_table({dosed(5, 2), dosed(5, 2), dosed(5, 2)}, box, px, opts);
  for (const auto& row : eq)
    for (float v : row) EXPECT_NEAR(v, 1.0, 1e-6);
}

TEST(ExposureWeightsTest, dose_weights_survive_attenuation_underflow) {
  // At 20000 e/A^2 the attenuation underflows to 0 at high frequency; the ratio of the attenuations
  // of two equal doses one e/A^2 apart is still exp(-1 / 2Ne).
  ExposureWeightOptions opts;
  opts.method = ExposureWeighting::dose;
  opts.multiply = false;
  const int box = 32;
  const double px = 1.2;
  const auto w = exposure_weight_table({dosed(20000, 1), dosed(20001, 1)}, box, px, opts);
  for (int i : {box / 4, box / 2}) {
    const double s = i / (box * px);
    const double ne = 0.24499 * std::pow(s, -1.6649) + 2.8141;
    EXPECT_EQ(reference_attenuation(s, 20000, 1), 0.0);  // linear weights would give 0/0
    EXPECT_NEAR(w[1][i] / w[0][i], std::exp(-1 / (2 * ne)), 1e-5) << i;
    EXPECT_NEAR(w[0][i] + w[1][i], 1.0, 1e-6);
  }
}

TEST(ExposureWeightsTest, bfactor_matches_the_formula_and_is_monotone_in_score) {
  ExposureWeightOptions opts;
  opts.method = ExposureWeighting::bfactor;  // B_max = 150 A^2, F = 4
  const auto w = exposure_weight_table(kThree, 8, 1.5, opts);
  for (int i = 0; i < 6; ++i) {
    const double sA = i / (8 * 1.5);
    double raw[3], sum = 0;
    for (int f = 0; f < 3; ++f) {
      raw[f] = std::exp(-150.0 * kR[f] * sA * sA / 4);
      sum += raw[f];
    }
    for (int f = 0; f < 3; ++f) EXPECT_NEAR(w[f][i], 3 * raw[f] / sum, 1e-6) << f << " " << i;
  }
  EXPECT_NEAR(w[0][3], 0.238511761, 1e-6);
  EXPECT_NEAR(w[1][5], 2.988872856, 1e-6);
  EXPECT_NEAR(w[2][4], 0.058271762, 1e-6);
  for (int i = 1; i < 6; ++i) {
    EXPECT_GT(w[1][i], w[2][i]);  // score 0.3 > 0.2 > 0.1
    EXPECT_GT(w[2][i], w[0][i]);
  }
}

TEST(ExposureWeightsTest, cumulative_contribution_is_monotone_and_ends_at_one) {
  const std::vector<ExposureInfo> e = {scored(0.3), scored(0.25), scored(0.0, 0), scored(0.1), scored(0.2)};
  const auto w = exposure_weight_table(e, 32, 1.0, ExposureWeightOptions{});
  const auto c = cumulative_contribution(w);
  ASSERT_EQ(c.size(), w.size());
  for (std::size_t i = 0; i < w[0].size(); ++i) {
    EXPECT_DOUBLE_EQ(c.back()[i], 1.0);
    for (std::size_t f = 1; f < c.size(); ++f) EXPECT_GE(c[f][i], c[f - 1][i]);
    EXPECT_NEAR(c[0][i], w[0][i] / column_sum(w, i), 1e-12);
  }
  // The first (best) exposure carries more of the high frequencies than of the low ones.
  EXPECT_GT(c[0][16], c[0][0]);
  // A hand example, with a column that sums to 0.
  const auto h = cumulative_contribution({{1.0f, 0.0f, 3.0f}, {3.0f, 0.0f, 1.0f}});
  EXPECT_DOUBLE_EQ(h[0][0], 0.25);
  EXPECT_DOUBLE_EQ(h[0][1], 0.0);
  EXPECT_DOUBLE_EQ(h[1][1], 0.0);
  EXPECT_DOUBLE_EQ(h[0][2], 0.75);
  EXPECT_DOUBLE_EQ(h[1][2], 1.0);
  EXPECT_TRUE(cumulative_contribution({}).empty());
  expect_config_error([] { cumulative_contribution({{1.0f, 2.0f}, {1.0f}}); }, "weights[1]");
  expect_config_error([] { cumulative_contribution({{1.0f, -2.0f}}); }, "weights[0][1]");
}

TEST(ExposureWeightsTest, names_round_trip_and_unknown_names_throw) {
  for (ExposureWeighting m : {ExposureWeighting::none, ExposureWeighting::dose, ExposureWeighting::data,
                              ExposureWeighting::bfactor, ExposureWeighting::fitted_exposure})
    EXPECT_EQ(parse_exposure_weighting(to_string(m)), m);
  try {
    parse_exposure_weighting("Gaussian", "refine.yaml");
    ADD_FAILURE() << "no ConfigError thrown";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.where(), "refine.yaml");
    EXPECT_EQ(e.value(), "Gaussian");
    const std::string msg = e.what();
    for (const char* choice : {"none", "dose", "data", "bfactor", "fitted-exposure"}) EXPECT_NE(msg.find(choice), std::string::npos);
  }
}

TEST(ExposureWeightsTest, bad_input_throws_config_error) {
  const ExposureWeightOptions ok;
  expect_config_error([&] { exposure_weight_table({}, 8, 1.0, ok); }, "exposures");
  expect_config_error([&] { exposure_weight_table({scored(0.1, 0), scored(0.2, 0)}, 8, 1.0, ok); }, "exposures");
  expect_config_error([&] { exposure_weight_table(kThree, 1, 1.0, ok); }, "box_px");
  expect_config_error([&] { exposure_weight_table(kThree, 8, 0.0, ok); }, "pixel_size_A");
  expect_config_error([&] { exposure_weight_table(kThree, 8, -1.0, ok); }, "pixel_size_A");
  ExposureWeightOptions o = ok;
  o.fraction = 0;
  expect_config_error([&] { exposure_weight_table(kThree, 8, 1.0, o); }, "fraction");
  o = ok;
  o.transition = 0;
  expect_config_error([&] { exposure_weight_table(kThree, 8, 1.0, o); }, "transition");
  o = ok;
  o.method = ExposureWeighting::bfactor;
  o.bfactor_max_A2 = -1;
  expect_config_error([&] { exposure_weight_table(kThree, 8, 1.0, o); }, "bfactor_max_A2");
  o = ok;
  o.method = ExposureWeighting::dose;
  o.voltage_kV = 50;
  expect_config_error([&] { exposure_weight_table({dosed(0, 1)}, 8, 1.0, o); }, "voltage_kV");
  o.method = ExposureWeighting::fitted_exposure;
  expect_config_error([&] { exposure_weight_table({dosed(0, 1)}, 8, 1.0, o); }, "voltage_kV");
  expect_config_error([&] { fit_exposure_decay({dosed(0, 1)}, 8, 1.0, o); }, "voltage_kV");
  o.voltage_kV = 300;
  expect_config_error([&] { fit_exposure_decay({dosed(0, 1)}, 8, 0.0, o); }, "pixel_size_A");
  o.method = ExposureWeighting::dose;
  expect_config_error([&] { exposure_weight_table({dosed(0, 1), dosed(-1, 1)}, 8, 1.0, o); },
                      "exposures[1].prior_dose_e_per_A2");
  expect_config_error([&] { exposure_weight_table({scored(0.1), scored(NAN)}, 8, 1.0, ok); },
                      "exposures[1].mean_score");
}

}  // namespace
}  // namespace cspt

namespace cspt {
namespace {

TEST(ExposureWeightsTest, bfactor_variant_fits_scale_and_bfactor_from_shell_correlations) {
  // Exposure f's signal amplitude at shell i is A_f exp(-B_f s^2 / 4) times the best exposure's;
  // the correlations handed over are what such amplitudes give, C = a / sqrt(1 + a^2).
  const int box = 64;
  const double px = 1.5;
  const double truth_a[3] = {1.0, 0.8, 0.5}, truth_b[3] = {0.0, 150.0, 600.0};
  std::vector<ExposureInfo> e(3);
  for (int f = 0; f < 3; ++f) {
    e[std::size_t(f)].n_projections = 100;
    e[std::size_t(f)].mean_score = 0.3 - 0.1 * f;
    e[std::size_t(f)].shell_correlation.assign(20, std::nan(""));
    e[std::size_t(f)].shell_samples.assign(20, 0.0);
    for (int i = 3; i < 20; ++i) {
      const double s = i / (box * px);
      const double a_ref = 0.4 * std::exp(-40.0 * s * s);  // the best exposure's own fall-off
      const double a = truth_a[f] * std::exp(-truth_b[f] * s * s / 4) * a_ref;
      e[std::size_t(f)].shell_correlation[std::size_t(i)] = a / std::sqrt(1 + a * a);
      e[std::size_t(f)].shell_samples[std::size_t(i)] = 1000.0 * i;
    }
  }
  ExposureWeightOptions o;
  o.method = ExposureWeighting::bfactor;
  o.multiply = false;
  const auto w = exposure_weight_table(e, box, px, o);
  // Ratios of weights are the fitted A_f exp(-B_f s^2/4) ratios, at fitted and extrapolated shells.
  for (int i : {5, 15, 30}) {
    const double s = i / (box * px);
    for (int f = 1; f < 3; ++f) {
      const double expected = truth_a[f] * std::exp(-truth_b[f] * s * s / 4);
      EXPECT_NEAR(w[std::size_t(f)][std::size_t(i)] / w[0][std::size_t(i)], expected, 0.02 * expected + 1e-4)
          << "exposure " << f << " shell " << i;
    }
  }
}

// Shell correlations of exposures whose signal is the best exposure's attenuated by `extra` e/A^2
// more exposure (Grant–Grigorieff, written out in reference_attenuation above), times a scale.
std::vector<ExposureInfo> exposures_with_extra_exposure(const std::vector<double>& extra, const std::vector<double>& scale,
                                                        int box, double px, int first_shell, int last_shell) {
  std::vector<ExposureInfo> e(extra.size());
  for (std::size_t f = 0; f < extra.size(); ++f) {
    e[f].n_projections = 100;
    e[f].mean_score = 0.3 - 0.01 * double(f);
    e[f].prior_dose_e_per_A2 = 1000;  // a record that is wrong: the fit must not read it
    e[f].dose_e_per_A2 = 3;
    e[f].shell_correlation.assign(std::size_t(last_shell) + 1, std::nan(""));
    e[f].shell_samples.assign(std::size_t(last_shell) + 1, 0.0);
    for (int i = first_shell; i <= last_shell; ++i) {
      const double s = i / (box * px);
      const double a_ref = 0.3 * std::exp(-60.0 * s * s);  // what the best exposure shows of the reference
      const double a = scale[f] * reference_attenuation(s, extra[f], 3) / reference_attenuation(s, 0, 3) * a_ref;
      e[f].shell_correlation[std::size_t(i)] = a / std::sqrt(1 + a * a);
      e[f].shell_samples[std::size_t(i)] = 500.0 * i;
    }
  }
  return e;
}

TEST(ExposureWeightsTest, fitted_exposure_recovers_each_exposure_and_weighs_as_its_true_dose) {
  const int box = 128;
  const double px = 1.5;
  const std::vector<double> extra = {0, 4.5, 13.5, 31.5, 72}, scale = {1, 0.97, 0.9, 1.05, 0.8};
  ExposureWeightOptions o;
  o.method = ExposureWeighting::fitted_exposure;
  // Shells 2..24 (down to 8 A), the band a refinement at 8 A scores.
  const auto e = exposures_with_extra_exposure(extra, scale, box, px, 2, 24);
  const auto fit = fit_exposure_decay(e, box, px, o);
  for (std::size_t f = 0; f < extra.size(); ++f) {
    ASSERT_TRUE(fit[f].fitted) << f;
    EXPECT_NEAR(fit[f].decay, extra[f], 0.51) << "exposure " << f;  // the grid's step is 0.5 e/A^2
    EXPECT_NEAR(std::exp(fit[f].log_scale), scale[f], 0.02) << "exposure " << f;
  }
  // The table is the dose table of the true exposures times the scales, also beyond the fitted band.
  ExposureWeightOptions d;
  d.method = ExposureWeighting::dose;
  d.multiply = o.multiply = false;
  std::vector<ExposureInfo> truth;
  for (double x : extra) truth.push_back(dosed(x, 3));
  const auto w = exposure_weight_table(e, box, px, o);
  const auto wd = exposure_weight_table(truth, box, px, d);
  for (int i : {4, 16, 24, 40, 64}) {
    double sum = 0;
    for (std::size_t f = 0; f < extra.size(); ++f) sum += scale[f] * wd[f][std::size_t(i)];
    for (std::size_t f = 0; f < extra.size(); ++f) {
      const double expected = scale[f] * wd[f][std::size_t(i)] / sum;
      EXPECT_NEAR(w[f][std::size_t(i)], expected, 0.03 * expected + 1e-4) << "exposure " << f << " shell " << i;
    }
  }
  // The B-factor form cannot follow the same data as closely beyond the band it was fitted on.
  o.method = ExposureWeighting::bfactor;
  const auto wb = exposure_weight_table(e, box, px, o);
  double worst_b = 0, worst_fe = 0;
  for (std::size_t f = 1; f < extra.size(); ++f) {
    const double t = wd[f][64] / wd[0][64] * scale[f];
    worst_b = std::max(worst_b, std::abs(std::log(wb[f][64] / wb[0][64] / t)));
    worst_fe = std::max(worst_fe, std::abs(std::log(w[f][64] / w[0][64] / t)));
  }
  EXPECT_LT(worst_fe, 0.05);
  EXPECT_GT(worst_b, 4 * worst_fe);
}

TEST(ExposureWeightsTest, fitted_exposure_of_equal_exposures_is_flat_and_without_shells_falls_back_to_data) {
  const int box = 64;
  const double px = 1.5;
  ExposureWeightOptions o;
  o.method = ExposureWeighting::fitted_exposure;
  // Negative control: every exposure shows the same signal, so none has seen more exposure.
  const auto same = exposures_with_extra_exposure({0, 0, 0}, {1, 1, 1}, box, px, 2, 20);
  for (const auto& f : fit_exposure_decay(same, box, px, o)) EXPECT_NEAR(f.decay, 0.0, 0.51);
  for (const auto& row : exposure_weight_table(same, box, px, o))
    for (float v : row) EXPECT_NEAR(v, 1.0, 0.01);
  // Two shells are not enough to fit: the table is the data table of the same scores.
  const auto thin = exposures_with_extra_exposure({0, 10, 40}, {1, 1, 1}, box, px, 2, 3);
  EXPECT_FALSE(fit_exposure_decay(thin, box, px, o)[1].fitted);
  ExposureWeightOptions data;
  const auto expected = exposure_weight_table(thin, box, px, data);
  EXPECT_EQ(exposure_weight_table(thin, box, px, o), expected);
  // Exposure only accumulates: an exposure that looks less exposed than the one before it is pooled
  // with it, both then at one value between the two.
  const auto swapped = exposures_with_extra_exposure({0, 20, 10, 30}, {1, 1, 1, 1}, box, px, 2, 20);
  const auto fit = fit_exposure_decay(swapped, box, px, o);
  EXPECT_NEAR(fit[0].decay, 0.0, 0.51);
  EXPECT_NEAR(fit[3].decay, 30.0, 0.51);
  EXPECT_DOUBLE_EQ(fit[1].decay, fit[2].decay);
  EXPECT_GT(fit[1].decay, 10.5);
  EXPECT_LT(fit[1].decay, 19.5);
  // Other methods fit nothing.
  for (const auto& f : fit_exposure_decay(same, box, px, data)) EXPECT_FALSE(f.fitted);
}

TEST(ExposureWeightsTest, non_decreasing_fit_pools_falling_runs_by_weight) {
  EXPECT_EQ(non_decreasing_fit({1, 2, 3}, {1, 1, 1}), (std::vector<double>{1, 2, 3}));
  EXPECT_EQ(non_decreasing_fit({}, {}), std::vector<double>{});
  // 3 then 1 with weights 1 and 3: both become (3 + 3) / 4 = 1.5.
  EXPECT_EQ(non_decreasing_fit({0, 3, 1, 4}, {1, 1, 3, 1}), (std::vector<double>{0, 1.5, 1.5, 4}));
  // A pooled block that then falls below its predecessor pools again.
  const auto v = non_decreasing_fit({2, 5, 1, 0}, {1, 1, 1, 1});
  for (double x : v) EXPECT_DOUBLE_EQ(x, 2.0);
  expect_config_error([] { non_decreasing_fit({1, 2}, {1}); }, "weights");
  expect_config_error([] { non_decreasing_fit({1, NAN}, {1, 1}); }, "values[1]");
  expect_config_error([] { non_decreasing_fit({1, 2}, {1, -1}); }, "values[1]");
}

}  // namespace
}  // namespace cspt
