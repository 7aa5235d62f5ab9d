// `cspt report`: one self-contained HTML page with every figure of a project and its run (FSC,
// map, exposure weighting, CTF, acquisition, orientations, timings, and the truth of simulations),
// each figure with the CSV of its numbers beside the page. docs/report.md describes every figure.
#pragma once

#include <string>
#include <vector>

namespace cspt::report {

/// Where the report's inputs are. Only the project is required; a section whose inputs are missing
/// says so on the page.
struct ReportInputs {
  std::string project_path;         ///< project file (HDF5)
  std::string refine_dir;           ///< `cspt refine -o` folder: iter_NNN/, summary.json, refine_options.json
  std::string track_dir;            ///< `bisect-track simulate -o` folder: project.h5, summary.json, truth.json
  std::string ctf_diagnostics_dir;  ///< `cspt ctf --diagnostics` folder of per-tilt PNGs
  std::string stages_dir;           ///< RUN/.stages of `cspt run` (<stage>.done.json with wall_s)
  /// Where to look for the true map of a simulation besides its path relative to the project file
  /// (e.g. RUN/simulate for a run whose later stages copied the project).
  std::vector<std::string> truth_search_dirs;
  int threads = 1;  ///< for the FSC against the true map
};

struct ReportOutcome {
  int figures = 0;
  std::vector<std::string> files;  ///< written into the output folder, index.html last
};

/// Writes index.html and every figure's CSV (and PNG/SVG) files into `dir`, which must exist.
/// IoError/ConfigError naming the file for an unreadable project or a malformed input table;
/// inputs that are simply absent give a note on the page instead.
ReportOutcome write_report(const ReportInputs& in, const std::string& dir);

}  // namespace cspt::report
