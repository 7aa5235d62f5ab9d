// cspt reconstruct: half-maps, combined map, FSC and resolution from a RELION particle STAR file.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <omp.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "apps/cspt/cli.hpp"
#include "apps/cspt/commands.hpp"
#include "apps/cspt/output_dir.hpp"
#include "apps/cspt/schema_options.hpp"
#include "cspt/core/symmetry.hpp"
#include "cspt/io/atomic_file.hpp"
#include "cspt/io/mrc.hpp"
#include "cspt/io/relion_particles.hpp"
#include "cspt/recon/mask.hpp"
#include "cspt/recon/reconstruct.hpp"
#include "cspt/util/error.hpp"
#include "cspt/util/node_memory.hpp"

namespace cspt::app {
namespace {

struct Settings {
  std::string star, out_dir, mask_path, symmetry = "C1", insertion = "auto";
  int pad = 2, threads = 0;
  double max_resolution_A = 0.0, mask_radius_A = 0.0, mask_edge_A = 6.0, tau = 1e-3, max_memory_gb = 0.0;
  bool no_ctf = false;
  unsigned long long seed = 20140101;
};

void check_pixel_sizes(const ParticleSet& set, const ImageSource& images) {
  const double header = images.header_pixel_size_A();
  // Headers written by tools that do not know the pixel size say 0 or 1; anything else must agree.
  if (header > 0 && std::abs(header - 1.0) > 1e-6 && std::abs(header - set.pixel_size_A) > 0.01 * set.pixel_size_A) {
    throw IoError(set.stack_paths.front(), "pixel size", std::to_string(header) + " A",
                  "the pixel size of " + set.source + " (" + std::to_string(set.pixel_size_A) + " A)");
  }
}

Volume make_mask(const Settings& s, int box, double px) {
  if (s.mask_path.empty()) {
    const double r = s.mask_radius_A > 0 ? s.mask_radius_A : default_mask_radius_A(box, px, s.mask_edge_A);
    return soft_sphere_mask(box, px, r, s.mask_edge_A);
  }
  return read_mask(s.mask_path, box, px);
}

}  // namespace

int run_reconstruct(parallel::Context& ctx, std::vector<std::string> raw_args) {
  const auto start = std::chrono::steady_clock::now();
  Settings s;
  CLI::App cli{"Gold-standard reconstruction: half-maps, map, FSC and resolution.", "cspt reconstruct"};
  const std::string R = "reconstruct";
  bind_key(cli, R, "star", s.star);
  bind_key(cli, R, "out", s.out_dir, "-o");
  bind_key(cli, R, "sym", s.symmetry);
  bind_key(cli, R, "pad", s.pad);
  bind_key(cli, R, "mask", s.mask_path);
  bind_key(cli, R, "mask-radius-A", s.mask_radius_A);
  bind_key(cli, R, "mask-edge-A", s.mask_edge_A);
  bind_key(cli, R, "maxres", s.max_resolution_A);
  bind_key(cli, R, "threads", s.threads);
  bind_key(cli, R, "tau", s.tau);
  bind_key(cli, R, "seed", s.seed);
  bind_switch(cli, R, "no-ctf", s.no_ctf);
  bind_key(cli, R, "insertion", s.insertion);
  bind_key(cli, R, "max-memory-gb", s.max_memory_gb);
  if (!parse_with_schema(cli, R, raw_args, ctx.is_root())) return 0;
  if (s.threads <= 0) s.threads = default_threads();
  const PointGroup group = point_group(s.symmetry);

  ParticleSet set = io::read_relion_particles(s.star);
  auto images = make_image_source(set);  // a stack, or the raw tilt series of an on-the-fly set
  set.box_px = images->box_px();
  check_pixel_sizes(set, *images);
  std::size_t per_half[2] = {0, 0};
  for (const auto& p : set.projections) ++per_half[p.half == 2 ? 1 : 0];
  if (per_half[0] == 0 || per_half[1] == 0) {
    throw IoError(s.star, "rlnRandomSubset", std::to_string(per_half[0]) + " in half 1, " +
                  std::to_string(per_half[1]) + " in half 2", "particles in both half-sets");
  }
  if (s.max_resolution_A > 0 && s.max_resolution_A < 2 * set.pixel_size_A) {
    throw ConfigError("command line", "--maxres", std::to_string(s.max_resolution_A),
                      "at least the Nyquist resolution " + std::to_string(2 * set.pixel_size_A) + " A");
  }
  std::unique_ptr<OutputDir> out;

  ReconstructOptions opts;
  opts.symmetry = group.symbol;
  opts.pad = s.pad;
  opts.max_resolution_A = s.max_resolution_A;
  opts.apply_ctf = !s.no_ctf;
  opts.threads = s.threads;
  opts.half_map_tau = s.tau;
  opts.seed = s.seed;
  opts.insertion = parse_insertion_mode(s.insertion, "--insertion");
  opts.memory_limit_bytes = s.max_memory_gb * 1e9;
  // The memory each rank will need, stated and checked before any work: a run that cannot fit stops
  // here with the numbers, instead of being killed by the kernel an hour in.
  const ReconstructionPlan plan = plan_reconstruction_collective(ctx, set, set.box_px, opts);
  opts.insertion = plan.insertion;
  if (ctx.is_root()) {
    std::fprintf(stderr, "cspt reconstruct: %s insertion, peak memory per rank about %s\n",
                 insertion_mode_name(plan.insertion), plan.memory.describe().c_str());
  }
  if (plan.memory.peak_bytes() > plan.budget_bytes) {
    const bool configured = s.max_memory_gb > 0 && s.max_memory_gb * 1e9 <= plan.budget_bytes + 1;
    throw ConfigError(configured ? "--max-memory-gb" : "node memory", "peak memory per rank",
                      format_gigabytes(plan.memory.peak_bytes()) + " with " + insertion_mode_name(plan.insertion) +
                          " insertion, box " + std::to_string(set.box_px) + ", pad " + std::to_string(s.pad) +
                          ", " + std::to_string(s.threads) + " thread(s), " + std::to_string(ctx.size()) + " rank(s)",
                      "at most " + format_gigabytes(plan.budget_bytes) +
                          (configured ? " (the configured limit)" : " (this node's free memory shared by its " +
                                        std::to_string(ctx.ranks_on_node()) + " rank(s))") +
                          (plan.insertion == InsertionMode::send_to_owners
                               ? "; use more ranks or nodes or a smaller --pad"
                               : "; use more ranks or nodes, fewer threads, --insertion send-to-owners or a smaller --pad"));
  }
  // Only the root makes the mask; each rank keeps its slab of it for the distributed FSC.
  const VolumeSlab mask = scatter_volume_collective(
      ctx, ctx.is_root() ? make_mask(s, set.box_px, set.pixel_size_A) : Volume(), ctx.slab_layout(set.box_px));
  if (ctx.is_root()) out = std::make_unique<OutputDir>(s.out_dir);
  int last_decile = -1;
  opts.progress = [&last_decile, &ctx](std::size_t done, std::size_t total) {
    const int decile = total ? int(10 * done / total) : 10;
    if (decile != last_decile) {
      last_decile = decile;
      std::fprintf(stderr, "cspt reconstruct: inserted %zu/%zu projections on rank 0 of %d\n", done, total, ctx.size());
    }
  };
  if (ctx.is_root()) {
    std::fprintf(stderr, "cspt reconstruct: %zu projections of %d particles, box %d, %.4g A/px, %s, %d rank(s) x %d thread(s)\n",
                 set.projections.size(), set.n_particles, set.box_px, set.pixel_size_A, group.symbol.c_str(),
                 ctx.size(), s.threads);
  }
  const auto result = reconstruct_collective(ctx, set, *images, opts, mask);
  if (!ctx.is_root()) return 0;

  out->write("half1.mrc", [&](const std::string& path) { io::write_mrc_volume(path, result.half1); });
  out->write("half2.mrc", [&](const std::string& path) { io::write_mrc_volume(path, result.half2); });
  out->write("map.mrc", [&](const std::string& path) { io::write_mrc_volume(path, result.map); });
  // Checked whole-file writes: a stream's error would show only at its close, after the check.
  out->write("fsc.csv", [&](const std::string& path) {
    io::write_file_atomically(path, fsc_table_csv(result.fsc, set.box_px, set.pixel_size_A));
  });
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  nlohmann::ordered_json j;
  j["command"] = "reconstruct";
  j["input"] = s.star;
  j["resolution_A"] = result.fsc.resolution_A;
  j["resolution_unmasked_A"] = result.fsc.resolution_unmasked_A;
  j["fsc_threshold"] = 0.143;
  j["randomize_phases_from_shell"] = result.fsc.randomize_from_shell;
  j["n_particles"] = result.n_particles;
  j["n_projections"] = result.n_projections;
  j["n_projections_half1"] = per_half[0];
  j["n_projections_half2"] = per_half[1];
  j["box"] = set.box_px;
  j["pixel_size_A"] = set.pixel_size_A;
  j["symmetry"] = group.symbol;
  j["pad"] = s.pad;
  j["insertion"] = insertion_mode_name(result.insertion);
  j["predicted_peak_memory_per_rank_GB"] = plan.memory.peak_bytes() / 1e9;
  j["peak_memory_root_GB"] = peak_resident_bytes() / 1e9;
  j["ctf"] = !s.no_ctf;
  j["mask"] = s.mask_path.empty() ? "soft sphere" : s.mask_path;
  j["ranks"] = ctx.size();
  j["threads"] = s.threads;
  j["wall_s"] = wall_s;
  for (const auto& [stage, seconds] : result.stage_seconds) j["stage_s"][stage] = seconds;
  j["outputs"] = {"half1.mrc", "half2.mrc", "map.mrc", "fsc.csv", "summary.json"};
  out->write("summary.json", [&](const std::string& path) { io::write_file_atomically(path, j.dump(2) + "\n"); });
  out->commit();
  std::printf("cspt reconstruct: resolution %.2f A (FSC 0.143, masked, phase-randomisation corrected; unmasked %.2f A)\n",
              result.fsc.resolution_A, result.fsc.resolution_unmasked_A);
  std::printf("cspt reconstruct: wrote half1.mrc half2.mrc map.mrc fsc.csv summary.json in %s (%.1f s)\n",
              s.out_dir.c_str(), wall_s);
  return 0;
}

}  // namespace cspt::app
