// Job-array shares of `cspt run` stages (ctf, extract).
#include "apps/cspt/run_series_part.hpp"

#include <chrono>
#include <filesystem>
#include <optional>

#include "cspt/io/project_file.hpp"
#include "cspt/parallel/guarded.hpp"
#include "cspt/pipeline/stage_stamp.hpp"
#include "cspt/project/project_subset.hpp"

namespace cspt::app {
namespace fs = std::filesystem;

std::string part_dir(const RunSettings& s, const std::string& stage, const std::string& series_name) {
  return (fs::path(s.out) / stage / "parts" / series_name).string();
}

int run_series_part(parallel::Context& ctx, const RunSettings& s, const std::string& stage, const std::string& input,
                    int series, const std::string& digest, const std::string& output,
                    const std::function<int(const std::string& part_dir)>& work) {
  std::string dir;
  parallel::run_guarded_collective(ctx, [&] {
    if (!ctx.is_root()) return;
    Project part = subset_project(io::read_project(input), {series}, "--series-index");
    dir = part_dir(s, stage, part.tilt_series.front().name);
    fs::remove_all(dir);
    fs::create_directories(dir);
    rebase_file_references(part, fs::path(input).parent_path().string(), dir);
    io::write_project((fs::path(dir) / "project.h5").string(), part);
  });
  ctx.broadcast_collective(dir);
  const auto t0 = std::chrono::steady_clock::now();
  const int rc = work(dir);
  if (rc != 0) return rc;
  parallel::run_guarded_collective(ctx, [&] {
    if (!ctx.is_root()) return;
    pipeline::StageStamp done;
    done.stage = stage + " part " + fs::path(dir).filename().string();
    done.config_digest = digest;
    done.inputs = {pipeline::signature_of(input)};
    done.outputs = {(fs::path(dir) / output).string()};
    done.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    pipeline::write_stamp((fs::path(dir) / "done.json").string(), done);
  });
  return 0;
}

bool series_part_up_to_date(const std::string& dir, const std::string& digest, const std::string& input,
                            const std::string& output) {
  const auto done = pipeline::read_stamp((fs::path(dir) / "done.json").string());
  return pipeline::decide_stage(done, std::nullopt, digest, {input}, {(fs::path(dir) / output).string()}).state ==
         pipeline::StageState::up_to_date;
}

}  // namespace cspt::app
