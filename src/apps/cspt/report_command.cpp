// cspt report: parse the flags, find the inputs (or take them from a run folder), and write the page
// all-or-nothing through a staging folder.
#include "apps/cspt/report_command.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <string>

#include "apps/cspt/cli.hpp"
#include "apps/cspt/output_dir.hpp"
#include "cspt/parallel/guarded.hpp"
#include "cspt/util/error.hpp"

namespace cspt::app {
namespace fs = std::filesystem;
namespace {

/// An optional folder flag: empty, or an existing folder.
void require_folder(const std::string& flag, const std::string& value, const std::string& what) {
  if (!value.empty() && !fs::is_directory(value)) throw ConfigError("command line", flag, value, what);
}

void check_inputs(const report::ReportInputs& in, const std::string& out) {
  if (in.project_path.empty())
    throw ConfigError("command line", "--project", "", "a project file (-p project.h5), or a run folder (--run RUN)");
  if (!fs::is_regular_file(in.project_path)) throw IoError(in.project_path, "project file", "", "an existing project file");
  if (out.empty()) throw ConfigError("command line", "--out", "", "the report folder (-o DIR), or a run folder (--run RUN)");
  require_folder("--refine", in.refine_dir, "a folder written by cspt refine -o");
  require_folder("--track", in.track_dir, "a folder written by bisect-track simulate -o");
  require_folder("--ctf-diagnostics", in.ctf_diagnostics_dir, "a folder written by cspt ctf --diagnostics");
}

}  // namespace

void fill_from_run(const std::string& run_dir, report::ReportInputs& in) {
  const fs::path run(run_dir);
  if (in.project_path.empty())
    for (const char* stage : {"refine", "ctf", "simulate"})
      if (fs::is_regular_file(run / stage / "project.h5")) {
        in.project_path = (run / stage / "project.h5").string();
        break;
      }
  const auto folder = [&](std::string& field, const fs::path& p) {
    if (field.empty() && fs::is_directory(p)) field = p.string();
  };
  folder(in.refine_dir, run / "refine");
  folder(in.track_dir, run / "track");
  folder(in.ctf_diagnostics_dir, run / "ctf" / "diagnostics");
  folder(in.stages_dir, run / ".stages");
  in.truth_search_dirs.push_back((run / "simulate").string());
}

int run_report(parallel::Context& ctx, std::vector<std::string> args) {
  report::ReportInputs in;
  std::string out, run;
  int threads = 0;
  CLI::App cli{"One self-contained HTML page (DIR/index.html) with the figures of a project and its run: FSC, map, "
               "exposure weighting, CTF, acquisition, orientations, timings, and the truth of simulations; the "
               "numbers behind every figure as CSV beside it.",
               "cspt report"};
  cli.add_option("-p,--project", in.project_path, "project file (HDF5)");
  cli.add_option("-o,--out", out, "report folder (default with --run: RUN/report)");
  cli.add_option("--refine", in.refine_dir, "folder written by cspt refine -o (iter_NNN/, summary.json)");
  cli.add_option("--track", in.track_dir, "folder written by bisect-track simulate -o (project.h5, summary.json, truth.json)");
  cli.add_option("--ctf-diagnostics", in.ctf_diagnostics_dir, "folder of PNGs written by cspt ctf --diagnostics");
  cli.add_option("--run", run, "a cspt run folder: fills every input not given (docs/report.md)");
  cli.add_option("--threads", threads, "threads for the FSC against the true map (default OMP_NUM_THREADS or 1)");
  if (!parse_command_line(cli, args, ctx.is_root())) return 0;
  if (!run.empty()) {
    require_folder("--run", run, "a folder written by cspt run -o");
    fill_from_run(run, in);
    if (out.empty()) out = (fs::path(run) / "report").string();
  }
  in.threads = threads > 0 ? threads : default_threads();
  // The report is a few seconds of reading and drawing: the root rank does it, the others wait.
  parallel::run_guarded_collective(ctx, [&] {
    if (!ctx.is_root()) return;
    check_inputs(in, out);
    OutputDir dir(out);
    const report::ReportOutcome r = report::write_report(in, dir.staging());
    for (const auto& file : r.files) dir.staged(file);
    dir.commit();
    std::printf("cspt report: %s (%d figures)\n", (fs::path(out) / "index.html").c_str(), r.figures);
  });
  return 0;
}

}  // namespace cspt::app
