// The simulated dataset: model, map, tilt series spread over ranks, project file and truth.
#include "cspt/sim/simulate_project.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <random>

#include <Eigen/Geometry>

#include "cspt/core/euler.hpp"
#include "cspt/core/tilt_scheme.hpp"
#include "cspt/core/symmetry.hpp"
#include "cspt/io/mdoc.hpp"
#include "cspt/io/mrc.hpp"
#include "cspt/io/project_file.hpp"
#include "cspt/recon/projector.hpp"
#include "cspt/sim/simulate_tilt_series.hpp"
#include "cspt/util/error.hpp"
#include "cspt/util/progress.hpp"

#ifndef CSPT_DATA_DIR
#define CSPT_DATA_DIR "data"
#endif

namespace cspt {

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(TiltRecord, section, acquisition_order, nominal_tilt_deg, refined_tilt_deg,
                                   tilt_axis_deg, dose_e_per_A2, prior_dose_e_per_A2, target_defocus_A, defocus_u_A,
                                   defocus_v_A, defocus_angle_deg, ctf_score, ctf_resolution_A, shift_x_A, shift_y_A,
                                   inplane_rotation_deg, image_shift_x_um, image_shift_y_um, stage_x_um, stage_y_um,
                                   stage_z_um, timestamp_s)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(TiltSeriesRecord, name, stack_path, mdoc_path, nx_px, ny_px, image_shift_x_um,
                                   image_shift_y_um, defocus_handedness, tilts)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(ParticleRecord, tilt_series, x_A, y_A, z_A, rot_deg, tilt_deg, psi_deg, half, score)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(ProjectionRecord, particle, tilt, defocus_u_A, defocus_v_A, defocus_angle_deg, score)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(ProjectionShiftRecord, shift_x_A, shift_y_A)

namespace {

/// A prior orientation for a pick, as a sub-tomogram alignment before CSPT gives it: the true
/// orientation turned by cfg.pick_orientation_error_deg about a random axis (its own random stream,
/// so the images do not change).
void pick_prior_orientation(ParticleRecord& pick, const ParticleRecord& truth, const SimulationConfig& cfg,
                            std::size_t particle_index) {
  std::mt19937_64 rng(cfg.seed * 0x9E3779B97F4A7C15ull + 0x5EED0000ull + particle_index);
  std::normal_distribution<double> g(0.0, 1.0);
  const Eigen::Vector3d axis = Eigen::Vector3d(g(rng), g(rng), g(rng)).normalized();
  const double angle = cfg.pick_orientation_error_deg * 3.14159265358979323846 / 180.0;
  const Eigen::Matrix3d r = Eigen::AngleAxisd(angle, axis).toRotationMatrix() *
                            matrix_from_euler_zyz({truth.rot_deg, truth.tilt_deg, truth.psi_deg});
  const EulerZyzDeg e = euler_zyz_from_matrix(r);
  pick.rot_deg = e.rot_deg;
  pick.tilt_deg = e.tilt_deg;
  pick.psi_deg = e.psi_deg;
}
namespace fs = std::filesystem;

struct SeriesResult {
  int index = 0;
  SimulatedTiltSeries series;
};

nlohmann::json to_json_series(int index, const SimulatedTiltSeries& s) {
  return {{"index", index}, {"record", s.record}, {"true_tilts", s.true_tilts},
          {"true_particles", s.true_particles}, {"true_projections", s.true_projections},
          {"true_projection_shifts", s.true_projection_shifts}};
}

SeriesResult from_json_series(const nlohmann::json& j) {
  SeriesResult r;
  r.index = j.at("index").get<int>();
  r.series.record = j.at("record").get<TiltSeriesRecord>();
  r.series.true_tilts = j.at("true_tilts").get<std::vector<TiltRecord>>();
  r.series.true_particles = j.at("true_particles").get<std::vector<ParticleRecord>>();
  r.series.true_projections = j.at("true_projections").get<std::vector<ProjectionRecord>>();
  r.series.true_projection_shifts = j.at("true_projection_shifts").get<std::vector<ProjectionShiftRecord>>();
  return r;
}

io::Mdoc make_mdoc(const SimulationConfig& cfg, const TiltSeriesRecord& ts, const std::string& image_file) {
  io::Mdoc m;
  char buf[256];
  m.globals = {{"PixelSpacing", std::to_string(cfg.pixel_size_A)},
               {"Voltage", std::to_string(int(std::lround(cfg.voltage_kV)))},
               {"ImageFile", image_file},
               {"ImageSize", std::to_string(ts.nx_px) + " " + std::to_string(ts.ny_px)},
               {"DataMode", "2"}};
  m.titles.push_back("SerialEM: cspt simulate (synthetic BISECT acquisition)    " +
                     io::serialem_datetime(ts.tilts.empty() ? 0.0 : ts.tilts.front().timestamp_s));
  std::snprintf(buf, sizeof buf, "    Tilt axis angle = %.1f, binning = 1  spot = 8  camera = 0 dosym = 0.0",
                cfg.tilt_axis_deg);
  m.titles.push_back(buf);
  for (const auto& t : ts.tilts) {
    io::MdocSection s;
    s.z_value = t.section;
    const auto fmt = [&buf](const char* f, double a, double b = 0) {
      std::snprintf(buf, sizeof buf, f, a, b);
      return std::string(buf);
    };
    s.keys = {{"TiltAngle", fmt("%.2f", t.nominal_tilt_deg)},
              {"StagePosition", fmt("%.3f %.3f", t.stage_x_um, t.stage_y_um)},
              {"StageZ", fmt("%.3f", t.stage_z_um)},
              {"ExposureDose", fmt("%.3f", t.dose_e_per_A2)},
              {"PixelSpacing", fmt("%.4f", cfg.pixel_size_A)},
              {"Defocus", fmt("%.4f", -t.target_defocus_A / 1e4)},
              {"ImageShift", fmt("%.3f %.3f", t.image_shift_x_um, t.image_shift_y_um)},
              {"RotationAngle", fmt("%.2f", cfg.tilt_axis_deg + 90.0)},
              {"ExposureTime", "1.0"},
              {"TargetDefocus", fmt("%.4f", -t.target_defocus_A / 1e4)},
              {"PriorRecordDose", fmt("%.3f", t.prior_dose_e_per_A2)},
              {"DateTime", io::serialem_datetime(t.timestamp_s)},
              {"TimeStamp", fmt("%.0f", t.timestamp_s)}};
    m.sections.push_back(s);
  }
  return m;
}

}  // namespace

AtomicModel simulation_model(const SimulationConfig& cfg) {
  if (cfg.model == "builtin:gltph-d3") {
    const std::string dir = cfg.model_dir.empty() ? std::string(CSPT_DATA_DIR) + "/models" : cfg.model_dir;
    return d3_from_c3_trimer(read_atomic_model(dir + "/2nwl_gltph_c3_opm.pdb"));
  }
  if (cfg.model == "builtin:phantom") return pseudo_atomic_phantom(600, 45.0, unsigned(cfg.seed), point_group("D3").operators);
  if (!fs::exists(cfg.model)) throw ConfigError(cfg.source, "model", cfg.model, "an existing PDB/mmCIF file, builtin:gltph-d3 or builtin:phantom");
  return read_atomic_model(cfg.model);
}

SimulationResult simulate_project_collective(parallel::Context& ctx, const SimulationConfig& cfg, const std::string& dir,
                                             int threads, const std::function<void(const std::string&)>& progress) {
  const AtomicModel model = simulation_model(cfg);
  const Eigen::Vector3d centre = model.centroid_A();
  const double radius = model.radius_A(centre);
  SimulationResult result;
  result.particle_diameter_A = 2 * radius;
  result.mass_kDa = model.mass_kDa();
  result.model_source = model.source;
  if (2 * radius > cfg.particle_box_px * cfg.pixel_size_A * 0.95) {
    throw ConfigError(cfg.source, "particle_box_px", std::to_string(cfg.particle_box_px),
                      "a box wider than the particle (" + std::to_string(int(std::lround(2 * radius))) + " A = " +
                          std::to_string(int(std::ceil(2 * radius / cfg.pixel_size_A / 0.95))) + " px)");
  }
  const Volume map = potential_map(model, cfg.particle_box_px, cfg.pixel_size_A, cfg.extra_b_factor_A2);
  const Projector projector(map, 2, threads);

  fs::create_directories(fs::path(dir) / "tilt_series");
  std::vector<nlohmann::json> mine;
  // Progress over this rank's images (shown by rank 0 when a progress callback is given).
  int my_series = 0;
  for (int i = ctx.rank(); i < cfg.n_tilt_series; i += ctx.size()) ++my_series;
  ProgressOptions po;
  po.enabled = ctx.is_root() && bool(progress);
  ProgressBar bar(std::string("cspt simulate: images") + (ctx.size() > 1 ? " (rank 0's share)" : ""),
                  std::int64_t(my_series) * std::int64_t(tilt_scheme(cfg.tilt_scheme).size()), "images", po);
  for (int i = ctx.rank(); i < cfg.n_tilt_series; i += ctx.size()) {
    char name[32];
    std::snprintf(name, sizeof name, "tilt_series/ts_%03d", i + 1);
    const std::string stack = std::string(name) + ".mrc";
    io::MrcStackWriter writer((fs::path(dir) / stack).string(), cfg.image_nx_px, cfg.image_ny_px, cfg.pixel_size_A);
    auto s = simulate_tilt_series(cfg, projector, radius, i, threads, [&writer, &bar](const Image& im) {
      writer.append(im);
      bar.advance();
    });
    writer.close();
    s.record.stack_path = stack;
    s.record.mdoc_path = stack + ".mdoc";
    io::write_mdoc((fs::path(dir) / s.record.mdoc_path).string(), make_mdoc(cfg, s.record, fs::path(stack).filename().string()));
    mine.push_back(to_json_series(i, s));
    if (progress) progress("simulated " + s.record.name + " (" + std::to_string(s.record.tilts.size()) + " tilts, " +
                           std::to_string(s.true_particles.size()) + " particles) on " + ctx.label());
  }
  bar.finish();
  const auto gathered = ctx.gather_text_to_root_collective(nlohmann::json(mine).dump());
  if (!ctx.is_root()) return result;

  std::vector<SeriesResult> all;
  for (const auto& text : gathered)
    for (const auto& j : nlohmann::json::parse(text)) all.push_back(from_json_series(j));
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.index < b.index; });

  Project p;
  p.created_by = "cspt simulate 0.1.0";
  p.optics = {cfg.voltage_kV, cfg.cs_mm, cfg.amplitude_contrast, cfg.pixel_size_A, cfg.image_nx_px, cfg.image_ny_px, cfg.camera};
  Truth truth;
  truth.map_path = "truth/map.mrc";
  truth.defocus_handedness = cfg.defocus_handedness;
  for (const auto& r : all) {
    const int ts_index = int(p.tilt_series.size());
    const int first_particle = int(truth.particles.size());
    p.tilt_series.push_back(r.series.record);
    truth.tilts.push_back(r.series.true_tilts);
    for (auto particle : r.series.true_particles) {
      particle.tilt_series = ts_index;
      truth.particles.push_back(particle);
      if (cfg.write_particle_picks) {
        ParticleRecord pick = particle;  // a picker knows where, not how the particle is turned
        pick.rot_deg = pick.tilt_deg = pick.psi_deg = 0.0;
        if (cfg.pick_orientation_error_deg >= 0) pick_prior_orientation(pick, particle, cfg, truth.particles.size());
        p.particles.push_back(pick);
      }
    }
    for (auto proj : r.series.true_projections) {
      proj.particle += first_particle;
      truth.projections.push_back(proj);
    }
    if (cfg.deformation_A > 0)
      truth.projection_shifts.insert(truth.projection_shifts.end(), r.series.true_projection_shifts.begin(),
                                     r.series.true_projection_shifts.end());
    result.n_tilts += int(r.series.record.tilts.size());
  }
  result.n_tilt_series = int(p.tilt_series.size());
  result.n_particles = int(truth.particles.size());
  result.n_projections = int(truth.projections.size());
  p.truth = std::move(truth);
  fs::create_directories(fs::path(dir) / "truth");
  io::write_mrc_volume((fs::path(dir) / "truth" / "map.mrc").string(), map);
  io::write_project((fs::path(dir) / "project.h5").string(), p);
  return result;
}

}  // namespace cspt
