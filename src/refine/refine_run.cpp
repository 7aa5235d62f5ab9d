// The refinement job: setup, extraction, resume, and the iteration loop.
#include "cspt/refine/refine_run.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <numbers>
#include <sstream>

#include <Eigen/Geometry>
#include <nlohmann/json.hpp>
#include <omp.h>

#include "cspt/core/euler.hpp"
#include "cspt/io/atomic_file.hpp"
#include "cspt/io/mrc.hpp"
#include "cspt/io/project_file.hpp"
#include "cspt/parallel/guarded.hpp"
#include "cspt/parallel/partition.hpp"
#include "cspt/recon/extract.hpp"
#include "cspt/recon/fsc.hpp"
#include "cspt/recon/mask.hpp"
#include "cspt/recon/reconstruct.hpp"
#include "cspt/refine/refine_memory.hpp"
#include "cspt/util/node_memory.hpp"
#include "cspt/refine/reference.hpp"
#include "cspt/refine/refine_tables.hpp"
#include "cspt/refine/tilt_shift_scan.hpp"
#include "cspt/refine/truth_metrics.hpp"
#include "cspt/util/error.hpp"
#include "cspt/util/progress.hpp"

namespace cspt {
namespace fs = std::filesystem;
namespace {

using json = nlohmann::ordered_json;

std::string fmt(const char* f, double v) {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

std::string iter_name(int i) {
  char b[32];
  std::snprintf(b, sizeof b, "iter_%03d", i);
  return b;
}

void write_text(const fs::path& path, const std::string& text) { io::write_file_atomically(path.string(), text); }

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  if (!in) throw IoError(path.string(), "file", "unreadable", "the file just written");
  return ss.str();
}

// ---- volumes across ranks ----

void broadcast_volume(parallel::Context& ctx, Volume& v, int n, double px) {
  std::vector<double> buf;
  if (ctx.is_root()) buf.assign(v.values().begin(), v.values().end());
  ctx.broadcast_collective(buf);
  if (!ctx.is_root()) {
    v = Volume(n, px);
    std::copy(buf.begin(), buf.end(), v.values().begin());
  }
}

int last_complete_iteration(const fs::path& out) {
  int last = 0;
  if (!fs::exists(out)) return 0;
  for (const auto& e : fs::directory_iterator(out)) {
    const std::string name = e.path().filename().string();
    int i = 0;
    if (name.size() == 8 && std::sscanf(name.c_str(), "iter_%d", &i) == 1 && fs::exists(e.path() / "summary.json"))
      last = std::max(last, i);
  }
  return last;
}

json truth_json(const TruthMetrics& m) {
  json j;
  j["median_angular_error_deg"] = m.median_angular_error_deg;
  j["median_projection_angular_error_deg"] = m.median_projection_angular_error_deg;
  j["median_shift_error_A"] = m.median_shift_error_A;
  j["median_position_error_A"] = m.median_position_error_A;
  j["tilt_angle_error_deg"] = m.tilt_angle_error_deg;
  j["tilt_axis_error_deg"] = m.tilt_axis_error_deg;
  j["tilt_shift_error_A"] = m.tilt_shift_error_A;
  return j;
}

// How many regions have their own shifts, and how large the corrections are.
json region_summary(const RefineModel& model) {
  const TiltRegions& r = model.regions;
  int active = 0, total = 0;
  std::vector<double> size_A;
  for (std::size_t s = 0; s < model.tilts.size(); ++s)
    for (int g = 0; g < r.grid.count(); ++g) {
      ++total;
      if (!r.active(s, g)) continue;
      ++active;
      for (std::size_t t = 0; t < model.tilts[s].size(); ++t)
        if (!model.tilts[s][t].reference) size_A.push_back(r.shift_A[s][std::size_t(g) * model.tilts[s].size() + t].norm());
    }
  return {{"grid", {r.grid.nx, r.grid.ny, r.grid.nz}}, {"regions", total}, {"regions_refined", active},
          {"median_correction_A", median_of(size_A)}};
}

}  // namespace

std::string refine_options_json(const RefineOptions& o) {
  json j;
  j["project"] = o.project_path;
  j["reference"] = o.reference_path;
  j["initial_resolution_A"] = o.initial_resolution_A;
  j["low_resolution_A"] = o.low_resolution_A;
  j["resolution_factor"] = o.resolution_factor;
  j["iterations"] = o.iterations;
  j["box_px"] = o.box_px;
  j["extraction"] = o.on_the_fly_extraction ? "on-the-fly" : "stored";
  j["recentre_boxes"] = o.recentre_boxes;
  j["symmetry"] = o.symmetry;
  j["mask_radius_A"] = o.mask_radius_A;
  j["mask_edge_A"] = o.mask_edge_A;
  j["mask"] = o.mask_path;
  j["constrained"] = o.constrained;
  j["refine_particles"] = o.refine_particles;
  j["refine_tilts"] = o.refine_tilts;
  j["global_search"] = o.global_search;
  j["grid_iterations"] = o.grid_iterations;
  const auto& p = o.particle;
  j["particle"] = {{"angle_range_deg", p.angle_range_deg}, {"shift_range_A", p.shift_range_A},
                   {"refine_shift", p.refine_shift}, {"grid_range_deg", p.grid_range_deg},
                   {"grid_step_deg", p.grid_step_deg}, {"angle_step_deg", p.angle_step_deg},
                   {"shift_step_A", p.shift_step_A}, {"max_evaluations", p.max_evaluations},
                   {"max_acquisition_order", p.max_acquisition_order}};
  j["global"] = {{"angle_step_deg", o.global.angle_step_deg}, {"keep", o.global.keep}};
  const auto& t = o.tilt;
  j["tilt"] = {{"angle", t.angle}, {"axis", t.axis}, {"shift", t.shift}, {"defocus", t.defocus},
               {"angle_step_deg", t.angle_step_deg}, {"axis_step_deg", t.axis_step_deg},
               {"shift_step_A", t.shift_step_A}, {"defocus_step_A", t.defocus_step_A}, {"rounds", t.rounds},
               {"angle_range_deg", t.angle_range_deg}, {"axis_range_deg", t.axis_range_deg},
               {"shift_range_A", t.shift_range_A}, {"defocus_range_A", t.defocus_range_A},
               {"regions", {t.regions.nx, t.regions.ny, t.regions.nz}},
               {"region_min_particles", t.regions.min_particles}, {"region_shift_range_A", t.region_shift_range_A},
               {"shift_scan_iterations", t.shift_scan_iterations}};
  const auto& w = o.weights;
  j["exposure_weighting"] = {{"method", to_string(w.method)}, {"fraction", w.fraction}, {"transition", w.transition},
                             {"multiply", w.multiply}, {"bfactor_max_A2", w.bfactor_max_A2}};
  j["pad"] = o.pad;
  j["seed"] = o.seed;
  j["converge_angle_deg"] = o.converge_angle_deg;
  return j.dump(2);
}

RefineOutcome run_refinement_collective(parallel::Context& ctx, const RefineOptions& opts, const RefineLog& log) {
  const auto say = [&](const std::string& s) {
    if (ctx.is_root() && log) log(s);
  };
  const fs::path out = opts.out_dir;
  const fs::path project_dir = fs::path(opts.project_path).parent_path();
  const int box = opts.box_px;
  if (opts.iterations < 0) throw ConfigError("refine", "iterations", std::to_string(opts.iterations), ">= 0");
  if (opts.resolution_factor <= 0 || opts.resolution_factor > 1.5)
    throw ConfigError("refine", "resolution_factor", std::to_string(opts.resolution_factor), "in (0, 1.5]");

  // ---- the run folder: options, extraction (root), resume point ----
  const fs::path start_project = out / "start_project.h5";
  const fs::path boxes_path = out / "extraction.csv";
  const fs::path stack_path = out / "particles.mrcs";
  std::string boxes_text;
  int resume_from = 0;
  parallel::run_guarded_collective(ctx, [&] {
    if (!ctx.is_root()) return;
    // Compare everything except the iteration count, which a resumed run may raise.
    auto mine = json::parse(refine_options_json(opts));
    mine.erase("iterations");
    mine.erase("reference");  // only the first iteration reads it
    const fs::path opts_path = out / "refine_options.json";
    if (fs::exists(opts_path)) {
      std::ifstream in(opts_path);
      auto theirs = json::parse(in, nullptr, false);
      if (theirs.is_discarded()) throw IoError(opts_path.string(), "JSON", "unparsable", "the options of an earlier run");
      theirs.erase("iterations");
      theirs.erase("reference");
      if (!theirs.contains("extraction")) theirs["extraction"] = "stored";  // runs from before the option
      if (!theirs.contains("recentre_boxes")) theirs["recentre_boxes"] = false;  // runs from before re-centring
      // Runs from before per-region tilt shifts existed ran without them.
      if (theirs.contains("tilt") && theirs["tilt"].is_object() && !theirs["tilt"].contains("regions")) {
        theirs["tilt"]["regions"] = {1, 1, 1};
        theirs["tilt"]["region_min_particles"] = TiltRegionGrid{}.min_particles;
        theirs["tilt"]["region_shift_range_A"] = TiltSearchOptions{}.region_shift_range_A;
      }
      // Runs from before the shift scan: their first iteration ran without it; what follows is the same.
      if (theirs.contains("tilt") && theirs["tilt"].is_object() && !theirs["tilt"].contains("shift_scan_iterations"))
        theirs["tilt"]["shift_scan_iterations"] = opts.tilt.shift_scan_iterations;
      if (theirs != mine) {
        std::string key = "options";
        for (auto it = mine.begin(); it != mine.end(); ++it)
          if (!theirs.contains(it.key()) || theirs[it.key()] != it.value()) {
            key = it.key();
            break;
          }
        throw ConfigError(opts_path.string(), key, theirs.contains(key) ? theirs[key].dump() : "(absent)",
                          "the same options as this run (" + (mine.contains(key) ? mine[key].dump() : "?") +
                              "); use another output folder");
      }
    }
    resume_from = last_complete_iteration(out);
    // A new run needs a usable starting reference: checked before any time goes into extraction.
    if (resume_from == 0) {
      if (opts.reference_path.empty())
        throw ConfigError("refine", "reference", "(none)", "a starting reference map (MRC) for a new run");
      const auto h = io::read_mrc_header(opts.reference_path);
      if (h.nx != box || h.ny != box || h.nz != box) {
        throw IoError(opts.reference_path, "box", std::to_string(h.nx) + "x" + std::to_string(h.ny) + "x" + std::to_string(h.nz),
                      "a cubic map of the particle box " + std::to_string(box));
      }
    }
    if (!fs::exists(opts.project_path))
      throw IoError(opts.project_path, "file", "missing", "an existing HDF5 project file");
    if (!opts.mask_path.empty()) {
      const auto h = io::read_mrc_header(opts.mask_path);
      if (h.nx != box || h.ny != box || h.nz != box) {
        throw IoError(opts.mask_path, "box", std::to_string(h.nx) + "x" + std::to_string(h.ny) + "x" + std::to_string(h.nz),
                      "a cubic mask of the particle box " + std::to_string(box));
      }
    }
    fs::create_directories(out);
    write_text(opts_path, refine_options_json(opts) + "\n");
    // On the fly, the run folder holds no stack: the box table and the start project are all.
    const bool stack_ready = opts.on_the_fly_extraction || fs::exists(stack_path);
    if (!fs::exists(boxes_path) || !stack_ready || !fs::exists(start_project)) {
      const auto t_extract = std::chrono::steady_clock::now();
      Project project = io::read_project(opts.project_path);
      if (project.particles.empty()) throw IoError(opts.project_path, "/particles", "0", "particles to refine");
      project.projections = projections_from_tilt_ctf(project, GeometrySource::project);
      say("cspt refine: " + std::string(opts.on_the_fly_extraction ? "box table (on-the-fly extraction) for " : "extracting ") +
          std::to_string(project.projections.size()) + " projections of " + std::to_string(project.particles.size()) +
          " particles (box " + std::to_string(box) + ")");
      const fs::path tmp_stack = out / "particles.mrcs.part";
      std::size_t skipped = 0;
      ExtractOptions eo;
      eo.box_px = box;
      const ParticleSet set = extract_particles(project, project_dir.string(), eo,
                                                opts.on_the_fly_extraction ? std::string() : tmp_stack.string(), &skipped);
      if (skipped) say("cspt refine: " + std::to_string(skipped) + " boxes reach outside their tilt image and are left out");
      const auto boxes = boxes_from_extraction(project, set);
      io::write_project(start_project.string(), project);
      if (!opts.on_the_fly_extraction) fs::rename(tmp_stack, stack_path);
      write_text(boxes_path, extraction_csv(boxes));
      resume_from = 0;
      say("cspt refine: extraction: " + fmt("%.2f s", std::chrono::duration<double>(std::chrono::steady_clock::now() - t_extract).count()));
    }
    boxes_text = read_text(boxes_path);
  });
  ctx.broadcast_collective(boxes_text);
  {
    std::vector<double> r{double(resume_from)};
    ctx.broadcast_collective(r);
    resume_from = int(r[0]);
  }
  // Where the first cut put the boxes (the stored stack holds these), and where this run has them
  // now: re-centring moves them between iterations.
  const std::vector<ExtractedBox> extracted = parse_extraction_csv(boxes_path.string(), boxes_text);
  std::vector<ExtractedBox> boxes = extracted;
  if (resume_from > 0 && opts.recentre_boxes) {
    const fs::path p = out / iter_name(resume_from) / "extraction.csv";
    boxes = parse_extraction_csv(p.string(), read_text(p));
    if (boxes.size() != extracted.size())
      throw IoError(p.string(), "rows", std::to_string(boxes.size()), std::to_string(extracted.size()) + " boxes, as the run's extraction.csv");
  }
  if (opts.iterations == 0) {  // prepare the run folder only
    say("cspt refine: extraction ready in " + out.string() + " (0 iterations asked)");
    return {};
  }

  // ---- the model: from the start, or from the last complete iteration ----
  const Project start = io::read_project(start_project.string());
  const RefineModel start_model = model_from_project(start, extracted, box);
  Project project = resume_from > 0 ? io::read_project((out / iter_name(resume_from) / "project.h5").string()) : start;
  RefineModel model = model_from_project(project, boxes, box);
  // Regions by the particles' start positions: the same assignment in every iteration and on resume.
  model.regions = assign_tilt_regions(start_model, opts.tilt.regions);
  if (resume_from > 0) read_projection_corrections((out / iter_name(resume_from) / "projections.csv").string(), model);
  if (resume_from > 0 && model.regions.enabled()) {
    const fs::path p = out / iter_name(resume_from) / "region_shifts.csv";
    read_region_shifts_csv(p.string(), read_text(p), model);
  }
  if (resume_from > 0) {
    // The project keeps each tilt's defocus with its refined offset added; the tilt search bounds the
    // offset around the start, so split it back off the start's defocus as the uninterrupted run has it.
    for (std::size_t s = 0; s < model.tilts.size(); ++s)
      for (std::size_t t = 0; t < model.tilts[s].size(); ++t) {
        auto& rt = model.tilts[s][t];
        const auto& st = start_model.tilts[s][t];
        rt.defocus_offset_A = rt.defocus_u_A - st.defocus_u_A;
        rt.defocus_u_A = st.defocus_u_A;
        rt.defocus_v_A = st.defocus_v_A;
      }
  }
  const double px = model.optics.pixel_size_A;
  {
    int halves[2] = {0, 0};
    for (const auto& p : model.particles) ++halves[p.half == 2 ? 1 : 0];
    if (halves[0] == 0 || halves[1] == 0)
      throw IoError(opts.project_path, "/particles/half", std::to_string(halves[0]) + " / " + std::to_string(halves[1]),
                    "particles in both half-sets");
  }

  // ---- this rank's projections, in the partition reconstruction uses ----
  std::vector<int> particle_of(model.projections.size()), half_of(model.particles.size());
  std::vector<int> section_of(model.projections.size());
  for (std::size_t j = 0; j < model.projections.size(); ++j) {
    particle_of[j] = model.projections[j].particle;
    section_of[j] = boxes[j].section;
  }
  for (std::size_t i = 0; i < model.particles.size(); ++i) half_of[i] = model.particles[i].half;
  auto mine = parallel::projections_of_rank(particle_of, int(model.particles.size()), ctx.rank(), ctx.size(), half_of);
  std::sort(mine.begin(), mine.end());
  std::unique_ptr<LocalImages> images;
  const auto t_images = std::chrono::steady_clock::now();
  parallel::run_guarded_collective(ctx, [&] {
    if (opts.on_the_fly_extraction) {
      images = LocalImages::cut_from_tilt_series(start, project_dir.string(), boxes, mine, box);
    } else {
      images = std::make_unique<LocalImages>(stack_path.string(), section_of, mine, box);
      // A resumed run's boxes that re-centring had moved: cut again where they were.
      std::vector<std::size_t> moved;
      for (std::size_t j : mine)
        if (boxes[j].centre_A != extracted[j].centre_A) moved.push_back(j);
      if (!moved.empty()) images->recut(start, project_dir.string(), boxes, moved);
    }
  });
  {
    // The slowest rank's time to hold its images, and the bytes all ranks read for them: what
    // either extraction mode costs every run (docs/performance.md).
    const std::size_t n = static_cast<std::size_t>(ctx.size());
    std::vector<double> t(2 * n, 0.0);
    t[ctx.rank()] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_images).count();
    t[n + ctx.rank()] = images->bytes_read();
    ctx.sum_collective(t);
    double bytes = 0;
    for (std::size_t r = 0; r < n; ++r) bytes += t[n + r];
    say("cspt refine: images of " + std::to_string(model.projections.size()) + " projections held (" +
        (opts.on_the_fly_extraction ? "cut on the fly from the raw tilt series" : "read from " + stack_path.string()) +
        ") in " + fmt("%.2f s", *std::max_element(t.begin(), t.begin() + std::ptrdiff_t(n))) + " (slowest rank), " +
        fmt("%.1f MB", bytes / 1e6) + " read by all ranks");
  }
  std::vector<std::size_t> my_particles;
  for (std::size_t j : mine)
    if (my_particles.empty() || my_particles.back() != std::size_t(particle_of[j])) my_particles.push_back(std::size_t(particle_of[j]));
  std::vector<int> image_of(model.projections.size(), -1);
  for (std::size_t j : mine) image_of[j] = images->local_index(j);

  const double mask_radius = opts.mask_radius_A > 0 ? opts.mask_radius_A : default_mask_radius_A(box, px, opts.mask_edge_A);
  const Volume mask = opts.mask_path.empty() ? soft_sphere_mask(box, px, mask_radius, opts.mask_edge_A)
                                             : read_mask(opts.mask_path, box, px);

  // ---- references ----
  Volume half[2];
  std::vector<double> fsc;
  double resolution = opts.initial_resolution_A;
  if (resume_from > 0) {
    const fs::path dir = out / iter_name(resume_from);
    half[0] = io::read_mrc_volume((dir / "half1.mrc").string());
    half[1] = io::read_mrc_volume((dir / "half2.mrc").string());
    const auto g = gold_standard_fsc(half[0], half[1], mask, opts.seed, opts.threads);
    fsc = g.corrected;
    resolution = g.resolution_A;
    say("cspt refine: resuming after " + iter_name(resume_from) + " (resolution " + fmt("%.2f", resolution) + " A)");
  } else {
    Volume initial = io::read_mrc_volume(opts.reference_path);
    if (!initial.is_cubic() || initial.nx() != box) {
      throw IoError(opts.reference_path, "box", std::to_string(initial.nx()) + "x" + std::to_string(initial.ny()) + "x" +
                    std::to_string(initial.nz()), "a cubic map of the particle box " + std::to_string(box));
    }
    const double rpx = initial.pixel_size_A();
    if (rpx > 0 && std::abs(rpx - 1.0) > 1e-6 && std::abs(rpx - px) > 0.01 * px) {
      throw IoError(opts.reference_path, "pixel size", fmt("%.4f A", rpx), "the project's " + fmt("%.4f A", px));
    }
    initial.set_pixel_size_A(px);
    half[0] = half[1] = initial;
  }
  Volume truth_map;
  if (ctx.is_root() && project.truth && !project.truth->map_path.empty()) {
    const fs::path p = project_dir / project.truth->map_path;
    if (fs::exists(p)) {
      Volume t = io::read_mrc_volume(p.string());
      if (t.is_cubic() && t.nx() == box) truth_map = std::move(t);
    }
  }

  // What the memory statement of every iteration shares: the busiest rank's projections and the
  // reconstruction's shape.
  RefineShape memory_shape;
  {
    std::vector<double> counts(static_cast<std::size_t>(ctx.size()), 0.0);
    counts[ctx.rank()] = double(mine.size());
    ctx.sum_collective(counts);
    memory_shape.box = box;
    memory_shape.pad = opts.pad;
    memory_shape.my_projections = std::size_t(*std::max_element(counts.begin(), counts.end()));
    ReconstructOptions ropts;
    ropts.symmetry = opts.symmetry;
    ropts.pad = opts.pad;
    ropts.threads = opts.threads;
    memory_shape.reconstruction = reconstruct_shape(model.projections.size(), box, px, ropts, ctx.size());
  }

  RefineOutcome outcome;
  outcome.iterations_done = resume_from;
  outcome.resolution_A = resolution;
  double previous_resolution = resume_from > 0 ? resolution : 1e9;

  for (int it = resume_from + 1; it <= opts.iterations; ++it) {
    const auto t_iter = std::chrono::steady_clock::now();
    auto t_stage = t_iter;
    json summary;
    const auto lap = [&](const char* stage) {
      const auto now = std::chrono::steady_clock::now();
      summary["stage_s"][stage] = std::chrono::duration<double>(now - t_stage).count();
      t_stage = now;
    };
    summary["iteration"] = it;
    // 0. Boxes re-centred where the refined geometry now puts the particles.
    if (opts.recentre_boxes && it >= 2) {
      const std::vector<std::size_t> moved = recentre_boxes(model, boxes, start, kRecentreMinMovePx);
      std::vector<std::size_t> mine_moved;
      for (std::size_t j : moved)
        if (images->local_index(j) >= 0) mine_moved.push_back(j);
      parallel::run_guarded_collective(ctx, [&] { images->recut(start, project_dir.string(), boxes, mine_moved); });
      summary["boxes_recentred"] = moved.size();
      if (!moved.empty())
        say("cspt refine: " + iter_name(it) + ": " + std::to_string(moved.size()) + " of " + std::to_string(boxes.size()) +
            " boxes re-centred on their particles (cut again from the raw tilt series)");
      lap("recentre");
    }
    // 1. References for this iteration's band.
    const double band_high_A = std::max(resolution / opts.resolution_factor, 2.0 * px);
    const bool first = it == 1;
    // Iteration 1 starts both halves from the same map: filter it once.
    const FourierBand band = make_fourier_band(box, px, opts.low_resolution_A, band_high_A);
    {
      // The iteration's memory, stated and checked before its work.
      RefineShape shape = memory_shape;
      shape.band_samples = band.size();
      shape.band_radius_px = band.shell_hi;
      const MemoryEstimate need = refine_memory_per_rank(shape);
      double budget = opts.memory_limit_bytes > 0 ? opts.memory_limit_bytes : 1e300;
      // What this rank may reach: its share of the node's free memory on top of what it holds.
      const double free = node_available_memory_bytes();
      if (free > 0) budget = std::min(budget, free / ctx.ranks_on_node() + peak_resident_bytes());
      summary["predicted_peak_memory_per_rank_GB"] = need.peak_bytes() / 1e9;
      say("cspt refine: " + iter_name(it) + ": peak memory per rank about " + need.describe());
      if (ctx.any_collective(need.peak_bytes() > budget)) {
        throw ConfigError(opts.memory_limit_bytes > 0 ? "refine.max-memory-gb" : "node memory", "peak memory per rank",
                          format_gigabytes(need.peak_bytes()) + " in " + iter_name(it) + " (box " + std::to_string(box) +
                              ", " + std::to_string(shape.my_projections) + " projections on the busiest rank)",
                          "at most " + format_gigabytes(budget) + "; use more ranks or nodes, or fewer threads");
      }
    }
    const Volume ref1 = filtered_reference(half[0], first ? std::vector<double>{} : fsc, band_high_A, mask, opts.threads);
    const Volume ref2 = first ? ref1 : filtered_reference(half[1], fsc, band_high_A, mask, opts.threads);
    // Only the band is ever sampled: a projector cropped to it stays in cache.
    const Projector proj1(ref1, 2, opts.threads, band.shell_hi + 1.0), proj2(ref2, 2, opts.threads, band.shell_hi + 1.0);
    RankScoring scoring(model, *images, band, &proj1, &proj2, mask_radius, opts.mask_edge_A, opts.threads);
    summary["band_A"] = {opts.low_resolution_A, band_high_A};
    summary["band_samples"] = band.size();
    lap("references");
    say("cspt refine: " + iter_name(it) + ": scoring " + fmt("%.0f", double(band.size())) + " Fourier samples per projection from " +
        fmt("%.0f", opts.low_resolution_A) + " to " + fmt("%.2f A", band_high_A));

    // 2. Tilt geometry (constrained mode only).
    if (opts.constrained && opts.refine_tilts) {
      TiltSearchOptions topts = opts.tilt;
      topts.threads = opts.threads;
      if (topts.shift && it <= topts.shift_scan_iterations) {
        const TiltShiftScanReport scan = scan_tilt_shifts_collective(ctx, model, start_model, scoring, topts);
        summary["tilt_shift_scan"] = {{"tilts_scanned", scan.tilts_scanned}, {"tilts_moved", scan.tilts_moved},
                                      {"median_move_A", scan.median_move_A}, {"largest_move_A", scan.largest_move_A},
                                      {"mean_tilt_score_before", scan.mean_score_before},
                                      {"mean_tilt_score_after", scan.mean_score_after}};
        say("cspt refine: " + iter_name(it) + ": tilt shifts scanned over +-" + fmt("%.0f A", topts.shift_range_A) + ": " +
            std::to_string(scan.tilts_moved) + " of " + std::to_string(scan.tilts_scanned) + " tilts moved (median " +
            fmt("%.1f A", scan.median_move_A) + ", largest " + fmt("%.1f A", scan.largest_move_A) + "), mean tilt score " +
            fmt("%.5f", scan.mean_score_before) + " -> " + fmt("%.5f", scan.mean_score_after));
        lap("tilt shift scan");
      }
      const TiltSearchReport rep = refine_tilts_collective(ctx, model, start_model, scoring, topts);
      scoring.refresh_ctf(model, opts.threads);
      summary["tilt_refinement"] = {{"mean_score_before", rep.mean_score_before},
                                    {"mean_score_after", rep.mean_score_after}};
      if (model.regions.enabled()) summary["tilt_regions"] = region_summary(model);
      say("cspt refine: " + iter_name(it) + ": tilt geometry, mean score " + fmt("%.5f", rep.mean_score_before) + " -> " +
          fmt("%.5f", rep.mean_score_after));
      lap("tilts");
    }

    // 3. Particles (or projections, unconstrained).
    std::vector<double> rotation_change;
    if (opts.refine_particles) {
      ParticleSearchOptions popts = opts.particle;
      if (it > opts.grid_iterations) popts.grid_range_deg = 0.0;
      const bool global = opts.global_search && it == 1;
      long long evaluations = 0;
      if (opts.constrained) {
        const std::size_t n_par = model.particles.size();
        std::vector<double> buf(n_par * 13, 0.0);
        parallel::run_guarded_collective(ctx, [&] {
          std::vector<ParticleFit> fits(my_particles.size());
          ProgressOptions po;
          po.enabled = ctx.is_root() && bool(log);
          ProgressBar bar("cspt refine: " + iter_name(it) + ": particles" + (ctx.size() > 1 ? " (rank 0's share)" : ""),
                          std::int64_t(my_particles.size()), "particles", po);
#pragma omp parallel num_threads(opts.threads) reduction(+ : evaluations)
          {
            ScoringScratch scratch;
#pragma omp for schedule(dynamic, 1)
            for (std::size_t k = 0; k < my_particles.size(); ++k) {
              fits[k] = global ? search_particle_global(model, my_particles[k], scoring, opts.global, popts, scratch)
                               : refine_particle_local(model, my_particles[k], scoring, popts, scratch);
              evaluations += fits[k].evaluations;
              bar.advance();
            }
          }
          bar.finish();
          for (std::size_t k = 0; k < my_particles.size(); ++k) {
            double* b = &buf[my_particles[k] * 13];
            for (int r = 0; r < 3; ++r)
              for (int c = 0; c < 3; ++c) b[r * 3 + c] = fits[k].rotation(r, c);
            for (int c = 0; c < 3; ++c) b[9 + c] = fits[k].position_A[c];
            b[12] = fits[k].score;
          }
        });
        ctx.sum_collective(buf);
        for (std::size_t i = 0; i < n_par; ++i) {
          const double* b = &buf[i * 13];
          Eigen::Matrix3d r;
          for (int a = 0; a < 3; ++a)
            for (int c = 0; c < 3; ++c) r(a, c) = b[a * 3 + c];
          auto& p = model.particles[i];
          rotation_change.push_back(rotation_angle_deg(r, p.rotation));
          p.rotation = r;
          p.position_A = {b[9], b[10], b[11]};
          p.score = b[12];
        }
        // Gauge: with the tilt shifts free, a common height of a series' particles is undetermined;
        // keep each series' mean height where it started, moving the tilts so no pose changes.
        if (opts.refine_tilts) {
          const std::size_t n_series = model.tilts.size();
          std::vector<double> dz(n_series, 0.0), cnt(n_series, 0.0);
          for (std::size_t i = 0; i < n_par; ++i) {
            dz[std::size_t(model.particles[i].series)] += model.particles[i].position_A.z() - start_model.particles[i].position_A.z();
            cnt[std::size_t(model.particles[i].series)] += 1;
          }
          for (std::size_t s = 0; s < n_series; ++s) {
            if (cnt[s] == 0) continue;
            const double m = dz[s] / cnt[s];
            for (auto& p : model.particles)
              if (std::size_t(p.series) == s) p.position_A.z() -= m;
            for (auto& t : model.tilts[s]) {
              const Eigen::Vector3d e = tilt_rotation(t.geometry) * Eigen::Vector3d(0, 0, m);
              t.geometry.shift_x_A += e.x();
              t.geometry.shift_y_A += e.y();
              t.defocus_offset_A -= model.handedness[s] * e.z();
            }
          }
        }
      } else {
        const std::size_t n_proj = model.projections.size();
        std::vector<double> buf(n_proj * 11, 0.0);
        parallel::run_guarded_collective(ctx, [&] {
          std::vector<ProjectionFit> fits(mine.size());
#pragma omp parallel num_threads(opts.threads) reduction(+ : evaluations)
          {
            ScoringScratch scratch;
#pragma omp for schedule(dynamic, 8)
            for (std::size_t k = 0; k < mine.size(); ++k) {
              fits[k] = refine_projection_unconstrained(model, mine[k], scoring, popts, scratch);
              evaluations += fits[k].evaluations;
            }
          }
          for (std::size_t k = 0; k < mine.size(); ++k) {
            double* b = &buf[mine[k] * 11];
            for (int r = 0; r < 3; ++r)
              for (int c = 0; c < 3; ++c) b[r * 3 + c] = fits[k].extra_rotation(r, c);
            b[9] = fits[k].extra_shift_A.x();
            b[10] = fits[k].extra_shift_A.y();
          }
        });
        ctx.sum_collective(buf);
        for (std::size_t j = 0; j < n_proj; ++j) {
          const double* b = &buf[j * 11];
          Eigen::Matrix3d r;
          for (int a = 0; a < 3; ++a)
            for (int c = 0; c < 3; ++c) r(a, c) = b[a * 3 + c];
          rotation_change.push_back(rotation_angle_deg(r, model.projections[j].extra_rotation));
          model.projections[j].extra_rotation = r;
          model.projections[j].extra_shift_A = {b[9], b[10]};
        }
      }
      std::vector<double> ev{double(evaluations)};
      ctx.sum_collective(ev);
      summary["particle_refinement"] = {{"score_evaluations", ev[0]}, {"median_rotation_change_deg", median_of(rotation_change)}};
      say("cspt refine: " + iter_name(it) + ": " + (opts.constrained ? "particles" : "projections (unconstrained)") +
          " refined, median rotation change " + fmt("%.3f deg", median_of(rotation_change)) + ", " + fmt("%.0f", ev[0]) +
          " score evaluations");
      lap("particles");
    }

    // 4. Final per-projection scores -> per-exposure means -> exposure weights.
    int n_orders = 0;
    for (const auto& series : model.tilts)
      for (const auto& t : series) n_orders = std::max(n_orders, t.acquisition_order + 1);
    // Per projection its score; per exposure and shell the sums of its correlation with the
    // references (num, xx, mm), for the fitted B-factor weighting.
    const int n_band_shells = band.shell_hi - band.shell_lo + 1;
    const std::size_t stride = std::size_t(n_band_shells) * 3;
    std::vector<double> scores(model.projections.size(), 0.0);
    std::vector<double> shell_sums(std::size_t(n_orders) * stride, 0.0);
    parallel::run_guarded_collective(ctx, [&] {
      std::vector<std::vector<double>> per_thread(std::size_t(opts.threads), std::vector<double>(shell_sums.size(), 0.0));
#pragma omp parallel num_threads(opts.threads)
      {
        ScoringScratch scratch;
        auto& mine_sums = per_thread[std::size_t(omp_get_thread_num())];
#pragma omp for schedule(static)
        for (std::size_t k = 0; k < mine.size(); ++k) {
          const auto& pj = model.projections[mine[k]];
          const int o = model.tilts[std::size_t(pj.series)][std::size_t(pj.tilt)].acquisition_order;
          double* base = &mine_sums[std::size_t(o) * stride];
          scores[mine[k]] = scoring.score_by_shell(mine[k], projection_pose(model, pj), scratch, base,
                                                   base + n_band_shells, base + 2 * n_band_shells);
        }
      }
      for (const auto& t : per_thread)
        for (std::size_t i = 0; i < shell_sums.size(); ++i) shell_sums[i] += t[i];
    });
    ctx.sum_collective(scores);
    ctx.sum_collective(shell_sums);
    for (std::size_t j = 0; j < scores.size(); ++j) model.projections[j].score = scores[j];
    for (std::size_t i = 0; i < model.particles.size(); ++i) {
      double s = 0;
      for (std::size_t j : model.projections_of_particle[i]) s += scores[j];
      model.particles[i].score = model.projections_of_particle[i].empty() ? 0.0 : s / double(model.projections_of_particle[i].size());
    }
    std::vector<ExposureInfo> exposures(static_cast<std::size_t>(n_orders));
    std::vector<double> order_tilt(std::size_t(n_orders), 0.0), order_series(std::size_t(n_orders), 0.0);
    for (const auto& series : model.tilts)
      for (const auto& t : series) {
        auto& e = exposures[std::size_t(t.acquisition_order)];
        const double k = order_series[std::size_t(t.acquisition_order)]++;
        e.prior_dose_e_per_A2 = (e.prior_dose_e_per_A2 * k + t.prior_dose_e_per_A2) / (k + 1);
        e.dose_e_per_A2 = (e.dose_e_per_A2 * k + t.dose_e_per_A2) / (k + 1);
        order_tilt[std::size_t(t.acquisition_order)] = (order_tilt[std::size_t(t.acquisition_order)] * k + t.geometry.tilt_deg) / (k + 1);
      }
    std::vector<double> order_sum(std::size_t(n_orders), 0.0);
    for (std::size_t j = 0; j < scores.size(); ++j) {
      const auto& pj = model.projections[j];
      const int o = model.tilts[std::size_t(pj.series)][std::size_t(pj.tilt)].acquisition_order;
      order_sum[std::size_t(o)] += scores[j];
      ++exposures[std::size_t(o)].n_projections;
    }
    for (std::size_t o = 0; o < exposures.size(); ++o)
      if (exposures[o].n_projections) exposures[o].mean_score = order_sum[o] / double(exposures[o].n_projections);
    {
      std::vector<double> samples_per_shell(std::size_t(n_band_shells), 0.0);
      for (int s : band.shell) samples_per_shell[std::size_t(s - band.shell_lo)] += 1;
      for (std::size_t o = 0; o < exposures.size(); ++o) {
        auto& e = exposures[o];
        if (!e.n_projections) continue;
        e.shell_correlation.assign(std::size_t(band.shell_hi) + 1, std::numeric_limits<double>::quiet_NaN());
        e.shell_samples.assign(std::size_t(band.shell_hi) + 1, 0.0);
        const double* base = &shell_sums[o * stride];
        for (int i = 0; i < n_band_shells; ++i) {
          const double num = base[i], xx = base[n_band_shells + i], mm = base[2 * n_band_shells + i];
          if (xx > 0 && mm > 0) e.shell_correlation[std::size_t(band.shell_lo + i)] = num / std::sqrt(xx * mm);
          e.shell_samples[std::size_t(band.shell_lo + i)] = samples_per_shell[std::size_t(i)] * double(e.n_projections);
        }
      }
    }
    lap("scores");
    {
      std::vector<double> ev{double(scoring.evaluations())};
      ctx.sum_collective(ev);
      summary["projection_score_evaluations"] = ev[0];
    }
    ExposureWeightOptions wopts = opts.weights;
    wopts.voltage_kV = model.optics.voltage_kV;
    const auto weights = exposure_weight_table(exposures, box, px, wopts);
    const auto fits = fit_exposure_decay(exposures, box, px, wopts);
    const std::string fit_column = wopts.method == ExposureWeighting::fitted_exposure ? "fitted_exposure_e_per_A2"
                                   : wopts.method == ExposureWeighting::bfactor       ? "fitted_bfactor_A2"
                                                                                       : "";

    // 5. Reconstruction with the exposure weights.
    ParticleSet set = particle_set_from_model(model, image_of);
    set.frequency_weights = weights;
    ReconstructOptions ropts;
    ropts.symmetry = opts.symmetry;
    ropts.pad = opts.pad;
    ropts.threads = opts.threads;
    ropts.seed = opts.seed;
    const auto result = reconstruct_collective(ctx, set, *images, ropts, mask);
    std::vector<double> shared;
    if (ctx.is_root()) {
      shared = result.fsc.corrected;
      shared.push_back(result.fsc.resolution_A);
    }
    ctx.broadcast_collective(shared);
    const double new_resolution = shared.back();
    shared.pop_back();
    fsc = shared;
    half[0] = result.half1;
    half[1] = result.half2;
    broadcast_volume(ctx, half[0], box, px);
    broadcast_volume(ctx, half[1], box, px);
    const double median_change = median_of(rotation_change);
    // The state goes on as a resumed run would read it back: orientations through their Euler
    // angles (the project file's form), so that stopping and resuming changes nothing.
    for (auto& p : model.particles) p.rotation = matrix_from_euler_zyz(euler_zyz_from_matrix(p.rotation));
    lap("reconstruction");
    {
      std::vector<double> peaks(static_cast<std::size_t>(ctx.size()), 0.0);
      peaks[ctx.rank()] = peak_resident_bytes();
      ctx.sum_collective(peaks);
      summary["measured_peak_memory_per_rank_GB"] = *std::max_element(peaks.begin(), peaks.end()) / 1e9;
    }

    // 6. The iteration's files (root), then the project file.
    parallel::run_guarded_collective(ctx, [&] {
      if (!ctx.is_root()) return;
      const fs::path dir = out / iter_name(it);
      const fs::path tmp = out / (std::string(".") + iter_name(it) + std::string(".part"));
      fs::remove_all(tmp);
      fs::create_directories(tmp);
      // A write that fails (a full disk) takes the partial folder with it: it would only hold space.
      struct RemoveUnlessPublished {
        fs::path tmp;
        ~RemoveUnlessPublished() {
          std::error_code ec;
          fs::remove_all(tmp, ec);
        }
      } cleanup{tmp};
      io::write_mrc_volume((tmp / "half1.mrc").string(), result.half1);
      io::write_mrc_volume((tmp / "half2.mrc").string(), result.half2);
      io::write_mrc_volume((tmp / "map.mrc").string(), result.map);
      write_text(tmp / "fsc.csv", fsc_table_csv(result.fsc, box, px));
      if (opts.recentre_boxes) write_text(tmp / "extraction.csv", extraction_csv(boxes));
      write_text(tmp / "weights.csv", shell_table_csv(weights));
      write_text(tmp / "contributions.csv", shell_table_csv(cumulative_contribution(weights)));
      write_text(tmp / "tilt_scores.csv", exposure_scores_csv(exposures, order_tilt, fits, fit_column));
      write_text(tmp / "projections.csv", projections_csv(model));
      write_text(tmp / "tilts.csv", tilts_csv(model, project));
      if (model.regions.enabled()) write_text(tmp / "region_shifts.csv", region_shifts_csv(model));
      write_model_to_project(model, project);
      io::write_project((tmp / "project.h5").string(), project);

      summary["resolution_A"] = result.fsc.resolution_A;
      summary["resolution_unmasked_A"] = result.fsc.resolution_unmasked_A;
      summary["fsc_threshold"] = 0.143;
      double mean_score = 0;
      for (double s : scores) mean_score += s;
      summary["mean_score"] = scores.empty() ? 0.0 : mean_score / double(scores.size());
      summary["exposure_weighting"] = to_string(opts.weights.method);
      summary["constrained"] = opts.constrained;
      summary["extraction"] = opts.on_the_fly_extraction ? "on-the-fly" : "stored";
      summary["n_particles"] = model.particles.size();
      summary["n_projections"] = model.projections.size();
      summary["ranks"] = ctx.size();
      summary["threads"] = opts.threads;
      if (project.truth) {
        const auto tm = truth_metrics(model, project, opts.symmetry, opts.constrained);
        const json tj = truth_json(tm);
        for (auto kv = tj.begin(); kv != tj.end(); ++kv) summary[kv.key()] = kv.value();
        if (truth_map.size()) {
          Volume a = result.map, b = truth_map;
          apply_mask(a, mask);
          apply_mask(b, mask);
          const auto f = fourier_shell_correlation(a, b, opts.threads);
          summary["resolution_vs_truth_A"] = resolution_at_threshold_A(f, 0.5, box, px);
        }
      }
      summary["wall_s"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_iter).count();
      write_text(tmp / "summary.json", summary.dump(2) + "\n");
      fs::remove_all(dir);
      fs::rename(tmp, dir);
      io::write_file_atomically(opts.project_path, read_text(dir / "project.h5"));
      write_text(out / "summary.json", summary.dump(2) + "\n");
      std::string line = "cspt refine: " + iter_name(it) + ": resolution " + fmt("%.2f A", result.fsc.resolution_A) +
                         ", mean score " + fmt("%.5f", summary["mean_score"].get<double>());
      if (summary.contains("median_angular_error_deg")) {
        line += "; vs truth: angle " + fmt("%.2f deg", summary["median_angular_error_deg"].get<double>()) + ", shift " +
                fmt("%.2f A", summary["median_shift_error_A"].get<double>()) + ", tilt " +
                fmt("%.3f deg", summary["tilt_angle_error_deg"].get<double>());
        if (summary.contains("resolution_vs_truth_A"))
          line += ", FSC 0.5 vs truth " + fmt("%.2f A", summary["resolution_vs_truth_A"].get<double>());
      }
      line += " (" + fmt("%.1f s", summary["wall_s"].get<double>()) + ")";
      say(line);
      outcome.summary_path = (out / "summary.json").string();
    });
    outcome.iterations_done = it;
    outcome.resolution_A = new_resolution;
    const bool converged = opts.converge_angle_deg > 0 && new_resolution >= 0.99 * previous_resolution &&
                           median_change < opts.converge_angle_deg;
    previous_resolution = std::min(previous_resolution, new_resolution);
    resolution = new_resolution;
    if (converged) {
      say("cspt refine: converged after " + iter_name(it));
      break;
    }
    if (opts.stop_check && it < opts.iterations) {
      const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_iter).count();
      if (ctx.any_collective(opts.stop_check(wall_s))) {
        say("cspt refine: stopped cleanly after " + iter_name(it) + "; run again with the same options to resume");
        outcome.stopped = true;
        break;
      }
    }
  }
  return outcome;
}

}  // namespace cspt
