// The HDF5 project file (schema v1): atomic whole-file writing and validated reading of a Project.
#pragma once

#include <string>

#include "cspt/project/project.hpp"

namespace cspt::io {

// All three are safe to call from several threads (calls into HDF5 are serialised) and turn off
// HDF5's own error printing.

/// Writes p to path as a whole file, atomically: a temporary "<path>.tmp-<pid>" in the same folder
/// is written, flushed, fsync'ed and renamed over path, so path always holds either the old or the
/// new project. Leftover temporaries of dead writers of the same path are removed first.
/// Throws IoError naming path (and the field) if p is inconsistent (duplicate or invalid series
/// names, out-of-range indices) or the file cannot be written; path is then left unchanged.
void write_project(const std::string& path, const Project& p);

/// Reads and validates a project file of schema v1 (layout: docs/hdf5-schema.md). Throws IoError
/// naming path and the HDF5 path of the offending field for a missing or non-HDF5 file, another
/// schema version, a missing group/dataset/attribute, a wrong type or length, or a bad index.
Project read_project(const std::string& path);

/// The root attribute cspt_schema_version of an HDF5 file, without reading anything else.
int project_schema_version(const std::string& path);

}  // namespace cspt::io
