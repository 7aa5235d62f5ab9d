// Synthetic specimen (texture, holey film, gold beads) and its rendering with Poisson counts.
#include "bisect/specimen_render.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <string>
#include <vector>

#include "cspt/io/mrc.hpp"
#include "cspt/util/error.hpp"

namespace bisect {

namespace {

constexpr const char* kWhere = "specimen";

// A 64-bit finaliser (splitmix64 style): the only source of randomness, so every value is a pure
// function of (seed, integer coordinates) and renders are independent of evaluation order.
inline std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// One finaliser over a linear combination of the coordinates: enough mixing for value noise and
// bead placement, and half the cost of hashing twice (this is the renderer's inner loop).
inline std::uint64_t hash3(std::uint64_t seed, std::int64_t i, std::int64_t j, std::uint64_t k) {
  return mix64(seed * 0xd6e8feb86659fd93ULL + std::uint64_t(i) * 0x9e3779b97f4a7c15ULL +
               std::uint64_t(j) * 0xc2b2ae3d27d4eb4fULL + k * 0x165667b19e3779f9ULL);
}

// [0, 1). Through int64: the signed conversion is one instruction, the unsigned one is not.
inline double unit_from_bits(std::uint64_t h) { return double(std::int64_t(h >> 11)) * 0x1.0p-53; }

// floor() for |v| < 2^62, inline without SSE4.1 (std::floor is a library call on baseline x86-64).
inline double fast_floor(double v) {
  const double t = double(std::int64_t(v));
  return t > v ? t - 1.0 : t;
}

inline double smoothstep(double t) { return t * t * (3.0 - 2.0 * t); }

void require(bool ok, const char* field, double value, const char* expectation) {
  if (!ok) throw cspt::ConfigError(kWhere, field, std::to_string(value), expectation);
}

void validate(const SpecimenParams& p) {
  require(p.texture_rms >= 0 && std::isfinite(p.texture_rms), "texture_rms", p.texture_rms, "finite, >= 0");
  require(p.texture_finest_nm > 0, "texture_finest_nm", p.texture_finest_nm, "> 0");
  require(p.texture_octaves >= 1 && p.texture_octaves <= 24, "texture_octaves", p.texture_octaves, "in [1, 24]");
  require(p.texture_octave_gain > 0, "texture_octave_gain", p.texture_octave_gain, "> 0");
  require(p.carbon_od >= 0, "carbon_od", p.carbon_od, ">= 0");
  require(p.ice_od >= 0, "ice_od", p.ice_od, ">= 0");
  require(p.hole_diameter_um >= 0, "hole_diameter_um", p.hole_diameter_um, ">= 0");
  require(p.hole_diameter_um == 0 || p.hole_spacing_um > p.hole_diameter_um, "hole_spacing_um",
          p.hole_spacing_um, "> hole_diameter_um");
  require(p.hole_edge_nm >= 0, "hole_edge_nm", p.hole_edge_nm, ">= 0");
  require(p.bead_diameter_nm > 0, "bead_diameter_nm", p.bead_diameter_nm, "> 0");
  require(p.bead_od >= 0, "bead_od", p.bead_od, ">= 0");
  require(p.beads_per_um2 >= 0, "beads_per_um2", p.beads_per_um2, ">= 0");
}

// Standard deviation of one value-noise octave of unit amplitude: node values uniform in [−1, 1]
// (variance 1/3), smoothstep-weighted bilinear interpolation; averaged over position the weights
// give ∫(s² + (1 − s)²) dt = 26/35 per axis.
constexpr double kOctaveVariance = (1.0 / 3.0) * (26.0 / 35.0) * (26.0 / 35.0);

double value_noise(std::uint64_t seed, std::uint64_t octave, double u, double v) {
  const double fu = fast_floor(u), fv = fast_floor(v);
  const auto iu = std::int64_t(fu), iv = std::int64_t(fv);
  const double su = smoothstep(u - fu), sv = smoothstep(v - fv);
  auto node = [&](std::int64_t i, std::int64_t j) { return 2.0 * unit_from_bits(hash3(seed, i, j, octave)) - 1.0; };
  const double v00 = node(iu, iv), v10 = node(iu + 1, iv), v01 = node(iu, iv + 1), v11 = node(iu + 1, iv + 1);
  const double top = v00 + su * (v10 - v00), bottom = v01 + su * (v11 - v01);
  return top + sv * (bottom - top);
}

}  // namespace

Specimen::Specimen(SpecimenParams params) : params_(std::move(params)) {
  validate(params_);
  double variance = 0.0, amplitude = 1.0;
  for (int o = 0; o < params_.texture_octaves; ++o, amplitude *= params_.texture_octave_gain)
    variance += amplitude * amplitude * kOctaveVariance;
  texture_norm_ = 1.0 / std::sqrt(variance);
  // Each octave's lattice is offset at random so that no two share a node at the origin.
  for (int o = 0; o < params_.texture_octaves; ++o) {
    const std::uint64_t h = hash3(params_.seed, -1, o, 0xabcdefULL);
    octave_offsets_.push_back(1000.0 * unit_from_bits(h));
    octave_offsets_.push_back(1000.0 * unit_from_bits(mix64(h)));
  }
  lattice_cos_ = std::cos(params_.lattice_angle_deg * std::numbers::pi / 180.0);
  lattice_sin_ = std::sin(params_.lattice_angle_deg * std::numbers::pi / 180.0);
  // At most one random bead per cell, lying wholly inside it, so a point looks at one cell only.
  const double radius_um = 0.5e-3 * params_.bead_diameter_nm;
  if (params_.beads_per_um2 > 0) {
    bead_cell_um_ = std::min(0.25, std::sqrt(0.5 / params_.beads_per_um2));
    require(bead_cell_um_ > 3.0 * radius_um, "beads_per_um2", params_.beads_per_um2,
            "sparse enough that beads do not overlap (cell > 1.5 bead diameters)");
    bead_probability_ = params_.beads_per_um2 * bead_cell_um_ * bead_cell_um_;
  }
}

double Specimen::texture(double x_um, double y_um) const {
  const SpecimenParams& p = params_;
  double sum = 0.0, amplitude = 1.0, wavelength_um = 1e-3 * p.texture_finest_nm;
  for (int o = 0; o < p.texture_octaves; ++o) {
    const double off_u = octave_offsets_[2 * o], off_v = octave_offsets_[2 * o + 1];
    sum += amplitude *
           value_noise(p.seed, std::uint64_t(o), x_um / wavelength_um + off_u, y_um / wavelength_um + off_v);
    amplitude *= p.texture_octave_gain;
    wavelength_um *= 2.0;
  }
  return sum * texture_norm_;
}

double Specimen::hole_fraction(double x_um, double y_um) const {
  const SpecimenParams& p = params_;
  if (p.hole_diameter_um <= 0) return 0.0;
  const double dx = x_um - p.lattice_origin_x_um, dy = y_um - p.lattice_origin_y_um;
  const double u = (lattice_cos_ * dx + lattice_sin_ * dy) / p.hole_spacing_um;
  const double v = (-lattice_sin_ * dx + lattice_cos_ * dy) / p.hole_spacing_um;
  const double du = (u - std::round(u)) * p.hole_spacing_um, dv = (v - std::round(v)) * p.hole_spacing_um;
  const double inside_um = 0.5 * p.hole_diameter_um - std::sqrt(du * du + dv * dv);
  const double edge_um = 1e-3 * p.hole_edge_nm;
  if (edge_um <= 0) return inside_um >= 0 ? 1.0 : 0.0;
  return smoothstep(std::clamp(0.5 + inside_um / edge_um, 0.0, 1.0));
}

double Specimen::bead_density(double x_um, double y_proj_um, double cos_tilt) const {
  const SpecimenParams& p = params_;
  const double radius_um = 0.5e-3 * p.bead_diameter_nm;
  auto disc = [&](double bx, double by) {  // projected thickness of a sphere, relative
    const double dy = y_proj_um - by * cos_tilt;
    const double r2 = ((x_um - bx) * (x_um - bx) + dy * dy) / (radius_um * radius_um);
    return r2 < 1.0 ? std::sqrt(1.0 - r2) : 0.0;
  };
  double d = 0.0;
  for (const BeadPosition& b : p.extra_beads) d += disc(b.x_um, b.y_um);
  if (bead_probability_ > 0) {
    // A bead lies inside its cell on the untilted plane; a disc of radius r about its projected
    // centre reaches r / cos θ in untilted Y, so look at every cell row within that reach.
    const double fx = std::floor(x_um / bead_cell_um_), reach = radius_um / cos_tilt;
    const double y_um = y_proj_um / cos_tilt;
    const double fy_lo = std::floor((y_um - reach) / bead_cell_um_), fy_hi = std::floor((y_um + reach) / bead_cell_um_);
    for (double fy = fy_lo; fy <= fy_hi; fy += 1.0) {
      const std::uint64_t h = hash3(p.seed ^ 0x5bd1e995ULL, std::int64_t(fx), std::int64_t(fy), 7);
      if (unit_from_bits(h) >= bead_probability_) continue;
      const double room = bead_cell_um_ - 2.0 * radius_um;
      d += disc(fx * bead_cell_um_ + radius_um + room * unit_from_bits(mix64(h)),
                fy * bead_cell_um_ + radius_um + room * unit_from_bits(mix64(h + 1)));
    }
  }
  return p.bead_od * d;
}

double Specimen::film_density(double x_um, double y_um) const {
  const SpecimenParams& p = params_;
  const double t = p.texture_rms > 0 ? p.texture_rms * texture(x_um, y_um) : 0.0;
  const double hole = hole_fraction(x_um, y_um);
  const double carbon = p.carbon_od * std::max(0.0, 1.0 + t);
  const double ice = p.ice_od * std::max(0.0, 1.0 + p.ice_texture_fraction * t);
  return carbon + hole * (ice - carbon);
}

double Specimen::transmission(double x_um, double y_proj_um, double cos_tilt) const {
  return std::exp(-film_density(x_um, y_proj_um / cos_tilt) / cos_tilt - bead_density(x_um, y_proj_um, cos_tilt));
}

namespace {

// One counter-based random stream per pixel: reproducible for any evaluation order.
class PixelRandom {
 public:
  PixelRandom(std::uint64_t seed, std::uint64_t index) : state_(mix64(seed ^ mix64(index + 0x632be59bd9b4e019ULL))) {}
  double uniform() {
    state_ += 0x9e3779b97f4a7c15ULL;
    return unit_from_bits(mix64(state_));
  }

 private:
  std::uint64_t state_;
};

// ln k!: exact table for small k, Stirling series of ln Γ(k + 1) beyond (error < 1e-10).
double log_factorial(double k) {
  static const std::array<double, 16> table = [] {
    std::array<double, 16> t{};
    for (int i = 1; i < 16; ++i) t[i] = t[i - 1] + std::log(double(i));
    return t;
  }();
  if (k < 16) return table[std::size_t(k)];
  const double n = k + 1.0, n2 = n * n;
  return (n - 0.5) * std::log(n) - n + 0.5 * std::log(2.0 * std::numbers::pi) +
         (1.0 / 12.0 - (1.0 / 360.0 - 1.0 / (1260.0 * n2)) / n2) / n;
}

// Poisson deviate: multiplication method for small means; Hörmann's transformed rejection with
// squeeze (PTRS, 1993) otherwise, which needs no tables and a bounded number of uniforms.
double poisson(double mean, PixelRandom& rng) {
  if (mean <= 0) return 0.0;
  if (mean < 12.0) {
    const double limit = std::exp(-mean);
    double product = rng.uniform(), k = 0.0;
    while (product > limit) product *= rng.uniform(), k += 1.0;
    return k;
  }
  const double slam = std::sqrt(mean), loglam = std::log(mean);
  const double b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b;
  const double inv_alpha = 1.1239 + 1.1328 / (b - 3.4), v_r = 0.9277 - 3.6224 / (b - 2.0);
  for (;;) {
    const double u = rng.uniform() - 0.5, v = rng.uniform(), us = 0.5 - std::abs(u);
    const double k = std::floor((2.0 * a / us + b) * u + mean + 0.43);
    if (us >= 0.07 && v <= v_r) return k;
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (std::log(v * inv_alpha / (a / (us * us) + b)) <= -mean + k * loglam - log_factorial(k)) return k;
  }
}

void validate(const RenderView& view, int factor) {
  auto fail = [](const char* field, const std::string& value, const char* expectation) {
    throw cspt::ConfigError("render view", field, value, expectation);
  };
  if (factor < 1) fail("factor", std::to_string(factor), ">= 1");
  if (view.nx < factor || view.ny < factor)
    fail("nx, ny", std::to_string(view.nx) + "x" + std::to_string(view.ny), ">= the binning factor");
  if (!(view.pixel_size_A > 0)) fail("pixel_size_A", std::to_string(view.pixel_size_A), "> 0");
  if (!(std::abs(view.tilt_deg) < 89.0)) fail("tilt_deg", std::to_string(view.tilt_deg), "in (-89, 89)");
  if (!(view.dose_e_per_A2 >= 0) || !std::isfinite(view.dose_e_per_A2))
    fail("dose_e_per_A2", std::to_string(view.dose_e_per_A2), "finite, >= 0");
}

}  // namespace

namespace {

// Camera pixel offset from the image centre → projected specimen point: d ↦ centre + (d·a, d·b)·s
// (the convention of specimen_shift_nm), then mean transmission over a block's sub-samples.
class BlockSampler {
 public:
  BlockSampler(const Specimen& specimen, const RenderView& v, int factor, int sub)
      : specimen_(specimen), view_(v), factor_(factor), sub_(sub) {
    const double phi = v.axis_from_x_deg * std::numbers::pi / 180.0;
    ax_ = std::cos(phi), ay_ = std::sin(phi);
    cos_tilt_ = std::cos(v.tilt_deg * std::numbers::pi / 180.0);
    um_per_px_ = v.pixel_size_A * 1e-4;
  }
  // Binned pixel (i, j) covers unbinned pixels i·factor .. i·factor + factor − 1; the image centre
  // is unbinned pixel (nx/2, ny/2) as for cspt::Image.
  double mean_transmission(int i, int j) const {
    double sum = 0.0;
    for (int sj = 0; sj < sub_; ++sj) {
      const double dy = j * factor_ - 0.5 + (sj + 0.5) * factor_ / sub_ - view_.ny / 2;
      for (int si = 0; si < sub_; ++si) {
        const double dx = i * factor_ - 0.5 + (si + 0.5) * factor_ / sub_ - view_.nx / 2;
        const double x_um = view_.centre_x_um + (dx * ax_ + dy * ay_) * um_per_px_;
        const double y_proj_um = view_.centre_y_um + (-dx * ay_ + dy * ax_) * um_per_px_;
        sum += specimen_.transmission(x_um, y_proj_um, cos_tilt_);
      }
    }
    return sum / double(sub_ * sub_);
  }

 private:
  const Specimen& specimen_;
  const RenderView& view_;
  int factor_, sub_;
  double ax_ = 1, ay_ = 0, cos_tilt_ = 1, um_per_px_ = 1;
};

}  // namespace

cspt::Image render_binned(const Specimen& specimen, const RenderView& view, int factor, int max_samples_per_axis) {
  validate(view, factor);
  if (max_samples_per_axis < 1)
    throw cspt::ConfigError("render view", "max_samples_per_axis", std::to_string(max_samples_per_axis), ">= 1");
  const int nbx = view.nx / factor, nby = view.ny / factor;
  const BlockSampler sampler(specimen, view, factor, std::min(factor, max_samples_per_axis));
  const double counts_per_block = view.dose_e_per_A2 * view.pixel_size_A * view.pixel_size_A * factor * factor;
  cspt::Image out(nbx, nby, view.pixel_size_A * factor);
  for (int j = 0; j < nby; ++j)
    for (int i = 0; i < nbx; ++i) {
      const double mean = counts_per_block * sampler.mean_transmission(i, j);
      PixelRandom rng(view.noise_seed, std::uint64_t(j) * std::uint64_t(nbx) + std::uint64_t(i));
      out.at(i, j) = float(view.poisson_noise ? poisson(mean, rng) : mean);
    }
  return out;
}

cspt::Image render(const Specimen& specimen, const RenderView& view) { return render_binned(specimen, view, 1); }

std::vector<std::uint16_t> to_uint16(const cspt::Image& image) {
  std::vector<std::uint16_t> out(image.size());
  const float* in = image.data();
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = std::uint16_t(std::clamp(std::nearbyint(in[i]), 0.0f, 65535.0f));
  return out;
}

}  // namespace bisect
