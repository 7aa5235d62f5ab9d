// cspt: subcommand dispatch, MPI set-up, and the single place where errors become exit codes.
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "apps/cspt/commands.hpp"
#include "apps/cspt/report_command.hpp"
#include "apps/cspt/run_stages.hpp"
#include "cspt/fft/wisdom.hpp"
#include "cspt/parallel/context.hpp"
#include "cspt/util/error.hpp"
#include "cspt/util/stop_request.hpp"

namespace {

constexpr const char* kUsage =
    "usage: cspt SUBCOMMAND [options]   (or: mpirun -n N cspt SUBCOMMAND ...)\n"
    "subcommands:\n"
    "  run           the whole pipeline from a YAML config, stage by stage, resumable\n"
    "  config        reference | check -c FILE | effective -c FILE: the config schema, a config's check\n"
    "  report        the HTML report of a project and its run (figures and their CSV files)\n"
    "  simulate      a synthetic BISECT dataset with full ground truth\n"
    "  ctf           astigmatic (tilted) CTF estimation: a project's tilt series, or one micrograph\n"
    "  extract       particle projections cut from the raw tilt series (RELION STAR + stack)\n"
    "  reconstruct   half-maps, map, FSC and resolution from particle projections\n"
    "  refine        constrained refinement of particles and tilt geometry, exposure weighting\n"
    "  export imod   tilt angles and alignments as IMOD .rawtlt/.tlt/.xf\n"
    "  import imod   IMOD .tlt/.xf alignments into a project\n"
    "  import mdoc   a SerialEM tilt series (stack + .mdoc) into a project\n"
    "  export relion / import relion   RELION-5 tilt_series.star and per-tilt-series STAR files\n"
    "  import coords particle picks from a coordinate list (tomogram pixels)\n"
    "  --version     print the version\n"
    "Run 'cspt SUBCOMMAND --help' for a subcommand's options.\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  if (std::strcmp(argv[1], "--version") == 0) {
    std::puts("cspt 0.1.0");
    return 0;
  }
  const std::string command = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  if (command != "reconstruct" && command != "simulate" && command != "extract" && command != "ctf" &&
      command != "refine" && command != "export" && command != "import" && command != "run" && command != "config" &&
      command != "report") {
    std::fprintf(stderr, "cspt: subcommand = %s: expected one of: run, config, report, simulate, ctf, extract, reconstruct, refine, export, import\n",
                 command.c_str());
    return 2;
  }

  // Started by mpirun or srun: MPI. Started on its own: no MPI at all (MPI_Init as a singleton
  // costs a third of a second and a helper process, for nothing).
  std::unique_ptr<cspt::parallel::MpiEnvironment> mpi;
  std::unique_ptr<cspt::parallel::Context> ctx;
  if (cspt::parallel::started_by_mpi_launcher()) {
    mpi = std::make_unique<cspt::parallel::MpiEnvironment>(&argc, &argv);
    ctx = mpi->world();
  } else {
    ctx = cspt::parallel::make_local_context();
    cspt::fft::import_wisdom();
  }
  // Without MPI the wisdom is written here; under MPI by the environment, gathered from all ranks.
  struct SaveWisdom {
    bool local;
    ~SaveWisdom() {
      if (local) cspt::fft::export_wisdom();
    }
  } save_wisdom{!mpi};
  const std::string prefix = ctx->size() > 1 ? "cspt " + command + " [" + ctx->label() + "]: " : "cspt " + command + ": ";
  try {
    if (command == "run" || command == "refine") {
      // Long runs stop cleanly at their next checkpoint on SIGTERM/SIGINT/SIGUSR1 or before the
      // batch job's end (CSPT_DEADLINE_EPOCH), with exit code 75 (docs/pipeline.md).
      cspt::install_stop_handlers();
      cspt::deadline_from_environment();
    }
    if (command == "run") return cspt::app::run_pipeline(*ctx, args);
    if (command == "config") return cspt::app::run_config(*ctx, args);
    if (command == "report") return cspt::app::run_report(*ctx, args);
    if (command == "simulate") return cspt::app::run_simulate(*ctx, args);
    if (command == "extract") return cspt::app::run_extract(*ctx, args);
    if (command == "ctf") return cspt::app::run_ctf(*ctx, args);
    if (command == "refine") return cspt::app::run_refine(*ctx, args);
    if (command == "export" || command == "import") return cspt::app::run_interop(*ctx, command, args);
    return cspt::app::run_reconstruct(*ctx, args);
  } catch (const cspt::PeerFailure&) {
    return 2;
  } catch (const cspt::RankError& e) {
    std::fprintf(stderr, "cspt %s: %s\n", command.c_str(), e.what());
    return 2;
  } catch (const cspt::Error& e) {
    if (ctx->is_root()) std::fprintf(stderr, "%s%s\n", prefix.c_str(), e.what());
    return 2;
  } catch (const std::exception& e) {
    // Not an input problem: report from every rank and stop them all.
    std::fprintf(stderr, "%sinternal error: %s\n", prefix.c_str(), e.what());
    std::fflush(stderr);
    if (ctx->size() > 1) cspt::parallel::MpiEnvironment::abort(3);
    return 3;
  }
}
