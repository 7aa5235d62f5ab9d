// The per-section key tables (one file each), gathered by schema.cpp. To add a section: write
// schema_NAME.cpp with NAME_keys(), declare it here and list it in schema.cpp.
#pragma once

#include <vector>

#include "cspt/config/schema.hpp"

namespace cspt::config {

std::vector<KeySpec> run_keys();
std::vector<KeySpec> track_keys();
std::vector<KeySpec> simulate_keys();
std::vector<KeySpec> ctf_keys();
std::vector<KeySpec> extract_keys();
std::vector<KeySpec> reconstruct_keys();
std::vector<KeySpec> refine_keys();
std::vector<KeySpec> report_keys();

}  // namespace cspt::config
