// Whole-file atomic writes: after a crash the file at `path` is either the old one or the new one.
#pragma once

#include <string>
#include <string_view>

namespace cspt::io {

/// Write `bytes` to "<path>.tmp-<pid>", fsync it, and rename it over `path`. On failure the temporary
/// file is removed and IoError names the path and the reason.
void write_file_atomically(const std::string& path, std::string_view bytes);

}  // namespace cspt::io
