// `cspt run` stage ctf: per-tilt CTF of every tilt series, into RUN/ctf/project.h5. A job array
// fits one tilt series per task (--only ctf --series-index I, into RUN/ctf/parts/<series>); the
// stage then gathers the parts instead of fitting again.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>

#include "apps/cspt/commands.hpp"
#include "apps/cspt/run_parts.hpp"
#include "cspt/io/project_file.hpp"
#include "cspt/parallel/guarded.hpp"
#include "cspt/pipeline/stage_stamp.hpp"
#include "cspt/project/project_subset.hpp"
#include "cspt/util/error.hpp"

namespace cspt::app {
namespace fs = std::filesystem;

std::string part_dir(const RunSettings& s, const std::string& stage, const std::string& series_name) {
  return (fs::path(s.out) / stage / "parts" / series_name).string();
}

namespace {

std::string input_project(const RunSettings& s) { return (fs::path(s.out) / "simulate" / "project.h5").string(); }

/// True when the part of series `name` finished with this config from the current input.
bool part_up_to_date(const std::string& dir, const std::string& digest, const std::string& input) {
  const auto done = pipeline::read_stamp((fs::path(dir) / "done.json").string());
  return pipeline::decide_stage(done, std::nullopt, digest, {input}, {(fs::path(dir) / "project.h5").string()}).state ==
         pipeline::StageState::up_to_date;
}

std::vector<std::string> ctf_args(const RunSettings& s, const std::string& project, int threads) {
  return {"-c", s.config_path, "-p", project, "--threads", std::to_string(threads), "--diagnostics",
          (fs::path(s.out) / "ctf" / "diagnostics").string()};
}

}  // namespace

int run_ctf_part(parallel::Context& ctx, const RunSettings& s, int threads, const std::string& digest, int series) {
  const std::string input = input_project(s);
  std::string dir;
  parallel::run_guarded_collective(ctx, [&] {
    if (!ctx.is_root()) return;
    const Project p = io::read_project(input);
    Project part = subset_project(p, {series}, "--series-index");
    dir = part_dir(s, "ctf", part.tilt_series.front().name);
    fs::remove_all(dir);
    fs::create_directories(dir);
    rebase_file_references(part, fs::path(input).parent_path().string(), dir);
    io::write_project((fs::path(dir) / "project.h5").string(), part);
  });
  ctx.broadcast_collective(dir);
  const auto t0 = std::chrono::steady_clock::now();
  const int rc = run_ctf(ctx, ctf_args(s, (fs::path(dir) / "project.h5").string(), threads));
  if (rc != 0) return rc;
  parallel::run_guarded_collective(ctx, [&] {
    if (!ctx.is_root()) return;
    pipeline::StageStamp done;
    done.stage = "ctf part " + fs::path(dir).filename().string();
    done.config_digest = digest;
    done.inputs = {pipeline::signature_of(input)};
    done.outputs = {(fs::path(dir) / "project.h5").string()};
    done.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    pipeline::write_stamp((fs::path(dir) / "done.json").string(), done);
  });
  return 0;
}

int run_ctf_stage(parallel::Context& ctx, const RunSettings& s, int threads, const std::string& digest) {
  const std::string input = input_project(s);
  const std::string output = (fs::path(s.out) / "ctf" / "project.h5").string();
  // Gathered from the parts when a job array fitted every tilt series.
  std::string gathered = "0";
  parallel::run_guarded_collective(ctx, [&] {
    if (!ctx.is_root()) return;
    fs::create_directories(fs::path(output).parent_path());
    Project p = io::read_project(input);
    bool all = true;
    for (const auto& ts : p.tilt_series) all = all && part_up_to_date(part_dir(s, "ctf", ts.name), digest, input);
    if (all && !p.tilt_series.empty()) {
      for (auto& ts : p.tilt_series) {
        const Project part = io::read_project((fs::path(part_dir(s, "ctf", ts.name)) / "project.h5").string());
        const auto& fitted = part.tilt_series.front();
        ts.defocus_handedness = fitted.defocus_handedness;
        for (std::size_t i = 0; i < ts.tilts.size() && i < fitted.tilts.size(); ++i) {
          auto& t = ts.tilts[i];
          const auto& f = fitted.tilts[i];
          t.defocus_u_A = f.defocus_u_A;
          t.defocus_v_A = f.defocus_v_A;
          t.defocus_angle_deg = f.defocus_angle_deg;
          t.ctf_score = f.ctf_score;
          t.ctf_resolution_A = f.ctf_resolution_A;
        }
      }
      rebase_file_references(p, fs::path(input).parent_path().string(), fs::path(output).parent_path().string());
      io::write_project(output, p);
      std::fprintf(stderr, "cspt run: ctf: gathered the fits of %zu tilt series from %s\n", p.tilt_series.size(),
                   (fs::path(s.out) / "ctf" / "parts").c_str());
      gathered = "1";
    } else {
      copy_project(input, output);
    }
  });
  ctx.broadcast_collective(gathered);
  if (gathered == "1") return 0;
  return run_ctf(ctx, ctf_args(s, output, threads));
}

}  // namespace cspt::app
