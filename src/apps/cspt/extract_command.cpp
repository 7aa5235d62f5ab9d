// cspt extract: particle projections cut from the raw tilt series of a project, written as a RELION
// 3.1 particle STAR file and stack (RELION's contrast and CTF sign, applied only here at export),
// or, on the fly, as a STAR file alone naming where each box is cut (cspt reconstruct cuts it).
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "apps/cspt/cli.hpp"
#include "apps/cspt/commands.hpp"
#include "apps/cspt/output_dir.hpp"
#include "apps/cspt/schema_options.hpp"
#include "cspt/io/atomic_file.hpp"
#include "cspt/io/project_file.hpp"
#include "cspt/io/relion_particles.hpp"
#include "cspt/parallel/guarded.hpp"
#include "cspt/recon/extract.hpp"
#include "cspt/util/error.hpp"

namespace cspt::app {

namespace {

void extract_on_root(const std::string& project_path, const std::string& out_dir, const std::string& geometry, int box,
                     int bin, bool on_the_fly, const std::string& defocus, double hand,
                     const std::string& on_unreadable, std::chrono::steady_clock::time_point start) {
  if (hand != 0.0 && std::abs(hand) != 1.0)
    throw ConfigError("command line", "--defocus-handedness", std::to_string(hand), "+1, -1 or 0");
  Project p = io::read_project(project_path);
  const std::string project_dir = std::filesystem::path(project_path).parent_path().string();
  const GeometrySource source = geometry == "truth" ? GeometrySource::truth : GeometrySource::project;
  if (source == GeometrySource::truth && !p.truth)
    throw IoError(project_path, "/truth", "missing", "a simulated project for --geometry truth");
  auto& records = source == GeometrySource::truth ? p.truth->projections : p.projections;
  if (defocus == "tilts" || (defocus == "auto" && records.empty())) records = projections_from_tilt_ctf(p, source, hand);
  OutputDir out(out_dir);
  // On the fly: no stack, only where each box is cut (no pixel read, only the stacks' headers).
  const std::string stack = on_the_fly ? std::string() : out.staged("particles.mrcs");
  std::size_t skipped = 0;
  std::vector<SkippedSeries> left_out;
  const auto policy = on_unreadable == "skip" ? UnreadableSeries::skip : UnreadableSeries::stop;
  ExtractOptions eo;
  eo.box_px = box;
  eo.bin = bin;
  eo.geometry = source;
  eo.relion_contrast = true;
  eo.on_unreadable = policy;
  ParticleSet set = extract_particles(p, project_dir.empty() ? "." : project_dir, eo, stack, &skipped, &left_out);
  for (const auto& l : left_out)
    std::fprintf(stderr, "cspt extract: warning: tilt series %s skipped (extract.on-unreadable-series = skip): %s\n",
                 l.name.c_str(), l.reason.c_str());
  // As RELION resolves image names from the working directory, the STAR names the stack by the
  // output folder as given (cspt also tries the STAR file's own folder).
  if (on_the_fly) {
    // The raw stacks are named absolute: the STAR file stays readable from any working directory.
    set.stack_paths.clear();
    for (auto& path : set.raw_stack_paths) path = std::filesystem::absolute(path).lexically_normal().string();
  } else {
    set.stack_paths = {(std::filesystem::path(out_dir) / "particles.mrcs").string()};
    set.raw_cuts.clear();
    set.raw_stack_paths.clear();
  }
  set.source = project_path;
  io::write_relion_particles(out.staged("particles.star"), set);
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  nlohmann::ordered_json j;
  j["command"] = "extract";
  j["project"] = project_path;
  j["geometry"] = geometry;
  j["defocus"] = defocus;
  j["box"] = box;
  j["bin"] = bin;
  j["on_the_fly"] = on_the_fly;
  j["outputs"] = on_the_fly ? nlohmann::ordered_json{"particles.star", "summary.json"}
                            : nlohmann::ordered_json{"particles.star", "particles.mrcs", "summary.json"};
  j["raw_pixel_size_A"] = p.optics.pixel_size_A;
  j["pixel_size_A"] = set.pixel_size_A;
  j["n_particles"] = set.n_particles;
  j["n_projections"] = set.projections.size();
  j["n_projections_outside_image"] = skipped;
  j["on_unreadable_series"] = on_unreadable;
  j["skipped_series"] = nlohmann::ordered_json::array();
  for (const auto& l : left_out)
    j["skipped_series"].push_back({{"name", l.name}, {"stack", l.stack_path}, {"reason", l.reason}});
  j["wall_s"] = wall_s;
  io::write_file_atomically(out.staged("summary.json"), j.dump(2) + "\n");
  out.commit();
  std::printf("cspt extract: %zu projections of %d particles (box %d, %.4g A/px; %zu boxes outside their image left out%s) in "
              "%s/particles.star%s (%.1f s)\n",
              set.projections.size(), set.n_particles, box, set.pixel_size_A, skipped,
              left_out.empty() ? "" : ("; " + std::to_string(left_out.size()) + " unreadable tilt series skipped").c_str(),
              out_dir.c_str(), on_the_fly ? " (on the fly: no stack, cut from the raw tilt series when read)" : "", wall_s);
}

}  // namespace

int run_extract(parallel::Context& ctx, std::vector<std::string> raw_args) {
  const auto start = std::chrono::steady_clock::now();
  std::string project_path, out_dir, geometry = "project";
  int box = 0, bin = 1;
  bool on_the_fly = false;
  std::string defocus = "auto", on_unreadable = "stop";
  double hand = 0.0;
  CLI::App cli{"Cut particle projections from the raw tilt series.", "cspt extract"};
  bind_key(cli, "extract", "project", project_path, "-p");
  bind_key(cli, "extract", "out", out_dir, "-o");
  bind_key(cli, "extract", "box", box);
  bind_key(cli, "extract", "bin", bin);
  bind_switch(cli, "extract", "on-the-fly", on_the_fly);
  bind_key(cli, "extract", "geometry", geometry);
  bind_key(cli, "extract", "defocus", defocus);
  bind_key(cli, "extract", "defocus-handedness", hand);
  bind_key(cli, "extract", "on-unreadable-series", on_unreadable);
  if (!parse_with_schema(cli, "extract", raw_args, ctx.is_root())) return 0;
  // Extraction is I/O-bound and one rank does it; the others wait to hear whether it failed, so an
  // error there ends every rank (under `cspt run` they would otherwise wait in the next stage).
  parallel::run_guarded_collective(ctx, [&] {
    if (ctx.is_root()) extract_on_root(project_path, out_dir, geometry, box, bin, on_the_fly, defocus, hand, on_unreadable,
                                        start);
  });
  return 0;
}

}  // namespace cspt::app
