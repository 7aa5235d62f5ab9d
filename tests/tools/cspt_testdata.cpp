// cspt_testdata: makes ground truth for tests and benchmarks, independent of the reconstruction code:
// Gaussian-atom phantom maps, STAR files with true parameters, seeded noise, and map comparisons.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <random>

#include <Eigen/Geometry>

#include "cspt/core/ctf.hpp"
#include "cspt/core/euler.hpp"
#include "cspt/fft/plan.hpp"
#include "cspt/core/symmetry.hpp"
#include "cspt/io/mrc.hpp"
#include "cspt/io/project_file.hpp"
#include "cspt/io/relion_particles.hpp"
#include "cspt/recon/fsc.hpp"
#include "cspt/recon/mask.hpp"
#include "cspt/util/error.hpp"
#include "phantom.hpp"

namespace {
using namespace cspt;

int make_phantom(int box, double px, int atoms, double radius_A, const std::string& sym, std::uint64_t seed,
                 const std::string& out) {
  const auto group = point_group(sym);
  const auto model = test::random_phantom(atoms, radius_A, seed, group.operators);
  Volume v = test::phantom_map(model, box, px);
  float peak = 0;
  for (float x : v.values()) peak = std::max(peak, x);
  for (float& x : v.values()) x /= peak;
  io::write_mrc_volume(out, v);
  std::printf("wrote %s: %d atoms (%s), box %d, %.3f A/px\n", out.c_str(), int(model.size()), group.symbol.c_str(), box, px);
  return 0;
}

// True parameters as RELION's bench scripts draw them (gen_star.py): uniform SO(3), N(0, 2 A) origins,
// defocus U[1.5, 3.5] um, astigmatism U[0, 1000] A, random balanced half-sets in blocks of 1000.
ParticleSet star_set(int n, int box, double px, std::uint64_t seed, const std::string& stack, bool ctf, const std::string& out) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> uni(0.0, 1.0);
  std::normal_distribution<double> shift(0.0, 2.0);
  ParticleSet set;
  set.source = out;
  set.stack_paths = {stack};
  set.pixel_size_A = px;
  set.box_px = box;
  set.n_particles = n;
  set.relion_ctf_sign = true;
  std::vector<int> subset;
  std::mt19937_64 rs(seed + 1);
  for (int s = 0; s < n; s += 1000) {
    const int m = std::min(1000, n - s);
    std::vector<int> block(static_cast<std::size_t>(m));
    for (int i = 0; i < m; ++i) block[i] = 1 + i % 2;
    std::shuffle(block.begin(), block.end(), rs);
    subset.insert(subset.end(), block.begin(), block.end());
  }
  const auto eulers = test::uniform_orientations(n, seed + 2);
  for (int i = 0; i < n; ++i) {
    Projection p;
    p.image = {0, i};
    p.rot_deg = eulers[i].rot_deg;
    p.tilt_deg = eulers[i].tilt_deg;
    p.psi_deg = eulers[i].psi_deg;
    p.shift_x_A = shift(rng);
    p.shift_y_A = shift(rng);
    const double df = 15000 + 20000 * uni(rng), astig = 1000 * uni(rng);
    p.ctf.defocus_u_A = ctf ? df + astig / 2 : 0.0;
    p.ctf.defocus_v_A = ctf ? df - astig / 2 : 0.0;
    p.ctf.defocus_angle_deg = 180 * uni(rng);
    p.particle = i;
    p.half = subset[i];
    set.projections.push_back(p);
  }
  return set;
}

int make_star(int n, int box, double px, std::uint64_t seed, const std::string& stack, bool ctf, const std::string& out) {
  io::write_relion_particles(out, star_set(n, box, px, seed, stack, ctf, out));
  std::printf("wrote %s: %d particles\n", out.c_str(), n);
  return 0;
}

// White Gaussian noise at a given SNR: signal variance measured inside a circle of diam_A over all images.
int add_noise(const std::string& in, const std::string& out, double snr, double diam_A, std::uint64_t seed) {
  io::MrcReader r(in);
  const int n = r.header().nx;
  const double px = r.header().pixel_size_A() > 0 ? r.header().pixel_size_A() : 1.0;
  const double rad_px = 0.5 * diam_A / px;
  double sum = 0, sum2 = 0, count = 0;
  std::vector<float> img(std::size_t(n) * n);
  for (int s = 0; s < r.n_sections(); ++s) {
    r.read_section_into(s, img.data());
    double is = 0, is2 = 0, ic = 0;
    for (int y = 0; y < n; ++y)
      for (int x = 0; x < n; ++x)
        if (std::hypot(x - n / 2, y - n / 2) <= rad_px) {
          const double v = img[std::size_t(y) * n + x];
          is += v;
          is2 += v * v;
          ++ic;
        }
    sum += is2 / ic - (is / ic) * (is / ic);
    sum2 += 1;
    count += 1;
  }
  const double signal_var = sum / count;
  const double sigma = std::sqrt(signal_var / snr);
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> noise(0.0f, float(sigma));
  io::MrcStackWriter w(out, n, n, px);
  for (int s = 0; s < r.n_sections(); ++s) {
    r.read_section_into(s, img.data());
    for (auto& v : img) v += noise(rng);
    w.append(img.data());
  }
  w.close();
  std::printf("wrote %s: signal variance %.4g, sigma_noise %.4g, SNR %.4g\n", out.c_str(), signal_var, sigma, snr);
  return 0;
}

// Compare maps: correlation, relative difference, FSC against a truth, with optional pass/fail bounds.
struct CompareBounds {
  double min_corr = -2, max_rel_diff = 1e30, max_fsc_deficit = 1e9, upto = 0.9, min_fsc_truth = -2,
         corr_mask_radius_A = 0;
};

int compare(const std::string& a_path, const std::string& b_path, const std::string& truth_path, double mask_radius_A,
            const CompareBounds& bounds, const std::string& csv) {
  const double min_corr = bounds.min_corr, max_rel_diff = bounds.max_rel_diff;
  const double max_fsc_deficit = bounds.max_fsc_deficit, fsc_upto_nyquist = bounds.upto;
  const Volume a = io::read_mrc_volume(a_path), b = io::read_mrc_volume(b_path);
  if (a.size() != b.size()) throw Error(a_path, "size", std::to_string(a.size()), "the size of " + b_path);
  double corr = test::correlation(a.values(), b.values());
  if (bounds.corr_mask_radius_A > 0) {  // correlation over the voxels within a sphere only
    std::vector<float> va, vb;
    const int n = a.nx();
    const double r_px = bounds.corr_mask_radius_A / a.pixel_size_A();
    for (int z = 0; z < n; ++z)
      for (int y = 0; y < n; ++y)
        for (int x = 0; x < n; ++x)
          if (std::hypot(x - n / 2, y - n / 2, z - n / 2) <= r_px) {
            va.push_back(a.at(x, y, z));
            vb.push_back(b.at(x, y, z));
          }
    corr = test::correlation(va, vb);
  }
  double diff2 = 0, ref2 = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff2 += double(a.data()[i] - b.data()[i]) * (a.data()[i] - b.data()[i]);
    ref2 += double(b.data()[i]) * b.data()[i];
  }
  const double rel = std::sqrt(diff2 / ref2);
  std::printf("correlation %.6f  relative_difference %.3g\n", corr, rel);
  bool ok = corr >= min_corr && rel <= max_rel_diff;
  if (!truth_path.empty()) {
    Volume t = io::read_mrc_volume(truth_path);
    const int n = t.nx();
    const double px = a.pixel_size_A();
    Volume mask = soft_sphere_mask(n, px, mask_radius_A, 10.0);
    Volume am = a, bm = b;
    apply_mask(am, mask);
    apply_mask(bm, mask);
    apply_mask(t, mask);
    const auto fa = fourier_shell_correlation(am, t), fb = fourier_shell_correlation(bm, t);
    double worst = 1e9, worst_truth = 1e9;
    int worst_shell = 0;
    std::ofstream out;
    if (!csv.empty()) {
      out.open(csv);
      out << "shell,resolution_A,fsc_a_truth,fsc_b_truth\n";
    }
    for (std::size_t s = 1; s < fa.size(); ++s) {
      if (out) out << s << "," << n * px / double(s) << "," << fa[s] << "," << fb[s] << "\n";
      if (double(s) <= fsc_upto_nyquist * n / 2 && fa[s] - fb[s] < worst) {
        worst = fa[s] - fb[s];
        worst_shell = int(s);
      }
      if (double(s) <= fsc_upto_nyquist * n / 2) worst_truth = std::min(worst_truth, fa[s]);
    }
    std::printf("fsc_vs_truth_0.5: a %.3f A, b %.3f A; min(fsc_a - fsc_b) below %.2f Nyquist = %.4f at shell %d\n",
                resolution_at_threshold_A(fa, 0.5, n, px), resolution_at_threshold_A(fb, 0.5, n, px),
                fsc_upto_nyquist, worst, worst_shell);
    std::printf("min FSC(a, truth) below %.2f Nyquist = %.4f\n", fsc_upto_nyquist, worst_truth);
    ok = ok && worst >= -max_fsc_deficit && worst_truth >= bounds.min_fsc_truth;
  }
  std::printf("%s\n", ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}

struct PhantomSpec {
  int atoms;
  double radius_A;
  std::string sym;
  std::uint64_t seed;
};
PhantomSpec atoms_seed_box(int atoms, double radius, const std::string& sym, std::uint64_t seed) {
  return {atoms, radius, sym, seed};
}

// Exact real-space projections of the phantom (the same model `phantom` writes, same normalisation)
// at random orientations and origins (drawn as `star` draws them), optionally multiplied by the
// CTF in RELION's convention; writes stack and STAR.
// Multiply an image by RELION's CTF (images in RELION's convention: protein white, CTF = +sin chi).
void apply_relion_ctf(Image& im, const CtfParams& ctf) {
  const int n = im.nx(), nxh = n / 2 + 1;
  fft::AlignedBuffer<float> real(im.size());
  fft::AlignedBuffer<std::complex<float>> spec(std::size_t(n) * nxh);
  std::copy(im.values().begin(), im.values().end(), real.data());
  static const fft::RealToComplex forward(n, n);
  static const fft::ComplexToReal inverse(n, n);
  forward.execute(real.data(), spec.data());
  std::vector<float> c(std::size_t(n) * nxh);
  CtfEvaluator(ctf).evaluate_half_plane(n, im.pixel_size_A(), c.data());
  for (std::size_t i = 0; i < c.size(); ++i) spec[i] *= float(relion_ctf_from_internal(c[i])) / float(n * n);
  inverse.execute(spec.data(), real.data());
  std::copy(real.data(), real.data() + im.size(), im.values().begin());
}

int make_projections(int n, std::uint64_t star_seed, const std::string& star_out, const std::string& stack,
                     const PhantomSpec& spec, int box, double px, bool ctf) {
  ParticleSet set = star_set(n, box, px, star_seed, stack, ctf, star_out);
  const auto model = test::random_phantom(spec.atoms, spec.radius_A, spec.seed, point_group(spec.sym).operators);
  Volume v = test::phantom_map(model, box, px);
  float peak = 0;
  for (float x : v.values()) peak = std::max(peak, x);
  io::MrcStackWriter w(stack, box, box, px);
  for (auto& p : set.projections) {
    const auto a = matrix_from_euler_zyz({p.rot_deg, p.tilt_deg, p.psi_deg});
    Image im = test::phantom_projection(model, box, px, a, p.shift_x_A, p.shift_y_A);
    for (float& x : im.values()) x /= peak;
    if (ctf) apply_relion_ctf(im, p.ctf);
    w.append(im);
  }
  w.close();
  for (std::size_t i = 0; i < set.projections.size(); ++i) set.projections[i].image = {0, int(i)};
  set.stack_paths = {stack};
  io::write_relion_particles(star_out, set);
  std::printf("wrote %s and %s: %zu projections\n", stack.c_str(), star_out.c_str(), set.projections.size());
  return 0;
}

// Per-image correlation of two stacks: prints min, median and max; fails below --min-corr.
// Correlation of a and b over their overlap when b is displaced by (dx, dy) whole pixels.
double shifted_correlation(const Image& a, const Image& b, int dx, int dy) {
  std::vector<float> u, v;
  for (int y = std::max(0, dy); y < std::min(a.ny(), a.ny() + dy); ++y)
    for (int x = std::max(0, dx); x < std::min(a.nx(), a.nx() + dx); ++x) {
      u.push_back(a.at(x, y));
      v.push_back(b.at(x - dx, y - dy));
    }
  return test::correlation(u, v);
}

// Per-image correlation of two stacks. With max_steps > 0, an image pair below min_corr may still
// match over its overlap when one box was cut one pixel off (a position within rounding of a
// half pixel, where two geometries equal to 1e-6 px may round to neighbouring boxes); at most
// max_steps images may do so.
int stack_correlation(const std::string& a_path, const std::string& b_path, double min_corr, int max_steps) {
  io::MrcReader a(a_path), b(b_path);
  if (a.n_sections() != b.n_sections() || a.header().nx != b.header().nx)
    throw Error(a_path, "stack size", std::to_string(a.n_sections()), "the size of " + b_path);
  std::vector<double> c;
  int steps = 0;
  for (int i = 0; i < a.n_sections(); ++i) {
    const Image ai = a.read_section(i), bi = b.read_section(i);
    double r = test::correlation(ai.values(), bi.values());
    if (r < min_corr && max_steps > 0) {
      double best = r;
      for (int dy = -1; dy <= 1; ++dy)
        for (int dx = -1; dx <= 1; ++dx)
          if (dx != 0 || dy != 0) best = std::max(best, shifted_correlation(ai, bi, dx, dy));
      if (best >= min_corr) {
        ++steps;
        std::printf("image %d: one-pixel step (correlation %.5f in place, %.6f over the overlap)\n", i, r, best);
        r = best;
      }
    }
    c.push_back(r);
  }
  std::sort(c.begin(), c.end());
  std::printf("per-image correlation: min %.5f median %.5f max %.5f over %zu images (%d with a one-pixel step)\n",
              c.front(), c[c.size() / 2], c.back(), c.size(), steps);
  const bool ok = c.front() >= min_corr && steps <= max_steps;
  std::printf("%s\n", ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}

// Fitted per-tilt CTF in a project against its truth: median |defocus error| in bands of |tilt|,
// and the astigmatism-angle error where the true astigmatism is at least 500 A.
int ctf_compare(const std::string& project_path, double max_err_low, double max_err_60, double max_angle_err) {
  const Project p = io::read_project(project_path);
  if (!p.truth) throw Error(project_path, "/truth", "missing", "a simulated project");
  std::vector<double> low, mid, high, angle, res_low, res_high;
  for (std::size_t s = 0; s < p.tilt_series.size(); ++s)
    for (std::size_t i = 0; i < p.tilt_series[s].tilts.size(); ++i) {
      const auto& fit = p.tilt_series[s].tilts[i];
      const auto& truth = p.truth->tilts[s][i];
      const double err = std::abs(0.5 * (fit.defocus_u_A + fit.defocus_v_A) - 0.5 * (truth.defocus_u_A + truth.defocus_v_A));
      const double a = std::abs(truth.nominal_tilt_deg);
      (a <= 30 ? low : a < 55 ? mid : high).push_back(err);
      if (a <= 30) res_low.push_back(fit.ctf_resolution_A > 0 ? fit.ctf_resolution_A : 99.0);
      if (a >= 55) res_high.push_back(fit.ctf_resolution_A > 0 ? fit.ctf_resolution_A : 99.0);
      if (truth.defocus_u_A - truth.defocus_v_A >= 500 && a <= 30) {
        double d = std::fmod(std::abs(fit.defocus_angle_deg - truth.defocus_angle_deg), 180.0);
        angle.push_back(std::min(d, 180.0 - d));
      }
    }
  const auto median = [](std::vector<double> v) {
    if (v.empty()) return 0.0;
    std::nth_element(v.begin(), v.begin() + long(v.size() / 2), v.end());
    return v[v.size() / 2];
  };
  const double m_low = median(low), m_mid = median(mid), m_high = median(high), m_angle = median(angle);
  std::printf("median |defocus error|: %.0f A for |tilt| <= 30 (%zu tilts), %.0f A for 30-55 (%zu), %.0f A for >= 55 (%zu); "
              "median astigmatism-angle error %.1f deg (%zu tilts with >= 500 A astigmatism)\n",
              m_low, low.size(), m_mid, mid.size(), m_high, high.size(), m_angle, angle.size());
  std::printf("median fit resolution: %.1f A for |tilt| <= 30, %.1f A for >= 55\n", median(res_low), median(res_high));
  const bool ok = m_low <= max_err_low && m_high <= max_err_60 && (angle.empty() || m_angle <= max_angle_err);
  std::printf("%s\n", ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}

// Print a series' tilt records, one line per tilt in acquisition order (for shell tests).
int print_tilts(const std::string& project_path, const std::string& series) {
  const Project p = io::read_project(project_path);
  for (const auto& ts : p.tilt_series) {
    if (ts.name != series) continue;
    for (const auto& t : ts.tilts)
      std::printf("section %d order %d tilt %.2f dose %.3f prior %.3f target %.0f axis %.2f\n", t.section,
                  t.acquisition_order, t.nominal_tilt_deg, t.dose_e_per_A2, t.prior_dose_e_per_A2, t.target_defocus_A,
                  t.tilt_axis_deg);
    return 0;
  }
  throw Error(project_path, "series", series, "a tilt series of the project");
}

// A refinement starting point made from a simulation's truth: every particle and tilt set to its
// true value, then moved by the given amounts in random directions (seeded). The first-exposed tilt
// of each series defines the tomogram frame and keeps its true geometry. Per-tilt CTF = the truth's.
struct Perturbation {
  double angle_min_deg = 5, angle_max_deg = 8, shift_A = 5;
  double tilt_min_deg = 0.5, tilt_max_deg = 1.0, axis_deg = 1.0, tilt_shift_min_A = 10, tilt_shift_max_A = 20;
  double defocus_A = 0;
  bool scramble = false;  ///< orientations uniformly random (a particle with no prior)
  bool true_dose = false; ///< the recorded prior dose replaced by the exposure the specimen really had
};

int perturb(const std::string& project_path, const Perturbation& q, std::uint64_t seed) {
  Project p = io::read_project(project_path);
  if (!p.truth) throw Error(project_path, "/truth", "missing", "a simulated project");
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::normal_distribution<double> g(0.0, 1.0);
  const auto direction = [&] {
    Eigen::Vector3d v(g(rng), g(rng), g(rng));
    return Eigen::Vector3d(v.normalized());
  };
  const auto sign = [&] { return u(rng) < 0.5 ? -1.0 : 1.0; };
  p.particles = p.truth->particles;
  for (auto& part : p.particles) {
    Eigen::Matrix3d r = matrix_from_euler_zyz({part.rot_deg, part.tilt_deg, part.psi_deg});
    if (q.scramble) {
      r = Eigen::Quaterniond(g(rng), g(rng), g(rng), g(rng)).normalized().toRotationMatrix();
    } else {
      const double angle = (q.angle_min_deg + (q.angle_max_deg - q.angle_min_deg) * u(rng)) * 3.141592653589793 / 180;
      r = Eigen::AngleAxisd(angle, direction()).toRotationMatrix() * r;
    }
    const auto e = euler_zyz_from_matrix(r);
    part.rot_deg = e.rot_deg;
    part.tilt_deg = e.tilt_deg;
    part.psi_deg = e.psi_deg;
    const Eigen::Vector3d d = direction() * q.shift_A;
    part.x_A += d.x();
    part.y_A += d.y();
    part.z_A += d.z();
  }
  for (std::size_t s = 0; s < p.tilt_series.size(); ++s) {
    auto& tilts = p.tilt_series[s].tilts;
    for (std::size_t t = 0; t < tilts.size(); ++t) {
      const auto& tr = p.truth->tilts.at(s).at(t);
      auto& r = tilts[t];
      r.refined_tilt_deg = tr.refined_tilt_deg;
      r.tilt_axis_deg = tr.tilt_axis_deg;
      r.shift_x_A = tr.shift_x_A;
      r.shift_y_A = tr.shift_y_A;
      r.defocus_u_A = tr.defocus_u_A;
      r.defocus_v_A = tr.defocus_v_A;
      r.defocus_angle_deg = tr.defocus_angle_deg;
      if (q.true_dose) r.prior_dose_e_per_A2 = tr.prior_dose_e_per_A2;
      if (r.acquisition_order == 0) continue;
      r.refined_tilt_deg += sign() * (q.tilt_min_deg + (q.tilt_max_deg - q.tilt_min_deg) * u(rng));
      r.tilt_axis_deg += sign() * q.axis_deg;
      const double a = 2 * 3.141592653589793 * u(rng);
      const double m = q.tilt_shift_min_A + (q.tilt_shift_max_A - q.tilt_shift_min_A) * u(rng);
      r.shift_x_A += m * std::cos(a);
      r.shift_y_A += m * std::sin(a);
      const double df = q.defocus_A * g(rng);
      r.defocus_u_A += df;
      r.defocus_v_A += df;
    }
    p.tilt_series[s].defocus_handedness = p.truth->defocus_handedness;
  }
  p.projections.clear();
  io::write_project(project_path, p);
  std::printf("perturbed %zu particles and %zu tilt series of %s\n", p.particles.size(), p.tilt_series.size(),
              project_path.c_str());
  return 0;
}

// Replace every image of a stack by white Gaussian noise of the same mean and standard deviation
// (the negative control of refinement: boxes with nothing in them).
int noise_stack(const std::string& path, std::uint64_t seed) {
  const io::MrcReader reader(path);
  const auto& h = reader.header();
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0.0, 1.0);
  const std::string tmp = path + ".noise";
  {
    io::MrcStackWriter writer(tmp, h.nx, h.ny, h.mx > 0 ? h.cell_A[0] / h.mx : 1.0);
    for (int k = 0; k < reader.n_sections(); ++k) {
      Image im = reader.read_section(k);
      double s = 0, s2 = 0;
      for (float v : im.values()) {
        s += v;
        s2 += double(v) * v;
      }
      const double n = double(im.size()), mean = s / n, sd = std::sqrt(std::max(0.0, s2 / n - mean * mean));
      for (float& v : im.values()) v = float(mean + sd * g(rng));
      writer.append(im);
    }
    writer.close();
  }
  std::rename(tmp.c_str(), path.c_str());
  std::printf("replaced %d images of %s by white noise\n", reader.n_sections(), path.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"cspt test-data tool"};
  app.require_subcommand(1);
  int box = 128, atoms = 100, n = 1000;
  double px = 1.5, radius = 48, snr = 0.05, diam = 110, mask_radius = 60;
  CompareBounds bounds;
  std::uint64_t seed = 7;
  std::string sym = "C1", out, stack = "particles.mrcs", in, a, b, truth, csv;
  bool no_ctf = false;
  auto* ph = app.add_subcommand("phantom", "Gaussian-atom phantom map");
  ph->add_option("--box", box);
  ph->add_option("--apix", px);
  ph->add_option("--atoms", atoms, "atoms per asymmetric unit");
  ph->add_option("--radius-A", radius);
  ph->add_option("--sym", sym);
  ph->add_option("--seed", seed);
  ph->add_option("--out", out)->required();
  auto* st = app.add_subcommand("star", "RELION 3.1 STAR file with true parameters");
  st->add_option("--n", n);
  st->add_option("--box", box);
  st->add_option("--apix", px);
  st->add_option("--seed", seed);
  st->add_option("--stack", stack);
  st->add_flag("--no-ctf", no_ctf);
  st->add_option("--out", out)->required();
  auto* no = app.add_subcommand("noise", "add white Gaussian noise at a given SNR");
  no->add_option("--in", in)->required();
  no->add_option("--out", out)->required();
  no->add_option("--snr", snr);
  no->add_option("--diam-A", diam);
  no->add_option("--seed", seed);
  std::uint64_t star_seed = 2024;
  auto* pr = app.add_subcommand("projections", "analytic noise-free projections (no CTF) of the phantom");
  pr->add_option("--n", n);
  pr->add_option("--star-seed", star_seed, "seed of the orientations and origins");
  pr->add_flag("--no-ctf", no_ctf, "exact projections without CTF");
  pr->add_option("--box", box);
  pr->add_option("--apix", px);
  pr->add_option("--atoms", atoms);
  pr->add_option("--radius-A", radius);
  pr->add_option("--sym", sym);
  pr->add_option("--seed", seed);
  pr->add_option("--stack", stack, "stack to write")->required();
  pr->add_option("--out", out, "STAR to write, naming the stack")->required();
  auto* sc = app.add_subcommand("stackcorr", "per-image correlation of two stacks");
  sc->add_option("--a", a)->required();
  sc->add_option("--b", b)->required();
  sc->add_option("--min-corr", bounds.min_corr);
  int max_steps = 0;
  sc->add_option("--max-pixel-steps", max_steps, "images that may match only with a one-pixel step");
  std::string project_path;
  double err_low = 100, err_60 = 250, err_angle = 10;
  auto* cc = app.add_subcommand("ctfcompare", "fitted per-tilt CTF of a simulated project against its truth");
  cc->add_option("--project", project_path)->required();
  cc->add_option("--max-error-low", err_low);
  cc->add_option("--max-error-60", err_60);
  cc->add_option("--max-angle-error", err_angle);
  std::string series;
  auto* pt = app.add_subcommand("tilts", "print a tilt series' records");
  pt->add_option("--project", project_path)->required();
  pt->add_option("--series", series)->required();
  Perturbation q;
  auto* pe = app.add_subcommand("perturb", "refinement start: truth moved by given amounts (first tilt kept)");
  pe->add_option("--project", project_path)->required();
  pe->add_option("--angle-min-deg", q.angle_min_deg);
  pe->add_option("--angle-max-deg", q.angle_max_deg);
  pe->add_option("--shift-A", q.shift_A);
  pe->add_option("--tilt-min-deg", q.tilt_min_deg);
  pe->add_option("--tilt-max-deg", q.tilt_max_deg);
  pe->add_option("--axis-deg", q.axis_deg);
  pe->add_option("--tilt-shift-min-A", q.tilt_shift_min_A);
  pe->add_option("--tilt-shift-max-A", q.tilt_shift_max_A);
  pe->add_option("--defocus-A", q.defocus_A, "per-tilt defocus error (standard deviation)");
  pe->add_flag("--scramble", q.scramble, "random orientations (no prior)");
  pe->add_flag("--true-dose", q.true_dose, "record the exposure the specimen really had (simulate's unrecorded dose)");
  pe->add_option("--seed", seed);
  auto* ns = app.add_subcommand("noise-stack", "replace a stack's images by white noise of equal mean and SD");
  ns->add_option("--like", in, "stack to replace in place")->required();
  ns->add_option("--seed", seed);
  auto* cmp = app.add_subcommand("compare", "compare two maps (and each against a truth)");
  cmp->add_option("--a", a)->required();
  cmp->add_option("--b", b)->required();
  cmp->add_option("--truth", truth);
  cmp->add_option("--mask-radius-A", mask_radius);
  cmp->add_option("--min-corr", bounds.min_corr);
  cmp->add_option("--corr-mask-radius-A", bounds.corr_mask_radius_A, "correlate only within this radius");
  cmp->add_option("--max-rel-diff", bounds.max_rel_diff);
  cmp->add_option("--max-fsc-deficit", bounds.max_fsc_deficit,
                  "fail if FSC(a,truth) < FSC(b,truth) - this below --upto Nyquist");
  cmp->add_option("--min-fsc-truth", bounds.min_fsc_truth, "fail if FSC(a,truth) drops below this before --upto");
  cmp->add_option("--upto", bounds.upto);
  cmp->add_option("--csv", csv);
  CLI11_PARSE(app, argc, argv);
  try {
    if (*ph) return make_phantom(box, px, atoms, radius, sym, seed, out);
    if (*st) return make_star(n, box, px, seed, stack, !no_ctf, out);
    if (*no) return add_noise(in, out, snr, diam, seed);
    if (*sc) return stack_correlation(a, b, bounds.min_corr, max_steps);
    if (*pt) return print_tilts(project_path, series);
    if (*ns) return noise_stack(in, seed);
    if (*pe) return perturb(project_path, q, seed);
    if (*cc) return ctf_compare(project_path, err_low, err_60, err_angle);
    if (*pr) return make_projections(n, star_seed, out, stack, atoms_seed_box(atoms, radius, sym, seed), box, px, !no_ctf);
    return compare(a, b, truth, mask_radius, bounds, csv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cspt_testdata: %s\n", e.what());
    return 2;
  }
}
