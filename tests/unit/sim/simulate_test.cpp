// The simulated images obey the truth: particles cut with the true geometry and reconstructed with
// their true orientations and per-projection CTF give back the true map; the tilted images' power
// spectra carry the defocus gradient with the documented handedness.
#include "cspt/sim/simulate_project.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <numbers>

#include <Eigen/Dense>

#include "cspt/core/ctf.hpp"
#include "cspt/core/tilt_geometry.hpp"
#include "cspt/fft/transforms.hpp"
#include "cspt/io/mdoc.hpp"
#include "cspt/io/mrc.hpp"
#include "cspt/io/project_file.hpp"
#include "cspt/recon/extract.hpp"
#include "cspt/recon/fsc.hpp"
#include "cspt/recon/image_source.hpp"
#include "cspt/recon/mask.hpp"
#include "cspt/recon/reconstruct.hpp"
#include "cspt/util/error.hpp"

namespace cspt {
namespace {
namespace fs = std::filesystem;

SimulationConfig small_config() {
  SimulationConfig c;
  c.model = "builtin:phantom";
  c.particle_box_px = 64;
  c.pixel_size_A = 2.0;
  c.image_nx_px = c.image_ny_px = 512;
  c.n_tilt_series = 3;
  c.particles_per_series = 10;
  // Modest defocus: the CTF's delocalisation (lambda * defocus * s) then stays inside a 64 px box.
  c.target_defocus_A = 12000;
  c.defocus_spread_A = 2000;
  c.ice_thickness_A = 500;
  c.dose_per_tilt_e_per_A2 = 2000;  // high dose: shot noise is small
  c.radiation_damage = false;
  c.ice_background_rms_rad = 0.01;
  c.seed = 7;
  return c;
}

fs::path temp_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("cspt_sim_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

TEST(SimulateTest, images_reconstruct_to_the_truth_with_true_parameters) {
  const fs::path dir = temp_dir("truth");
  auto ctx = parallel::make_local_context();
  const auto r = simulate_project_collective(*ctx, small_config(), dir.string(), 2, nullptr);
  EXPECT_EQ(r.n_tilt_series, 3);
  EXPECT_EQ(r.n_projections, 3 * 10 * 41);
  const Project p = io::read_project((dir / "project.h5").string());
  ASSERT_TRUE(p.truth.has_value());
  const ParticleSet set = extract_particles(p, dir.string(), 64, (dir / "particles.mrcs").string(), GeometrySource::truth);
  auto images = make_stack_image_source(set);
  ReconstructOptions opts;
  opts.threads = 2;
  const Volume truth = io::read_mrc_volume((dir / "truth" / "map.mrc").string());
  const auto rec = reconstruct_collective(*ctx, set, *images, opts, soft_sphere_mask(64, 2.0, 54.0, 6.0));
  const auto fsc = fourier_shell_correlation(rec.map, truth);
  for (int s = 1; s <= int(0.7 * 32); ++s) EXPECT_GE(fsc[s], 0.9) << "shell " << s;
  std::printf("[ info     ] FSC(map, truth) at shells 10/16/20/22: %.3f %.3f %.3f %.3f\n", fsc[10], fsc[16], fsc[20], fsc[22]);

  // Negative control: cut with the nominal geometry (what the microscope reported) the errors in
  // tilt angle, axis and shifts must cost resolution.
  Project nominal = p;
  nominal.particles = p.truth->particles;
  nominal.projections = p.truth->projections;
  const ParticleSet off = extract_particles(nominal, dir.string(), 64, (dir / "nominal.mrcs").string());
  auto off_images = make_stack_image_source(off);
  const auto bad = reconstruct_collective(*ctx, off, *off_images, opts, soft_sphere_mask(64, 2.0, 54.0, 6.0));
  EXPECT_LT(fourier_shell_correlation(bad.map, truth)[int(0.7 * 32)], 0.8);
  fs::remove_all(dir);
}

TEST(SimulateTest, deformation_moves_particles_by_a_recorded_linear_gradient) {
  // The same dataset with and without deformation_A: the truth records each projection's move, a
  // linear function of the particle's (x, y) per tilt, zero in the first exposure, each component
  // within +-deformation_A inside the field's inscribed circle; the first exposure's image is the
  // same bit for bit (its own random stream), the later ones differ where the particles moved.
  SimulationConfig c = small_config();
  c.n_tilt_series = 1;
  c.image_nx_px = c.image_ny_px = 256;
  c.particles_per_series = 6;
  c.tilt_scheme = "bisect36";
  c.shift_sd_A = 5;
  auto ctx = parallel::make_local_context();
  const fs::path rigid = temp_dir("rigid"), moved = temp_dir("deformed");
  // One thread: the particles' contributions are then summed in one order, bit for bit.
  simulate_project_collective(*ctx, c, rigid.string(), 1, nullptr);
  c.deformation_A = 10;
  simulate_project_collective(*ctx, c, moved.string(), 1, nullptr);
  const Project a = io::read_project((rigid / "project.h5").string());
  const Project b = io::read_project((moved / "project.h5").string());
  EXPECT_TRUE(a.truth->projection_shifts.empty());
  ASSERT_EQ(b.truth->projection_shifts.size(), b.truth->projections.size());
  const double r_A = 0.5 * 256 * c.pixel_size_A;
  std::map<int, std::vector<std::pair<Eigen::Vector2d, Eigen::Vector2d>>> by_tilt;  // (x, y) -> move
  double largest = 0;
  for (std::size_t k = 0; k < b.truth->projections.size(); ++k) {
    const auto& pr = b.truth->projections[k];
    const auto& pt = b.truth->particles[std::size_t(pr.particle)];
    const Eigen::Vector2d d(b.truth->projection_shifts[k].shift_x_A, b.truth->projection_shifts[k].shift_y_A);
    ASSERT_LT(std::hypot(pt.x_A, pt.y_A), r_A);
    EXPECT_LE(d.cwiseAbs().maxCoeff(), c.deformation_A);
    largest = std::max(largest, d.cwiseAbs().maxCoeff());
    if (b.tilt_series[0].tilts[std::size_t(pr.tilt)].acquisition_order == 0) EXPECT_EQ(d.norm(), 0.0);
    by_tilt[pr.tilt].push_back({Eigen::Vector2d(pt.x_A, pt.y_A), d});
  }
  EXPECT_GT(largest, 0.2 * c.deformation_A);
  for (const auto& [tilt, rows] : by_tilt) {
    // Linear through the origin: d = G p fitted on all particles leaves nothing.
    Eigen::MatrixXd p(rows.size(), 2), d(rows.size(), 2);
    for (std::size_t i = 0; i < rows.size(); ++i) {
      p.row(Eigen::Index(i)) = rows[i].first.transpose();
      d.row(Eigen::Index(i)) = rows[i].second.transpose();
    }
    const Eigen::MatrixXd g = p.colPivHouseholderQr().solve(d);
    EXPECT_LT((p * g - d).cwiseAbs().maxCoeff(), 1e-9) << "tilt " << tilt;
  }
  const io::MrcReader ra((rigid / a.tilt_series[0].stack_path).string()), rb((moved / b.tilt_series[0].stack_path).string());
  const Image first_a = ra.read_section(0), first_b = rb.read_section(0);
  EXPECT_TRUE(std::equal(first_a.values().begin(), first_a.values().end(), first_b.values().begin()));
  const Image last_a = ra.read_section(ra.n_sections() - 1), last_b = rb.read_section(rb.n_sections() - 1);
  EXPECT_FALSE(std::equal(last_a.values().begin(), last_a.values().end(), last_b.values().begin()));
  fs::remove_all(rigid);
  fs::remove_all(moved);
}

TEST(SimulateTest, unrecorded_dose_damages_but_is_not_in_the_record) {
  // unrecorded_dose_e_per_A2 = u: the record keeps dose x order, the truth holds the exposure the
  // specimen had, dose x order + u x (order + 1), and the images are those of that exposure.
  SimulationConfig c = small_config();
  c.n_tilt_series = 1;
  c.particles_per_series = 2;
  c.image_nx_px = c.image_ny_px = 128;
  c.tilt_scheme = "bisect36";
  c.dose_per_tilt_e_per_A2 = 20;
  c.radiation_damage = true;
  auto ctx = parallel::make_local_context();
  const fs::path exact = temp_dir("dose_exact"), missed = temp_dir("dose_missed");
  simulate_project_collective(*ctx, c, exact.string(), 1, nullptr);
  c.unrecorded_dose_e_per_A2 = 10;
  simulate_project_collective(*ctx, c, missed.string(), 1, nullptr);
  const Project a = io::read_project((exact / "project.h5").string());
  const Project b = io::read_project((missed / "project.h5").string());
  ASSERT_EQ(b.tilt_series[0].tilts.size(), 25u);
  for (std::size_t t = 0; t < 25; ++t) {
    const auto& rec = b.tilt_series[0].tilts[t];
    const double order = rec.acquisition_order;
    EXPECT_DOUBLE_EQ(rec.prior_dose_e_per_A2, 20 * order);
    EXPECT_DOUBLE_EQ(rec.dose_e_per_A2, 20);
    EXPECT_DOUBLE_EQ(a.truth->tilts[0][t].prior_dose_e_per_A2, 20 * order);
    EXPECT_DOUBLE_EQ(b.truth->tilts[0][t].prior_dose_e_per_A2, 20 * order + 10 * (order + 1));
  }
  const io::MrcReader ra((exact / a.tilt_series[0].stack_path).string()), rb((missed / b.tilt_series[0].stack_path).string());
  const Image ia = ra.read_section(0), ib = rb.read_section(0);
  EXPECT_FALSE(std::equal(ia.values().begin(), ia.values().end(), ib.values().begin()));
  fs::remove_all(exact);
  fs::remove_all(missed);
}

TEST(SimulateTest, mdoc_lists_the_bisect60_angles_in_acquisition_order) {
  const fs::path dir = temp_dir("mdoc");
  auto cfg = small_config();
  cfg.n_tilt_series = 1;
  cfg.particles_per_series = 1;
  cfg.image_nx_px = cfg.image_ny_px = 128;
  auto ctx = parallel::make_local_context();
  simulate_project_collective(*ctx, cfg, dir.string(), 1, nullptr);
  const auto m = io::read_mdoc((dir / "tilt_series" / "ts_001.mrc.mdoc").string());
  ASSERT_EQ(m.sections.size(), 41u);
  const double expected[] = {0, 3, -3, -6, 6, 9, -9, -12, 12, 15, -15};
  for (int i = 0; i < 11; ++i) {
    EXPECT_EQ(m.sections[i].z_value, i);
    EXPECT_EQ(m.sections[i].keys[0].first, "TiltAngle");
    EXPECT_NEAR(std::stod(m.sections[i].keys[0].second), expected[i], 1e-9);
  }
  EXPECT_EQ(io::MrcReader((dir / "tilt_series" / "ts_001.mrc").string()).n_sections(), 41);
  fs::remove_all(dir);
}

/// Mean defocus of a strip of a tilted image, estimated by matching its power spectrum's Thon rings
/// against CTF^2 over a range of trial defoci (an independent, brute-force estimator).
double strip_defocus_A(const Image& im, int x0, int y0, int size, double px, const CtfParams& base) {
  Image tile(size, size, px);
  double mean = 0;
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x) mean += im.at(x0 + x, y0 + y);
  mean /= double(size * size);
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x) tile.at(x, y) = float(im.at(x0 + x, y0 + y) - mean);
  const FourierImage f = fft::forward(tile);
  double best = 0, best_df = 0;
  for (double df = base.defocus_u_A - 6000; df <= base.defocus_u_A + 6000; df += 50) {
    CtfParams c = base;
    c.defocus_u_A = c.defocus_v_A = df;
    const CtfEvaluator ctf(c);
    double num = 0, a = 0, b = 0;
    for (int row = 0; row < size; ++row)
      for (int kx = 1; kx < f.nx_half(); ++kx) {
        const int ky = f.frequency(row);
        const double s = std::hypot(kx, ky) / (size * px);
        if (s < 1.0 / 30 || s > 1.0 / 8) continue;
        const double p = std::norm(f.data()[std::size_t(row) * f.nx_half() + kx]);
        const double m = ctf(kx / (size * px), ky / (size * px));
        num += p * m * m;
        a += p * p;
        b += m * m * m * m;
      }
    const double score = num / std::sqrt(a * b);
    if (score > best) {
      best = score;
      best_df = df;
    }
  }
  return best_df;
}

TEST(SimulateTest, tilted_power_spectra_show_the_defocus_gradient_with_the_documented_hand) {
  const fs::path dir = temp_dir("gradient");
  auto cfg = small_config();
  cfg.n_tilt_series = 1;
  cfg.particles_per_series = 0;
  cfg.image_nx_px = cfg.image_ny_px = 1024;
  cfg.pixel_size_A = 1.5;
  cfg.target_defocus_A = 25000;
  cfg.particle_box_px = 96;
  cfg.ice_background_rms_rad = 0.3;
  cfg.astigmatism_A = 0;
  cfg.tilt_axis_deg = 0;  // axis along image y: the gradient runs along x
  cfg.tilt_scheme = "bisect60";
  auto ctx = parallel::make_local_context();
  simulate_project_collective(*ctx, cfg, dir.string(), 2, nullptr);
  const Project p = io::read_project((dir / "project.h5").string());
  const auto& tilts = p.truth->tilts[0];
  io::MrcReader raw((dir / "tilt_series" / "ts_001.mrc").string());
  // Acquisition index of +60: the last of bisect60's "+" branch; find it by angle.
  int idx = -1;
  for (std::size_t i = 0; i < tilts.size(); ++i)
    if (std::abs(tilts[i].nominal_tilt_deg - 60.0) < 1e-6) idx = int(i);
  ASSERT_GE(idx, 0);
  const Image im = raw.read_section(idx);
  CtfParams base;
  base.defocus_u_A = base.defocus_v_A = tilts[idx].defocus_u_A;
  const double left = strip_defocus_A(im, 64, 384, 256, 1.5, base), right = strip_defocus_A(im, 704, 384, 256, 1.5, base);
  // Documented hand (conventions.md): at positive tilt, points at -x (aligned) rise and are less
  // underfocused. The strip centres are 640 px = 960 A apart: expected difference 960 tan(60) A.
  const double expected = 960.0 * std::tan(tilts[idx].refined_tilt_deg * std::numbers::pi / 180);
  EXPECT_NEAR(right - left, expected, 300.0) << "left " << left << " right " << right;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace cspt

namespace cspt {
namespace {

TEST(ExtractTest, per_projection_defocus_from_tilt_ctf_and_height_proves_the_hand) {
  // Particles cut with the true geometry; their defocus computed from each tilt's CTF (at the
  // tomogram origin) and their height after tilting. The physical hand reconstructs; the flipped
  // hand must be clearly worse. Deep ice and a large defocus gradient make the sign matter.
  const fs::path dir = temp_dir("hand");
  SimulationConfig c = small_config();
  c.ice_thickness_A = 1200;
  c.particles_per_series = 12;
  auto ctx = parallel::make_local_context();
  simulate_project_collective(*ctx, c, dir.string(), 2, nullptr);
  Project p = io::read_project((dir / "project.h5").string());
  const Volume truth = io::read_mrc_volume((dir / "truth" / "map.mrc").string());
  ReconstructOptions opts;
  opts.threads = 2;
  std::vector<double> fsc_at;
  for (double hand : {1.0, -1.0}) {
    p.truth->projections = projections_from_tilt_ctf(p, GeometrySource::truth, hand);
    const auto stack = (dir / ("hand" + std::to_string(int(hand)) + ".mrcs")).string();
    const ParticleSet set = extract_particles(p, dir.string(), 64, stack, GeometrySource::truth);
    auto images = make_stack_image_source(set);
    const auto r = reconstruct_collective(*ctx, set, *images, opts, soft_sphere_mask(64, 2.0, 54.0, 6.0));
    fsc_at.push_back(fourier_shell_correlation(r.map, truth)[22]);
  }
  std::printf("[ info     ] FSC(map, truth) at 0.7 Nyquist: %.3f with the physical hand, %.3f flipped\n", fsc_at[0], fsc_at[1]);
  EXPECT_GE(fsc_at[0], 0.9);
  EXPECT_LT(fsc_at[1], fsc_at[0] - 0.03);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace cspt

namespace cspt {
namespace {

TEST(ExtractTest, boxes_outside_the_image_are_left_out_and_a_particle_outside_every_tilt_is_an_error) {
  const fs::path dir = temp_dir("outside");
  SimulationConfig c = small_config();
  c.n_tilt_series = 1;
  c.particles_per_series = 3;
  auto ctx = parallel::make_local_context();
  simulate_project_collective(*ctx, c, dir.string(), 1, nullptr);
  Project p = io::read_project((dir / "project.h5").string());
  std::size_t skipped = 0;
  const auto all = extract_particles(p, dir.string(), 64, (dir / "a.mrcs").string(), GeometrySource::truth, false, &skipped);
  EXPECT_EQ(skipped, 0u);
  // Move particle 0 near the edge along x (perpendicular to the 85 degree axis, roughly): its box
  // leaves the image at some tilts only.
  p.truth->particles[0].x_A = 0.0;
  p.truth->particles[0].y_A = 450.0;
  const auto some = extract_particles(p, dir.string(), 64, (dir / "b.mrcs").string(), GeometrySource::truth, false, &skipped);
  EXPECT_GT(skipped, 0u);
  EXPECT_LT(skipped, 41u);
  EXPECT_EQ(some.projections.size() + skipped, all.projections.size());
  // Far outside: every tilt misses it.
  p.truth->particles[1].x_A = 1e5;
  try {
    extract_particles(p, dir.string(), 64, (dir / "c.mrcs").string(), GeometrySource::truth);
    FAIL();
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("particle 1"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dir / "c.mrcs"));  // nothing half-written
  fs::remove_all(dir);
}

}  // namespace
}  // namespace cspt
