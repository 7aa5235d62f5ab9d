// Reading a YAML config file against the schema: every section known, every key known, every value
// checked, each error naming the file and line.
#pragma once

#include <string>
#include <vector>

#include "cspt/config/schema.hpp"

namespace cspt::config {

/// One key of a config file, after checking.
struct ConfigEntry {
  const KeySpec* spec = nullptr;  ///< never null once read
  std::string written;            ///< the key as written in the file ("mask_radius_A")
  std::string value;              ///< the value's text ("" when unset)
  bool unset = false;             ///< written as "key:" or "key: ~": named, but the default stays
  std::string where;              ///< "file.yaml:LINE"
};

struct ConfigFile {
  std::string path;
  std::vector<ConfigEntry> entries;   ///< every section, in file order
  std::vector<std::string> sections;  ///< the sections present, in file order

  /// The entries of `section` that set a value.
  std::vector<const ConfigEntry*> values_of(const std::string& section) const;
};

/// Whose path-in files must exist: every section's (a file checked on its own), only the own
/// section's (a command checks the files it will open, not those an earlier stage will have
/// written by then), or none (the configuration in effect, written before any stage runs).
enum class FileScope { every_section, own_section, none };

struct ReadOptions {
  /// The own section: top-level keys (outside any section) belong to it; "" refuses them.
  std::string top_level_section;
  FileScope files = FileScope::every_section;
};

/// Read and check `path`: unknown sections and keys are refused with a suggestion, every value is
/// checked with check_value (where = "path:LINE", field = "section.key" as written), a key given
/// twice is refused. Throws ConfigError.
ConfigFile read_config_file(const std::string& path, const ReadOptions& options);

}  // namespace cspt::config
