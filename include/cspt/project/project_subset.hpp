// Projects derived from projects: a subset of tilt series (one job-array task's share), and a copy
// written into another folder with its file references still pointing at the same files.
#pragma once

#include <string>
#include <vector>

#include "cspt/project/project.hpp"

namespace cspt {

/// The project restricted to the tilt series `series` (indices, in the order given): their
/// particles and projections (re-indexed), and the matching truth. Throws ConfigError naming
/// `series_field` for an index out of range.
Project subset_project(const Project& p, const std::vector<int>& series, const std::string& series_field);

/// Rewrite every file reference of `p` (stacks, .mdoc files, the true map) that is relative to
/// `from_dir` so that it is relative to `to_dir` (absolute references are left as they are).
void rebase_file_references(Project& p, const std::string& from_dir, const std::string& to_dir);

/// Read the project at `from`, rebase its file references and write it to `to` (atomically).
void copy_project(const std::string& from, const std::string& to);

}  // namespace cspt
