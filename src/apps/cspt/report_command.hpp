// `cspt report`: the HTML report of a project and its run (declared apart from commands.hpp).
#pragma once

#include <string>
#include <vector>

#include "cspt/parallel/context.hpp"
#include "cspt/report/report.hpp"

namespace cspt::app {

/// `cspt report -p project.h5 -o DIR [--refine OUT] [--track DIR] [--ctf-diagnostics DIR] [--run RUN]`:
/// writes DIR/index.html with the figures and their CSV files. Only the root rank works.
/// Returns the process exit code.
int run_report(parallel::Context& ctx, std::vector<std::string> args);

/// The report's inputs from a `cspt run` folder (docs/pipeline.md), for every input not already set
/// in `in`: project = RUN/refine/project.h5, else RUN/ctf/project.h5, else RUN/simulate/project.h5;
/// refine = RUN/refine, track = RUN/track, ctf diagnostics = RUN/ctf/diagnostics (each if present);
/// stages = RUN/.stages; RUN/simulate is searched for the true map.
void fill_from_run(const std::string& run_dir, report::ReportInputs& in);

}  // namespace cspt::app
