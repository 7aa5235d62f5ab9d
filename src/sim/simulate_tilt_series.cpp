// Tilt-series image formation (weak-phase approximation, cisTEM CTF sign: raw images show protein
// dark): I = 1 + 2 (CTF * q) (x) phase, counts ~ Poisson(dose * pixel^2 * I).
#include "cspt/sim/simulate_tilt_series.hpp"

#include <omp.h>

#include <Eigen/Geometry>
#include <cmath>
#include <numbers>
#include <random>

#include "cspt/core/ctf.hpp"
#include "cspt/core/euler.hpp"
#include "cspt/core/exposure_filter.hpp"
#include "cspt/core/tilt_geometry.hpp"
#include "cspt/core/tilt_scheme.hpp"
#include "cspt/fft/transforms.hpp"

namespace cspt {
namespace {

constexpr double kDeg = std::numbers::pi / 180.0;

/// Interaction constant sigma (rad per volt-Angstrom), relativistic.
double interaction_constant(double voltage_kV) {
  const double v = voltage_kV * 1e3, m0c2 = 510998.95;  // eV
  const double lambda = electron_wavelength_A(voltage_kV);
  return 2 * std::numbers::pi / (lambda * v) * (m0c2 + v) / (2 * m0c2 + v);
}

int fft_friendly(int n) {
  for (int m = n;; ++m) {
    int r = m;
    for (int f : {2, 3, 5}) while (r % f == 0) r /= f;
    if (r == 1 && m % 2 == 0) return m;
  }
}

std::uint64_t mix(std::uint64_t a, std::uint64_t b) { return a * 0x9E3779B97F4A7C15ull ^ (b + 0x7F4A7C159E3779B9ull + (a << 6) + (a >> 2)); }

/// The exposure filter as a function of radius in transform pixels, tabulated every quarter pixel
/// (it is smooth, and evaluating it per pixel would dominate the simulation).
std::vector<float> attenuation_table(int n, double px, double prior, double dose, double voltage_kV) {
  const int steps = int(std::ceil(n * 0.75 * 4)) + 2;
  std::vector<float> t(static_cast<std::size_t>(steps));
  for (int i = 0; i < steps; ++i) t[i] = float(exposure_attenuation(i / 4.0 / (n * px), prior, dose, voltage_kV));
  return t;
}

/// Multiply a transform (n x n, FFTW layout) by a CTF, the exposure filter (if `damage`) and a scale.
void apply_ctf(FourierImage& f, const CtfParams& ctf, double px, double prior, double dose, double voltage_kV,
               bool damage, double scale) {
  const int n = f.nx();
  std::vector<float> c(std::size_t(n) * f.nx_half());
  CtfEvaluator(ctf).evaluate_half_plane(n, px, c.data());
  const std::vector<float> q = damage ? attenuation_table(n, px, prior, dose, voltage_kV) : std::vector<float>{};
  for (int row = 0; row < n; ++row) {
    const int ky = f.frequency(row);
    for (int kx = 0; kx < f.nx_half(); ++kx) {
      float w = float(scale) * c[std::size_t(row) * f.nx_half() + kx];
      if (damage) {
        const float r = 4.0f * std::sqrt(float(kx * kx + ky * ky));
        const auto i = std::size_t(r);
        const float t = r - float(i);
        w *= (1 - t) * q[std::min(i, q.size() - 2)] + t * q[std::min(i + 1, q.size() - 1)];
      }
      f.at(kx, row) *= w;
    }
  }
}

/// Multiply a transform by exp(-2 pi i (kx dx + ky dy) / n): moves the image by (dx, dy) pixels.
void shift_transform(FourierImage& f, double dx, double dy) {
  const int n = f.nx();
  std::vector<std::complex<float>> ex(static_cast<std::size_t>(f.nx_half())), ey(static_cast<std::size_t>(n));
  for (int kx = 0; kx < f.nx_half(); ++kx) ex[kx] = std::polar(1.0f, float(-2 * std::numbers::pi * kx * dx / n));
  for (int row = 0; row < n; ++row) ey[row] = std::polar(1.0f, float(-2 * std::numbers::pi * f.frequency(row) * dy / n));
  for (int row = 0; row < n; ++row)
    for (int kx = 0; kx < f.nx_half(); ++kx) f.at(kx, row) *= ex[kx] * ey[row];
}

/// A small, fast generator (xoshiro256**) for the per-pixel shot noise; seeded by splitmix64.
class FastRandom {
 public:
  explicit FastRandom(std::uint64_t seed) {
    for (auto& w : s_) {
      seed += 0x9E3779B97F4A7C15ull;
      std::uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
      w = z ^ (z >> 31);
    }
  }
  double uniform() { return double(next() >> 11) * 0x1.0p-53; }
  /// Standard normal (Box-Muller, one of the pair).
  double normal() {
    const double u1 = std::max(uniform(), 1e-300), u2 = uniform();
    return std::sqrt(-2 * std::log(u1)) * std::cos(2 * std::numbers::pi * u2);
  }
  /// Poisson by multiplying uniforms (Knuth) below 30; normal approximation above.
  double poisson(double mean) {
    if (mean > 30) {
      const double u1 = std::max(uniform(), 1e-300), u2 = uniform();
      return std::max(0.0, mean + std::sqrt(mean) * std::sqrt(-2 * std::log(u1)) * std::cos(2 * std::numbers::pi * u2));
    }
    const double limit = std::exp(-mean);
    double p = uniform();
    int k = 0;
    while (p > limit) {
      p *= uniform();
      ++k;
    }
    return k;
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t next() {
    const std::uint64_t r = rotl(s_[1] * 5, 7) * 9, t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return r;
  }
  std::uint64_t s_[4];
};

Eigen::Matrix3d random_rotation(std::mt19937_64& rng) {
  std::normal_distribution<double> g;
  Eigen::Quaterniond q(g(rng), g(rng), g(rng), g(rng));
  return q.normalized().toRotationMatrix();
}

/// The local deformation of the sample in tilt `order` of series `index`: the particle at tomogram
/// (x, y) moves by G (x, y) in the image. G = deformation_A / R times a matrix of entries uniform in
/// [-1, 1] / sqrt(2), R half the shorter image side, so each component of the move stays within
/// +-deformation_A inside the field's inscribed circle. The first exposure defines the frame (zero).
/// Its own random stream: datasets without deformation are unchanged.
Eigen::Matrix2d deformation_gradient(const SimulationConfig& cfg, int index, std::size_t order) {
  if (cfg.deformation_A <= 0 || order == 0) return Eigen::Matrix2d::Zero();
  std::mt19937_64 rng(mix(mix(cfg.seed, std::uint64_t(index) + 1), order + 9000));
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  const double r_A = 0.5 * std::min(cfg.image_nx_px, cfg.image_ny_px) * cfg.pixel_size_A;
  Eigen::Matrix2d m;
  for (int k = 0; k < 4; ++k) m.data()[k] = u(rng);
  return m * (cfg.deformation_A / (r_A * std::numbers::sqrt2));
}

struct SeriesPlan {
  std::vector<double> nominal_deg;
  double tilt_offset_deg, axis_error_deg, target_defocus_A, astig_A, astig_angle_deg;
};

}  // namespace

SimulatedTiltSeries simulate_tilt_series(const SimulationConfig& cfg, const Projector& particle, double radius_A,
                                         int index, int threads, const ImageSink& sink) {
  std::mt19937_64 rng(mix(cfg.seed, std::uint64_t(index) + 1));
  std::normal_distribution<double> gauss(0.0, 1.0);
  std::uniform_real_distribution<double> uni(0.0, 1.0);
  const double px = cfg.pixel_size_A;
  const int nx = cfg.image_nx_px, ny = cfg.image_ny_px, b = particle.box();

  SeriesPlan plan;
  plan.nominal_deg = tilt_scheme(cfg.tilt_scheme);
  plan.tilt_offset_deg = cfg.tilt_offset_sd_deg * gauss(rng);
  plan.axis_error_deg = cfg.axis_error_sd_deg * gauss(rng);
  plan.target_defocus_A = cfg.target_defocus_A + cfg.defocus_spread_A * (uni(rng) - 0.5);
  plan.astig_A = cfg.astigmatism_A * uni(rng);
  plan.astig_angle_deg = 180.0 * uni(rng) - 90.0;

  SimulatedTiltSeries out;
  char name[32];
  std::snprintf(name, sizeof name, "ts_%03d", index + 1);
  out.record.name = name;
  out.record.nx_px = nx;
  out.record.ny_px = ny;
  const int holes = cfg.pattern_holes, hole = index % (holes * holes);
  out.record.image_shift_x_um = (hole % holes - (holes - 1) / 2.0) * cfg.hole_spacing_um;
  out.record.image_shift_y_um = (hole / holes - (holes - 1) / 2.0) * cfg.hole_spacing_um;

  // Particles: uniform in a disc that stays in the field of view, within the ice slab, no overlaps.
  const double r_disc = 0.5 * std::min(nx, ny) * px - 0.5 * b * px - 3 * cfg.shift_sd_A;
  const double z_half = std::max(0.0, cfg.ice_thickness_A / 2 - radius_A);
  std::vector<Eigen::Vector3d> placed;
  for (int attempt = 0; int(placed.size()) < cfg.particles_per_series && attempt < 200000; ++attempt) {
    const double r = r_disc * std::sqrt(uni(rng)), a = 2 * std::numbers::pi * uni(rng);
    const Eigen::Vector3d p(r * std::cos(a), r * std::sin(a), z_half * (2 * uni(rng) - 1));
    bool clear = true;
    for (const auto& q : placed) clear = clear && (p - q).norm() >= 2 * radius_A;
    if (clear) placed.push_back(p);
  }
  std::vector<Eigen::Matrix3d> orientation;
  for (const auto& p : placed) {
    orientation.push_back(random_rotation(rng));
    const auto e = euler_zyz_from_matrix(orientation.back());
    ParticleRecord rec;
    rec.x_A = p.x();
    rec.y_A = p.y();
    rec.z_A = p.z();
    rec.rot_deg = e.rot_deg;
    rec.tilt_deg = e.tilt_deg;
    rec.psi_deg = e.psi_deg;
    rec.half = 1 + int(out.true_particles.size()) % 2;
    out.true_particles.push_back(rec);
  }
  std::vector<Eigen::Vector3d> gold;
  for (int g = 0; g < cfg.gold_per_series; ++g) {
    const double r = r_disc * std::sqrt(uni(rng)), a = 2 * std::numbers::pi * uni(rng);
    gold.emplace_back(r * std::cos(a), r * std::sin(a), (2 * uni(rng) - 1) * cfg.ice_thickness_A / 2);
  }

  const double sigma = interaction_constant(cfg.voltage_kV);
  // Box in which one particle's CTF is applied: its radius plus the CTF's delocalisation at Nyquist.
  const double deloc_px = electron_wavelength_A(cfg.voltage_kV) * (cfg.target_defocus_A + cfg.defocus_spread_A) /
                          (2 * px) / px;
  const int cb = fft_friendly(std::min(2 * int(std::ceil(radius_A / px + deloc_px)) + 8, 2 * b + 2 * 128));
  const int cb_use = std::max(cb, b);
  const double t0 = 86400.0 * 2000 + 600.0 * index;  // session start, seconds since 2020-01-01

  // The amorphous-ice texture: white noise shaped by exp(-B s^2 / 4), B = 40 A^2 (little power
  // beyond ~4 A), scaled to the configured RMS phase.
  std::vector<float> ice_envelope(std::size_t(ny) * (nx / 2 + 1));
  double ice_power = 0;
  for (int row = 0; row < ny; ++row) {
    const int ky = row <= ny / 2 ? row : row - ny;
    for (int kx = 0; kx <= nx / 2; ++kx) {
      const double s2 = (double(kx) * kx / (double(nx) * nx) + double(ky) * ky / (double(ny) * ny)) / (px * px);
      const double e = std::exp(-40.0 * s2 / 4);
      ice_envelope[std::size_t(row) * (nx / 2 + 1) + kx] = float(e);
      ice_power += e * e * (kx == 0 ? 1 : 2);
    }
  }

  for (std::size_t order = 0; order < plan.nominal_deg.size(); ++order) {
    const double nominal = plan.nominal_deg[order];
    TiltRecord nom;
    nom.section = nom.acquisition_order = int(order);
    nom.nominal_tilt_deg = nom.refined_tilt_deg = nominal;
    nom.tilt_axis_deg = cfg.tilt_axis_deg;
    nom.dose_e_per_A2 = cfg.dose_per_tilt_e_per_A2;
    nom.prior_dose_e_per_A2 = cfg.dose_per_tilt_e_per_A2 * double(order);
    nom.target_defocus_A = plan.target_defocus_A;
    nom.image_shift_x_um = out.record.image_shift_x_um;
    nom.image_shift_y_um = out.record.image_shift_y_um;
    nom.timestamp_s = t0 + 6.0 * double(order);
    out.record.tilts.push_back(nom);

    TiltRecord truth = nom;
    const TiltImageGeometry g{nominal + plan.tilt_offset_deg + cfg.tilt_jitter_sd_deg * gauss(rng),
                              cfg.tilt_axis_deg + plan.axis_error_deg + cfg.inplane_jitter_sd_deg * gauss(rng),
                              cfg.shift_sd_A * gauss(rng), cfg.shift_sd_A * gauss(rng)};
    truth.refined_tilt_deg = g.tilt_deg;
    truth.tilt_axis_deg = g.axis_deg;
    truth.shift_x_A = g.shift_x_A;
    truth.shift_y_A = g.shift_y_A;
    // The focus error: the one the tracker achieved for this ROI at this tilt when the acquisition
    // was simulated by bisect-track, else drawn (the draw is made either way: same random stream).
    double focus_error_A = cfg.defocus_error_sd_A * gauss(rng);
    if (std::size_t(index) < cfg.tracked_defocus_error_A.size() && order < cfg.tracked_defocus_error_A[std::size_t(index)].size())
      focus_error_A = cfg.tracked_defocus_error_A[std::size_t(index)][order];
    const double defocus_c = plan.target_defocus_A + focus_error_A;
    CtfParams ctf;
    ctf.voltage_kV = cfg.voltage_kV;
    ctf.cs_mm = cfg.cs_mm;
    ctf.amplitude_contrast = cfg.amplitude_contrast;
    ctf.defocus_angle_deg = plan.astig_angle_deg;
    const auto set_defocus = [&ctf, &plan](double mean) {
      ctf.defocus_u_A = mean + plan.astig_A / 2;
      ctf.defocus_v_A = mean - plan.astig_A / 2;
    };
    set_defocus(defocus_c);
    truth.defocus_u_A = ctf.defocus_u_A;
    truth.defocus_v_A = ctf.defocus_v_A;
    truth.defocus_angle_deg = ctf.defocus_angle_deg;
    // The damage follows the exposure the specimen really received, recorded or not.
    const double prior = nom.prior_dose_e_per_A2 + cfg.unrecorded_dose_e_per_A2 * double(order + 1);
    const double dose = nom.dose_e_per_A2;
    truth.prior_dose_e_per_A2 = prior;
    out.true_tilts.push_back(truth);

    // Particles, each with the defocus of its own height; threads keep private contrast images.
    std::vector<Image> partial(std::size_t(threads), Image(nx, ny, px));
    std::vector<CtfParams> particle_ctf(placed.size(), ctf);
    const Eigen::Matrix2d gradient = deformation_gradient(cfg, index, order);
    std::vector<Eigen::Vector2d> moved(placed.size(), Eigen::Vector2d::Zero());
    for (std::size_t i = 0; i < placed.size(); ++i) {
      set_defocus(defocus_at_height_A(defocus_c, height_A(g, placed[i]), cfg.defocus_handedness));
      particle_ctf[i] = ctf;
      out.true_projections.push_back({int(i), int(order), ctf.defocus_u_A, ctf.defocus_v_A, ctf.defocus_angle_deg, 0.0});
      if (cfg.deformation_A > 0) {
        moved[i] = gradient * placed[i].head<2>();
        out.true_projection_shifts.push_back({moved[i].x(), moved[i].y()});
      }
    }
#pragma omp parallel for num_threads(threads) schedule(dynamic)
    for (std::size_t i = 0; i < placed.size(); ++i) {
      Image& acc = partial[std::size_t(omp_get_thread_num())];
      const Image proj = particle.project_image(projection_matrix(g, orientation[i]));
      Image big(cb_use, cb_use, px);
      for (int y = 0; y < b; ++y)
        for (int x = 0; x < b; ++x) big.at(x + cb_use / 2 - b / 2, y + cb_use / 2 - b / 2) = proj.at(x, y);
      FourierImage f = fft::forward(big);
      apply_ctf(f, particle_ctf[i], px, prior, dose, cfg.voltage_kV, cfg.radiation_damage, 2.0 * sigma * px);
      // Sub-pixel position: the particle centre sits at u (pixels) in the raw image.
      const Eigen::Vector2d u = (project_point_A(g, placed[i]) + moved[i]) / px + Eigen::Vector2d(nx / 2, ny / 2);
      const int ix = int(std::lround(u.x())), iy = int(std::lround(u.y()));
      shift_transform(f, u.x() - ix, u.y() - iy);
      const Image c = fft::inverse(f);
      for (int y = 0; y < cb_use; ++y) {
        const int yy = iy - cb_use / 2 + y;
        if (yy < 0 || yy >= ny) continue;
        for (int x = 0; x < cb_use; ++x) {
          const int xx = ix - cb_use / 2 + x;
          if (xx >= 0 && xx < nx) acc.at(xx, yy) += c.at(x, y);
        }
      }
    }
    Image contrast(nx, ny, px);
    for (const auto& p : partial)
      for (std::size_t k = 0; k < contrast.size(); ++k) contrast.data()[k] += p.data()[k];

    // Background: amorphous ice (smooth random phase, thicker at high tilt) and gold beads, with
    // the specimen mid-plane's defocus gradient: CTFs at a few heights, blended per pixel.
    FastRandom bg_rng(mix(mix(cfg.seed, std::uint64_t(index) + 1), order + 1000));
    Image phase(nx, ny, px);
    const double ice_rms = cfg.ice_background_rms_rad / std::sqrt(std::max(0.2, std::cos(g.tilt_deg * kDeg)));
    for (float& v : phase.values()) v = float(bg_rng.normal());
    FourierImage ice = fft::forward(phase);
    const float ice_scale = float(ice_rms / std::sqrt(ice_power / (double(nx) * ny)));
    for (std::size_t k = 0; k < ice.size(); ++k) ice.data()[k] *= ice_envelope[k] * ice_scale;
    if (!gold.empty()) {
      Image gp(nx, ny, px);
      const double rg = cfg.gold_diameter_A / 2, gold_potential_V = 30.0;
      for (const auto& gpos : gold) {
        const Eigen::Vector2d c = project_point_A(g, gpos) / px + Eigen::Vector2d(nx / 2, ny / 2);
        for (int y = int(c.y() - rg / px) - 1; y <= int(c.y() + rg / px) + 1; ++y)
          for (int x = int(c.x() - rg / px) - 1; x <= int(c.x() + rg / px) + 1; ++x) {
            if (x < 0 || y < 0 || x >= nx || y >= ny) continue;
            const double r2 = (std::pow(x - c.x(), 2) + std::pow(y - c.y(), 2)) * px * px;
            if (r2 < rg * rg) gp.at(x, y) += float(sigma * gold_potential_V * 2 * std::sqrt(rg * rg - r2));
          }
      }
      const FourierImage fg = fft::forward(gp);
      for (std::size_t k = 0; k < ice.size(); ++k) ice.data()[k] += fg.data()[k];
    }
    // Heights of the mid-plane at the image corners set the range of defoci to blend.
    const double ca = std::cos(g.axis_deg * kDeg), sa = std::sin(g.axis_deg * kDeg), tt = std::tan(g.tilt_deg * kDeg);
    const auto mid_height = [&](double x_px, double y_px) {
      const double pxA = (x_px - nx / 2) * px - g.shift_x_A, pyA = (y_px - ny / 2) * px - g.shift_y_A;
      return -(ca * pxA + sa * pyA) * tt;  // aligned x (perpendicular to the axis) times -tan(tilt)
    };
    double h_lo = 1e300, h_hi = -1e300;
    for (double cx : {0.0, double(nx)})
      for (double cy : {0.0, double(ny)}) {
        h_lo = std::min(h_lo, mid_height(cx, cy));
        h_hi = std::max(h_hi, mid_height(cx, cy));
      }
    const int levels = std::max(2, int(std::ceil((h_hi - h_lo) / 300.0)) + 1);
    std::vector<Image> layer(static_cast<std::size_t>(levels));
#pragma omp parallel for num_threads(threads)
    for (int k = 0; k < levels; ++k) {
      FourierImage f = ice;
      CtfParams c = ctf;
      const double h = h_lo + (h_hi - h_lo) * k / (levels - 1);
      const double mean = defocus_at_height_A(defocus_c, h, cfg.defocus_handedness);
      c.defocus_u_A = mean + plan.astig_A / 2;
      c.defocus_v_A = mean - plan.astig_A / 2;
      // The exposure filter models the loss of the protein's high-resolution structure; amorphous
      // ice and gold keep their texture, which is why Thon rings survive in late tilts.
      apply_ctf(f, c, px, prior, dose, cfg.voltage_kV, false, 2.0);
      layer[std::size_t(k)] = fft::inverse(f);
    }
    FastRandom noise_rng(mix(mix(cfg.seed, std::uint64_t(index) + 1), order + 5000));
    // Energy filter: the electrons scattered inelastically along the tilted path are not counted.
    const double path_A = cfg.ice_thickness_A / std::max(0.2, std::cos(g.tilt_deg * kDeg));
    const double zero_loss = cfg.inelastic_mean_free_path_A > 0 ? std::exp(-path_A / cfg.inelastic_mean_free_path_A) : 1.0;
    const double counts_per_pixel = dose * px * px * zero_loss;
    Image counts(nx, ny, px);
    // mid_height is linear in (x, y): step it instead of recomputing it.
    const double h00 = mid_height(0, 0), hx = mid_height(1, 0) - h00, hy = mid_height(0, 1) - h00;
    const double to_level = (h_hi > h_lo) ? (levels - 1) / (h_hi - h_lo) : 0.0;
    for (int y = 0; y < ny; ++y)
      for (int x = 0; x < nx; ++x) {
        const double t = (h00 + x * hx + y * hy - h_lo) * to_level;
        const int k0 = std::clamp(int(t), 0, levels - 2);
        const double w = std::clamp(t - k0, 0.0, 1.0);
        const double bg = (1 - w) * layer[std::size_t(k0)].at(x, y) + w * layer[std::size_t(k0) + 1].at(x, y);
        const double mean = std::max(0.0, counts_per_pixel * (1.0 + contrast.at(x, y) + bg));
        counts.at(x, y) = float(noise_rng.poisson(mean));
      }
    sink(counts);
  }
  return out;
}

}  // namespace cspt
