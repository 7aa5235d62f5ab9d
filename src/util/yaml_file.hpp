// Loading a YAML file with errors in the project's shape (file, line, what was expected).
// Header-only and private to the tree: yaml-cpp stays out of the public headers.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

#include "cspt/util/error.hpp"

namespace cspt::util {

/// The parsed file; ConfigError "<path>: config: a readable YAML file" when it cannot be read,
/// "<path>:<line>: YAML: <parser message>" when it does not parse.
inline YAML::Node load_yaml_file(const std::string& path) {
  try {
    return YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    throw ConfigError(path, "config", "", "a readable YAML file");
  } catch (const YAML::Exception& e) {
    throw ConfigError(path + ":" + std::to_string(e.mark.line + 1), "YAML", "", e.msg);
  }
}

}  // namespace cspt::util
