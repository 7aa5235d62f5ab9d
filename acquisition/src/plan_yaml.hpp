// Plans from an already parsed YAML node (a plan file, or the `plan:` section of a scenario file),
// so line numbers in errors are those of the file the node came from.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

#include "bisect/plan.hpp"

namespace bisect {

/// As read_plan_yaml; `path` names the file in errors.
TrackPlan plan_from_yaml(const YAML::Node& root, const std::string& path);

}  // namespace bisect
