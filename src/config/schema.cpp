// The whole key table and look-ups in it.
#include "cspt/config/schema.hpp"

#include <algorithm>

#include "config/schema_sections.hpp"
#include "cspt/util/error.hpp"

namespace cspt::config {
namespace {

/// Section name, the subcommand sentence for the reference, and its table. Add new sections here.
struct SectionEntry {
  const char* name;
  const char* summary;
  std::vector<KeySpec> (*keys)();
};

const std::vector<SectionEntry>& sections() {
  static const std::vector<SectionEntry> s = {
      {"run", "`cspt run`: the whole pipeline, stage by stage; each stage also reads its own section", run_keys},
      {"track", "the tracker stage of `cspt run`: bisect-track against a simulated microscope", track_keys},
      {"simulate", "`cspt simulate`: a synthetic BISECT dataset with full ground truth", simulate_keys},
      {"ctf", "`cspt ctf`: per-tilt astigmatic (tilted) CTF estimation, or one micrograph", ctf_keys},
      {"extract", "`cspt extract`: particle projections cut from the raw tilt series", extract_keys},
      {"reconstruct", "`cspt reconstruct`: half-maps, map, FSC and resolution from a particle STAR file",
       reconstruct_keys},
      {"refine", "`cspt refine`: CSPT refinement with data-driven exposure weighting", refine_keys},
      {"report", "the report stage of `cspt run`", report_keys},
  };
  return s;
}

/// The table is built once; a duplicate key is a bug in a schema_*.cpp file.
std::vector<KeySpec> build_table() {
  std::vector<KeySpec> all;
  for (const auto& s : sections()) {
    const auto keys = s.keys();
    for (const auto& k : keys) {
      if (k.section != s.name || k.key != dash_form(k.key) || k.doc.empty())
        throw InternalError("schema: " + k.section + "." + k.key + " is malformed");
      const bool duplicate = std::any_of(all.begin(), all.end(),
                                         [&](const KeySpec& o) { return o.section == k.section && o.key == k.key; });
      if (duplicate) throw InternalError("schema: " + k.section + "." + k.key + " is listed twice");
      all.push_back(k);
    }
  }
  return all;
}

}  // namespace

const std::vector<KeySpec>& all_keys() {
  static const std::vector<KeySpec> table = build_table();
  return table;
}

const std::vector<std::string>& section_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& s : sections()) n.emplace_back(s.name);
    return n;
  }();
  return names;
}

std::string section_summary(const std::string& section) {
  for (const auto& s : sections())
    if (section == s.name) return s.summary;
  return "";
}

bool is_section(const std::string& section) {
  const auto& n = section_names();
  return std::find(n.begin(), n.end(), section) != n.end();
}

std::vector<const KeySpec*> section_keys(const std::string& section) {
  std::vector<const KeySpec*> out;
  for (const auto& k : all_keys())
    if (k.section == section) out.push_back(&k);
  return out;
}

const KeySpec* find_key(const std::string& section, const std::string& key) {
  const std::string dashed = dash_form(key);
  for (const auto& k : all_keys())
    if (k.section == section && k.key == dashed) return &k;
  return nullptr;
}

std::string dash_form(std::string key) {
  std::replace(key.begin(), key.end(), '_', '-');
  return key;
}

std::string underscore_form(std::string key) {
  std::replace(key.begin(), key.end(), '-', '_');
  return key;
}

}  // namespace cspt::config
