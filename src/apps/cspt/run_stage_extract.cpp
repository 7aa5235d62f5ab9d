// `cspt run` stage extract: particle projections as a RELION 3.1 particle STAR file and stack(s),
// RUN/extract/particles.star. A job array extracts one tilt series per task (--only extract
// --series-index I, into RUN/extract/parts/<series>); the stage then joins the parts' STAR files.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "apps/cspt/commands.hpp"
#include "apps/cspt/run_parts.hpp"
#include "apps/cspt/run_series_part.hpp"
#include "cspt/io/project_file.hpp"
#include "cspt/io/relion_particles.hpp"
#include "cspt/parallel/guarded.hpp"
#include "cspt/util/error.hpp"

namespace cspt::app {
namespace fs = std::filesystem;

std::string extract_box(const RunSettings& s) {
  for (const char* section : {"extract", "refine"}) {
    const std::string v = config_value(s, section, "box");
    if (!v.empty()) return v;
  }
  return "128";
}

namespace {

std::string input_project(const RunSettings& s) { return (fs::path(s.out) / "ctf" / "project.h5").string(); }

std::vector<std::string> extract_args(const RunSettings& s, const std::string& project, const std::string& out) {
  return {"-c", s.config_path, "-p", project, "-o", out, "--box", extract_box(s)};
}

/// Join the parts' particle sets into one STAR file naming every part's stack (relative to the
/// STAR file's folder), or, extracted on the fly, every part's raw cuts.
void join_parts(const RunSettings& s, const Project& p, const std::string& star) {
  ParticleSet all;
  const fs::path folder = fs::path(star).parent_path();
  for (const auto& ts : p.tilt_series) {
    const fs::path part_star = fs::path(part_dir(s, "extract", ts.name)) / "particles" / "particles.star";
    ParticleSet part = io::read_relion_particles(part_star.string());
    if (all.box_px == 0) {
      all.box_px = part.box_px;
      all.pixel_size_A = part.pixel_size_A;
      all.relion_ctf_sign = part.relion_ctf_sign;
      all.bin = part.bin;
    }
    const int file_offset = int(all.stack_paths.size());
    for (const auto& stack : part.stack_paths)
      all.stack_paths.push_back(fs::relative(fs::absolute(stack), fs::absolute(folder)).generic_string());
    // On-the-fly parts (extract.on-the-fly) name the raw stacks instead, absolute as written.
    const int raw_offset = int(all.raw_stack_paths.size());
    for (const auto& stack : part.raw_stack_paths) all.raw_stack_paths.push_back(stack);
    for (auto cut : part.raw_cuts) {
      cut.stack += raw_offset;
      all.raw_cuts.push_back(cut);
    }
    for (auto pr : part.projections) {
      pr.image.file += file_offset;
      pr.particle += all.n_particles;
      all.projections.push_back(pr);
    }
    all.n_particles += part.n_particles;
  }
  all.source = star;
  io::write_relion_particles(star, all);
  nlohmann::ordered_json j{{"command", "extract"}, {"parts", p.tilt_series.size()}, {"box", all.box_px},
                           {"pixel_size_A", all.pixel_size_A}, {"n_particles", all.n_particles},
                           {"n_projections", all.projections.size()}};
  std::ofstream((folder / "summary.json").string()) << j.dump(2) << "\n";
  std::fprintf(stderr, "cspt run: extract: joined %zu projections of %d particles from %zu tilt series into %s\n",
               all.projections.size(), all.n_particles, p.tilt_series.size(), star.c_str());
}

}  // namespace

int run_extract_part(parallel::Context& ctx, const RunSettings& s, const std::string& digest, int series) {
  return run_series_part(ctx, s, "extract", input_project(s), series, digest, "particles/particles.star",
                         [&](const std::string& dir) {
                           return run_extract(ctx, extract_args(s, (fs::path(dir) / "project.h5").string(),
                                                                (fs::path(dir) / "particles").string()));
                         });
}

int run_extract_stage(parallel::Context& ctx, const RunSettings& s, const std::string& digest) {
  const std::string input = input_project(s);
  const fs::path out = fs::path(s.out) / "extract";
  std::string joined = "0";
  parallel::run_guarded_collective(ctx, [&] {
    if (!ctx.is_root()) return;
    const Project p = io::read_project(input);
    bool all = !p.tilt_series.empty();
    for (const auto& ts : p.tilt_series) all = all && series_part_up_to_date(part_dir(s, "extract", ts.name), digest, input, "particles/particles.star");
    if (!all) return;
    fs::create_directories(out);
    join_parts(s, p, (out / "particles.star").string());
    joined = "1";
  });
  ctx.broadcast_collective(joined);
  if (joined == "1") return 0;
  return run_extract(ctx, extract_args(s, input, out.string()));
}

}  // namespace cspt::app
