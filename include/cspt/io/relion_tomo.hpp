// RELION-5 tomography STAR files for tilt series: tilt_series.star (one row per tilt series) and one
// STAR file per tilt series (one row per tilt image), acquisition.md 7.2.
#pragma once

#include <string>

#include "cspt/project/project.hpp"

namespace cspt::io {

/// Write DIR/tilt_series.star and DIR/tilt_series/<name>.star for every tilt series of `project`
/// (its own tilt records: nominal and refined angles, axis, shifts, fitted CTF, doses, order).
/// Stack images are named "<section+1>@<stack path relative to DIR>".
void write_relion5_tilt_series(const std::string& dir, const Project& project, const std::string& project_dir);

/// Read them back into tilt-series records and optics (IoError names file, line and column).
/// Stack paths are made relative to `project_dir`.
void read_relion5_tilt_series(const std::string& tilt_series_star, Project& project, const std::string& project_dir);

}  // namespace cspt::io
