// `cspt run` stage ctf: per-tilt CTF of every tilt series, into RUN/ctf/project.h5. A job array
// fits one tilt series per task (--only ctf --series-index I, into RUN/ctf/parts/<series>); the
// stage then gathers the parts instead of fitting again.
#include <cstdio>
#include <filesystem>
#include <string>

#include "apps/cspt/commands.hpp"
#include "apps/cspt/run_parts.hpp"
#include "apps/cspt/run_series_part.hpp"
#include "cspt/io/project_file.hpp"
#include "cspt/parallel/guarded.hpp"
#include "cspt/project/project_subset.hpp"
#include "cspt/util/error.hpp"

namespace cspt::app {
namespace fs = std::filesystem;

namespace {

std::string input_project(const RunSettings& s) { return (fs::path(s.out) / "simulate" / "project.h5").string(); }

std::vector<std::string> ctf_args(const RunSettings& s, const std::string& project, int threads) {
  return {"-c", s.config_path, "-p", project, "--threads", std::to_string(threads), "--diagnostics",
          (fs::path(s.out) / "ctf" / "diagnostics").string()};
}

}  // namespace

int run_ctf_part(parallel::Context& ctx, const RunSettings& s, int threads, const std::string& digest, int series) {
  return run_series_part(ctx, s, "ctf", input_project(s), series, digest, "project.h5", [&](const std::string& dir) {
    return run_ctf(ctx, ctf_args(s, (fs::path(dir) / "project.h5").string(), threads));
  });
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
    for (const auto& ts : p.tilt_series) all = all && series_part_up_to_date(part_dir(s, "ctf", ts.name), digest, input, "project.h5");
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
