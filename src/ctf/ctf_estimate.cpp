// CTF estimation: stretched tile spectra, background subtraction, search and refinement.
#include "cspt/ctf/ctf_estimate.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <numeric>

#include "cspt/fft/plan.hpp"

namespace cspt {
namespace {

constexpr double kDeg = std::numbers::pi / 180.0;

/// The averaged power spectrum of an image's tiles, each tile resampled so that its Thon rings sit
/// where they would at the reference defocus (CTFFIND's tilted-specimen correction): a tile whose
/// defocus is d_ref + delta has its rings at radius s * sqrt(d_ref / (d_ref + delta)).
struct Spectrum {
  int n = 0;                 ///< tile size; the spectrum is n x (n/2 + 1), FFTW layout
  std::vector<double> power;
};

Spectrum tile_spectrum(const Image& im, int t, const TiltForCtf& tilt, double reference_defocus_A, double px) {
  Spectrum out;
  out.n = t;
  const int nxh = t / 2 + 1;
  out.power.assign(std::size_t(t) * nxh, 0.0);
  fft::AlignedBuffer<float> tile(std::size_t(t) * t);
  fft::AlignedBuffer<std::complex<float>> spec(std::size_t(t) * nxh);
  const auto& plan = fft::cached_forward_plan(t, t);
  std::vector<float> window(static_cast<std::size_t>(t));
  for (int i = 0; i < t; ++i) window[i] = float(0.5 - 0.5 * std::cos(2 * std::numbers::pi * (i + 0.5) / t));
  const bool tilted = std::abs(tilt.tilt_deg) > 0.5 && reference_defocus_A > 0;
  const double ca = std::cos(tilt.axis_deg * kDeg), sa = std::sin(tilt.axis_deg * kDeg), tn = std::tan(tilt.tilt_deg * kDeg);
  std::vector<double> tile_power(std::size_t(t) * nxh);
  for (int y0 = 0; y0 + t <= im.ny(); y0 += t / 2)
    for (int x0 = 0; x0 + t <= im.nx(); x0 += t / 2) {
      double mean = 0;
      for (int y = 0; y < t; ++y)
        for (int x = 0; x < t; ++x) mean += im.at(x0 + x, y0 + y);
      mean /= double(t) * t;
      for (int y = 0; y < t; ++y)
        for (int x = 0; x < t; ++x)
          tile[std::size_t(y) * t + x] = float((im.at(x0 + x, y0 + y) - mean) * window[x] * window[y]);
      plan.execute(tile.data(), spec.data());
      double ratio = 1.0;  // sampling radius / output radius
      if (tilted) {
        // Height of the tile centre on the specimen mid-plane: -(aligned x) tan(tilt).
        const double cx = (x0 + t / 2 - im.nx() / 2) * px, cy = (y0 + t / 2 - im.ny() / 2) * px;
        const double h = -(ca * cx + sa * cy) * tn;
        const double d = reference_defocus_A - tilt.handedness * h;
        ratio = std::sqrt(reference_defocus_A / std::max(d, 0.1 * reference_defocus_A));
      }
      for (std::size_t i = 0; i < tile_power.size(); ++i) tile_power[i] = std::norm(spec[i]);
      for (int row = 0; row < t; ++row) {
        const int ky = row <= t / 2 ? row : row - t;
        for (int kx = 0; kx < nxh; ++kx) {
          if (ratio == 1.0) {
            out.power[std::size_t(row) * nxh + kx] += tile_power[std::size_t(row) * nxh + kx];
            continue;
          }
          // Bilinear sample of the tile's spectrum at (kx, ky) * ratio (Friedel for x < 0 not needed: ratio > 0).
          const double sx = kx * ratio, sy = ky * ratio;
          const int ix = int(sx), iy = int(std::floor(sy));
          const double fx = sx - ix, fy = sy - iy;
          double v = 0;
          for (int dy = 0; dy < 2; ++dy)
            for (int dx = 0; dx < 2; ++dx) {
              const int xx = ix + dx, yy = iy + dy;
              if (xx >= nxh || yy > t / 2 || yy < -t / 2 + 1) continue;
              v += (dx ? fx : 1 - fx) * (dy ? fy : 1 - fy) * tile_power[std::size_t(yy < 0 ? yy + t : yy) * nxh + xx];
            }
          out.power[std::size_t(row) * nxh + kx] += v;
        }
      }
    }
  return out;
}

/// Background-subtracted amplitude spectrum over the fitting ring, as a list of points.
struct FitPoints {
  std::vector<float> sx, sy, value;  ///< frequency (1/A) and background-subtracted amplitude
  std::vector<float> radius;         ///< |s|
  std::vector<float> s2, cos2, sin2; ///< |s|^2 and the azimuth's cos 2phi, sin 2phi (for fast scoring)
};

FitPoints prepare(const Spectrum& sp, double px, double s_min, double s_max) {
  const int t = sp.n, nxh = t / 2 + 1;
  const int n_bins = t / 2 + 1;
  // Radial average of the amplitude, then a smooth background through it (running mean over a
  // window of about a fifth of the way to Nyquist, wide enough to flatten the rings).
  std::vector<double> sum(static_cast<std::size_t>(n_bins), 0.0), cnt(static_cast<std::size_t>(n_bins), 0.0);
  std::vector<double> amp(sp.power.size());
  for (int row = 0; row < t; ++row) {
    const int ky = row <= t / 2 ? row : row - t;
    for (int kx = 0; kx < nxh; ++kx) {
      const std::size_t i = std::size_t(row) * nxh + kx;
      amp[i] = std::sqrt(sp.power[i]);
      const int r = int(std::lround(std::hypot(kx, ky)));
      if (r < n_bins) {
        sum[r] += amp[i];
        cnt[r] += 1;
      }
    }
  }
  std::vector<double> radial(static_cast<std::size_t>(n_bins), 0.0), background(static_cast<std::size_t>(n_bins), 0.0);
  for (int r = 0; r < n_bins; ++r) radial[r] = cnt[r] > 0 ? sum[r] / cnt[r] : 0.0;
  const int half = std::max(3, t / 40);
  for (int r = 0; r < n_bins; ++r) {
    double s = 0, c = 0;
    for (int q = std::max(1, r - half); q <= std::min(n_bins - 1, r + half); ++q) {
      s += radial[q];
      c += 1;
    }
    background[r] = c > 0 ? s / c : 0.0;
  }
  FitPoints pts;
  for (int row = 0; row < t; ++row) {
    const int ky = row <= t / 2 ? row : row - t;
    for (int kx = 0; kx < nxh; ++kx) {
      const double rad = std::hypot(kx, ky);
      const double s = rad / (t * px);
      if (s < s_min || s > s_max) continue;
      const double r = std::min(rad, double(n_bins - 1));
      const int r0 = int(r);
      const double f = r - r0, bg = (1 - f) * background[r0] + f * background[std::min(r0 + 1, n_bins - 1)];
      pts.sx.push_back(float(kx / (t * px)));
      pts.sy.push_back(float(ky / (t * px)));
      pts.value.push_back(float(amp[std::size_t(row) * nxh + kx] - bg));
      pts.radius.push_back(float(s));
      const double s2 = double(kx * kx + ky * ky) / (t * px * t * px);
      pts.s2.push_back(float(s2));
      pts.cos2.push_back(float((double(kx) * kx - double(ky) * ky) / std::max(1.0, double(kx * kx + ky * ky))));
      pts.sin2.push_back(float(2.0 * kx * ky / std::max(1.0, double(kx * kx + ky * ky))));
    }
  }
  return pts;
}

/// sin(x), single precision, branch-free (vectorisable); |x| up to ~1e4.
inline float fast_sin(float x) {
  constexpr float kInvTwoPi = 0.15915494309189535f, kTwoPiHi = 6.28125f, kTwoPiLo = 0.0019353071795864769f;
  constexpr float kPi = 3.14159265358979f;
  const float q = x * kInvTwoPi;
  const float n = float(int(q + std::copysign(0.5f, q)));
  const float r = (x - n * kTwoPiHi) - n * kTwoPiLo;
  const float a = std::fabs(r);
  const float f = std::copysign(std::min(a, kPi - a), r);
  const float f2 = f * f;
  return f * (1.0f + f2 * (-1.0f / 6 + f2 * (1.0f / 120 + f2 * (-1.0f / 5040 + f2 * (1.0f / 362880)))));
}

/// Normalised correlation between the spectrum points and CTF^2 of a trial (vectorised: the CTF
/// phase from precomputed |s|^2 and azimuth terms).
double score(const FitPoints& pts, const CtfParams& trial) {
  const double lambda = electron_wavelength_A(trial.voltage_kV);
  const float pl = float(std::numbers::pi * lambda), hlc = float(0.5 * lambda * lambda * trial.cs_mm * 1e7);
  const float mean_df = float(0.5 * (trial.defocus_u_A + trial.defocus_v_A));
  const float half = float(0.5 * (trial.defocus_u_A - trial.defocus_v_A));
  const float ac = half * float(std::cos(2 * trial.defocus_angle_deg * kDeg)), as = half * float(std::sin(2 * trial.defocus_angle_deg * kDeg));
  const double a = trial.amplitude_contrast;
  const float phase0 = float(std::atan(a / std::sqrt(1 - a * a)) + trial.phase_shift_deg * kDeg);
  const std::size_t n = pts.value.size();
  const float* s2p = pts.s2.data();
  const float* c2p = pts.cos2.data();
  const float* n2p = pts.sin2.data();
  const float* vp = pts.value.data();
  float sv = 0, sm = 0, svv = 0, smm = 0, svm = 0;
#pragma omp simd reduction(+ : sv, sm, svv, smm, svm)
  for (std::size_t i = 0; i < n; ++i) {
    const float df = mean_df + ac * c2p[i] + as * n2p[i];
    const float c = fast_sin(pl * s2p[i] * (df - hlc * s2p[i]) + phase0);
    const float m = c * c, v = vp[i];
    sv += v;
    sm += m;
    svv += v * v;
    smm += m * m;
    svm += v * m;
  }
  const double cov = double(svm) - double(sv) * sm / double(n), vv = double(svv) - double(sv) * sv / double(n),
               vm = double(smm) - double(sm) * sm / double(n);
  return vv > 0 && vm > 0 ? cov / std::sqrt(vv * vm) : 0.0;
}

CtfParams with_defocus(CtfParams p, double d1, double d2, double angle_deg, double phase_deg = -1) {
  p.defocus_u_A = d1;
  p.defocus_v_A = d2;
  p.defocus_angle_deg = angle_deg;
  if (phase_deg >= 0) p.phase_shift_deg = phase_deg;
  return p;
}

/// The finest resolution up to which ring-by-ring agreement stays above 0.3: correlation of the
/// spectrum with the model over each Thon period, the points whose phase chi lies in [k pi, (k+1) pi)
/// at their own azimuth. A period holds a whole rise and fall of CTF^2 whatever the astigmatism,
/// so the model varies within every bin (fixed-width annuli narrower than a period see an almost
/// constant model when the CTF is round, and then no agreement).
double fit_resolution(const FitPoints& pts, const CtfParams& fit, double s_max, std::vector<double>* freq,
                      std::vector<double>* agreement) {
  const CtfEvaluator ctf(fit);
  struct Sums {
    double v = 0, m = 0, vv = 0, mm = 0, vm = 0, s = 0, n = 0;
  };
  std::vector<Sums> period;
  for (std::size_t i = 0; i < pts.value.size(); ++i) {
    if (pts.radius[i] > s_max) continue;
    const double chi = std::abs(ctf.chi(pts.sx[i], pts.sy[i]));
    const std::size_t k = std::size_t(chi / std::numbers::pi);
    if (k >= period.size()) period.resize(k + 1);
    const double cv = ctf(pts.sx[i], pts.sy[i]), m = cv * cv, v = pts.value[i];
    Sums& b = period[k];
    b.v += v, b.m += m, b.vv += v * v, b.mm += m * m, b.vm += v * m, b.s += pts.radius[i], b.n += 1;
  }
  double res = 0;
  int below = 0;
  for (const Sums& b : period) {
    if (b.n <= 10) continue;  // periods outside the fitted band
    const double cov = b.vm - b.v * b.m / b.n, a = b.vv - b.v * b.v / b.n, m = b.mm - b.m * b.m / b.n;
    const double cc = a > 0 && m > 0 ? cov / std::sqrt(a * m) : 0;
    const double s = b.s / b.n;
    if (freq) freq->push_back(s);
    if (agreement) agreement->push_back(cc);
    if (cc >= 0.3 && below < 2) res = 1.0 / s;
    below = cc < 0.3 ? below + 1 : 0;
  }
  return res;
}

}  // namespace

CtfFit estimate_ctf(const Image& image, const CtfParams& optics, double px, const CtfSearchOptions& opts,
                    const TiltForCtf& tilt, CtfDiagnostics* diag) {
  CtfFit fit;
  int t = opts.tile_px;
  while (t > 64 && (t > image.nx() || t > image.ny())) t /= 2;
  if (t > image.nx() || t > image.ny()) {
    fit.reason = "image smaller than 64 px";
    return fit;
  }
  double mean = 0, var = 0;
  for (float v : image.values()) {
    if (!std::isfinite(v)) {
      fit.reason = "non-finite pixel values";
      return fit;
    }
    mean += v;
  }
  mean /= double(image.size());
  for (float v : image.values()) var += (v - mean) * (v - mean);
  if (var <= 1e-12 * double(image.size()) * std::max(1.0, mean * mean)) {
    fit.reason = "the image is flat (no signal)";
    return fit;
  }
  const double s_min = 1.0 / opts.min_resolution_A;
  const double s_max = 1.0 / std::max(opts.max_resolution_A, 2.2 * px);

  // 1D search on the unstretched (or stretched at a first guess) spectrum, then refine in 2D; for a
  // tilted image the stretch uses the defocus found so far, and the search is repeated once.
  double best_mean = 0, best_phase = 0;
  FitPoints pts;
  for (int pass = 0; pass < (std::abs(tilt.tilt_deg) > 0.5 ? 2 : 1); ++pass) {
    pts = prepare(tile_spectrum(image, t, tilt, pass == 0 ? 0.0 : best_mean, px), px, s_min, s_max);
    if (pts.value.size() < 100) {
      fit.reason = "too few spectrum points in the fitting range (pixel size or resolution range)";
      return fit;
    }
    double best = -2;
    for (double ph = 0; ph < (opts.fit_phase_shift ? 180.0 : 1.0); ph += 15.0)
      for (double d = opts.min_defocus_A; d <= opts.max_defocus_A; d += opts.defocus_step_A) {
        const double sc = score(pts, with_defocus(optics, d, d, 0, opts.fit_phase_shift ? ph : -1));
        if (sc > best) {
          best = sc;
          best_mean = d;
          best_phase = ph;
        }
      }
  }
  CtfParams base = optics;
  if (opts.fit_phase_shift) base.phase_shift_deg = best_phase;
  // 2D: astigmatism and angle on a grid around the best mean, then coordinate descent (with the
  // phase shift as a fourth coordinate when asked).
  double d1 = best_mean, d2 = best_mean, ang = 0, ph = base.phase_shift_deg;
  double best = score(pts, with_defocus(base, d1, d2, ang));
  for (double astig = 250; astig <= opts.max_astigmatism_A; astig += 250)
    for (double a = -90; a < 90; a += 15) {
      const double sc = score(pts, with_defocus(base, best_mean + astig / 2, best_mean - astig / 2, a));
      if (sc > best) {
        best = sc;
        d1 = best_mean + astig / 2;
        d2 = best_mean - astig / 2;
        ang = a;
      }
    }
  double step_d = 200, step_a = 8, step_p = opts.fit_phase_shift ? 8 : 0;
  for (int it = 0; it < 60 && (step_d > 5 || step_a > 0.5); ++it) {
    bool improved = false;
    const double cand[8][4] = {{d1 + step_d, d2, ang, ph}, {d1 - step_d, d2, ang, ph}, {d1, d2 + step_d, ang, ph},
                               {d1, d2 - step_d, ang, ph}, {d1, d2, ang + step_a, ph},  {d1, d2, ang - step_a, ph},
                               {d1, d2, ang, ph + step_p}, {d1, d2, ang, std::max(0.0, ph - step_p)}};
    for (const auto& c : cand) {
      const double sc = score(pts, with_defocus(base, c[0], c[1], c[2], c[3]));
      if (sc > best) {
        best = sc;
        d1 = c[0];
        d2 = c[1];
        ang = c[2];
        ph = c[3];
        improved = true;
      }
    }
    if (!improved) {
      step_d /= 2;
      step_a /= 2;
      step_p /= 2;
    }
  }
  base.phase_shift_deg = ph;
  // Canonical form: defocus1 >= defocus2, angle in [-90, 90].
  if (d1 < d2) {
    std::swap(d1, d2);
    ang += 90;
  }
  ang -= 180.0 * std::round(ang / 180.0);
  fit.defocus1_A = d1;
  fit.defocus2_A = d2;
  fit.astig_angle_deg = ang;
  fit.score = best;
  fit.phase_shift_deg = opts.fit_phase_shift ? ph : optics.phase_shift_deg;
  const CtfParams final_ctf = with_defocus(base, d1, d2, ang);
  std::vector<double> freq, agreement;
  fit.fit_resolution_A = fit_resolution(pts, final_ctf, s_max, &freq, &agreement);
  const double mean_d = 0.5 * (d1 + d2);
  if (fit.score < 0.05) fit.reason = "no Thon rings match the model (score " + std::to_string(fit.score) + ")";
  else if (fit.fit_resolution_A <= 0 || fit.fit_resolution_A > 0.8 / s_min)
    fit.reason = "the rings match only at the lowest frequencies (no fit resolution)";
  else if (mean_d <= opts.min_defocus_A + opts.defocus_step_A || mean_d >= opts.max_defocus_A - opts.defocus_step_A)
    fit.reason = "defocus at the edge of the search range";
  fit.confident = fit.reason.empty();
  if (diag) {
    diag->frequency_per_A.clear();
    diag->agreement_frequency_per_A = freq;
    diag->agreement = agreement;
    // 1D: background-subtracted amplitude and the model CTF^2 (scaled to it) in radial bins.
    const CtfEvaluator model(final_ctf);
    const int bins = 100;
    std::vector<double> v(bins, 0), m(bins, 0), c(bins, 0);
    double sv = 0, sm = 0, svv = 0, smm = 0;
    for (std::size_t i = 0; i < pts.value.size(); ++i) {
      const int b = std::clamp(int((pts.radius[i] - s_min) / (s_max - s_min) * bins), 0, bins - 1);
      const double mm = std::pow(model(pts.sx[i], pts.sy[i]), 2);
      v[b] += pts.value[i];
      m[b] += mm;
      c[b] += 1;
      sv += pts.value[i];
      sm += mm;
      svv += double(pts.value[i]) * pts.value[i];
      smm += mm * mm;
    }
    const double n = double(pts.value.size());
    const double scale = std::sqrt((svv / n - sv * sv / n / n) / std::max(1e-30, smm / n - sm * sm / n / n));
    for (int b = 0; b < bins; ++b) {
      if (c[b] == 0) continue;
      diag->frequency_per_A.push_back(s_min + (b + 0.5) * (s_max - s_min) / bins);
      diag->spectrum.push_back(v[b] / c[b]);
      diag->model.push_back((m[b] / c[b] - sm / n) * scale + sv / n);
    }
    // 2D: the spectrum, centred, with the model in the left half.
    diag->spectrum_2d = Image(t, t, 1.0);
    for (std::size_t i = 0; i < pts.value.size(); ++i) {
      const int kx = int(std::lround(pts.sx[i] * t * px)), ky = int(std::lround(pts.sy[i] * t * px));
      for (int sgn : {1, -1}) {
        const int x = t / 2 + sgn * kx, y = t / 2 + sgn * ky;
        if (x < 0 || y < 0 || x >= t || y >= t) continue;
        diag->spectrum_2d.at(x, y) =
            x < t / 2 ? float((std::pow(model(sgn * pts.sx[i], sgn * pts.sy[i]), 2) - sm / n) * scale + sv / n) : pts.value[i];
      }
    }
  }
  return fit;
}

double ctf_fit_score(const Image& image, const CtfParams& optics, double px, const CtfSearchOptions& opts,
                     const TiltForCtf& tilt, const CtfFit& fit) {
  int t = opts.tile_px;
  while (t > 64 && (t > image.nx() || t > image.ny())) t /= 2;
  const double s_min = 1.0 / opts.min_resolution_A, s_max = 1.0 / std::max(opts.max_resolution_A, 2.2 * px);
  const FitPoints pts = prepare(tile_spectrum(image, t, tilt, 0.5 * (fit.defocus1_A + fit.defocus2_A), px), px, s_min, s_max);
  if (pts.value.size() < 100) return 0.0;
  return score(pts, with_defocus(optics, fit.defocus1_A, fit.defocus2_A, fit.astig_angle_deg, fit.phase_shift_deg));
}

}  // namespace cspt
