// The configuration schema: the generated reference is the committed one, suggestions for typos,
// errors naming file:line, key, value and expectation, and configs/*.yaml agreeing with the defaults.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "bisect/scope_sim.hpp"
#include "cspt/config/schema.hpp"
#include "cspt/util/error.hpp"

namespace cspt::config {
namespace {

namespace fs = std::filesystem;

/// The source tree: $CSPT_SOURCE_DIR, else the one this test was built from, else the first folder
/// above the working directory holding docs/config-reference.md ("" when none is found).
fs::path source_dir() {
  std::vector<fs::path> tries;
  if (const char* env = std::getenv("CSPT_SOURCE_DIR")) tries.emplace_back(env);
#ifdef CSPT_SOURCE_DIR
  tries.emplace_back(CSPT_SOURCE_DIR);
#endif
  for (fs::path p = fs::current_path(); !p.empty(); p = p.parent_path()) {
    tries.push_back(p);
    if (p == p.parent_path()) break;
  }
  for (const auto& p : tries)
    if (fs::exists(p / "docs" / "config-reference.md")) return p;
  return {};
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// The ConfigError check_value throws for `text`, or a failure when it throws none.
ConfigError error_for(const std::string& section, const std::string& key, const std::string& text,
                      const std::string& where = "demo.yaml:12") {
  try {
    check_value(*find_key(section, key), text, where);
  } catch (const ConfigError& e) {
    return e;
  }
  ADD_FAILURE() << section << "." << key << " = " << text << " was accepted";
  return ConfigError("", "", "", "");
}

TEST(SchemaTest, reference_doc_matches_the_schema) {
  const fs::path dir = source_dir();
  if (dir.empty()) GTEST_SKIP() << "docs/config-reference.md not found (set CSPT_SOURCE_DIR)";
  EXPECT_EQ(read_text(dir / "docs" / "config-reference.md"), render_markdown())
      << "regenerate it: cspt config reference > docs/config-reference.md";
}

TEST(SchemaTest, every_default_passes_its_own_check) {
  for (const auto& k : all_keys()) {
    EXPECT_FALSE(k.doc.empty()) << k.key;
    EXPECT_FALSE(section_summary(k.section).empty()) << k.section;
    EXPECT_NO_THROW(check_value(k, k.default_text, "schema", "", FileCheck::no)) << k.section << "." << k.key;
  }
}

TEST(SchemaTest, run_and_track_sections_have_the_agreed_keys) {
  std::vector<std::string> keys;
  for (const KeySpec* k : section_keys("run")) keys.push_back(k->key);
  EXPECT_EQ(keys, (std::vector<std::string>{"out", "project", "track", "reference", "reference-lowpass-A", "threads",
                                            "from", "until", "progress-interval-s"}));
  EXPECT_EQ(find_key("run", "out")->default_text, "cspt-run");
  EXPECT_EQ(find_key("run", "from")->choices,
            (std::vector<std::string>{"", "track", "simulate", "ctf", "extract", "refine", "report"}));
  EXPECT_EQ(find_key("track", "scenario")->choices, bisect::scenario_names());
  ASSERT_NE(find_key("report", "plots"), nullptr);
  EXPECT_EQ(find_key("report", "plots")->default_text, "true");
}

TEST(SchemaTest, keys_are_found_with_dashes_or_underscores) {
  EXPECT_EQ(find_key("refine", "mask_radius_A"), find_key("refine", "mask-radius-A"));
  EXPECT_NE(find_key("simulate", "dose_per_tilt_e_per_A2"), nullptr);
  EXPECT_EQ(find_key("refine", "Mask-Radius-A"), nullptr);  // case matters
  EXPECT_EQ(find_key("nosuch", "box"), nullptr);
}

TEST(SchemaTest, suggests_the_closest_key_or_section) {
  std::vector<std::string> refine;
  for (const KeySpec* k : section_keys("refine")) refine.push_back(k->key);
  EXPECT_EQ(closest_match("itertions", refine), "iterations");
  EXPECT_EQ(closest_match("mask_radius", refine), "mask-radius-A");
  EXPECT_EQ(closest_match("MASK_RADIUS_A", refine), "mask-radius-A");
  EXPECT_EQ(closest_match("exposure-wieghting", refine), "exposure-weighting");
  EXPECT_EQ(closest_match("completely-unrelated", refine), "");
  EXPECT_EQ(closest_match("refin", section_names()), "refine");

  const ConfigError key = unknown_key_error("refine", "itertions", "demo.yaml:7");
  EXPECT_STREQ(key.what(), "demo.yaml:7: refine.itertions: unknown key; did you mean 'iterations'?");
  const ConfigError snake = unknown_key_error("simulate", "tilt_schem", "unknown.yaml:3");
  EXPECT_STREQ(snake.what(), "unknown.yaml:3: simulate.tilt_schem: unknown key; did you mean 'tilt_scheme'?");
  const ConfigError none = unknown_key_error("refine", "zzzzzzzz", "x.yaml:2");
  EXPECT_NE(std::string(none.what()).find("unknown key; `cspt config reference` lists the keys of 'refine'"),
            std::string::npos);
  const ConfigError section = unknown_section_error("refin", "demo.yaml:3");
  EXPECT_STREQ(section.what(), "demo.yaml:3: refin: unknown section; did you mean 'refine'?");
}

TEST(SchemaTest, errors_name_file_line_key_value_and_expectation) {
  const ConfigError box = error_for("refine", "box", "63");
  EXPECT_STREQ(box.what(), "demo.yaml:12: refine.box = 63: an even integer in 16..1024 (px)");
  EXPECT_EQ(box.where(), "demo.yaml:12");
  EXPECT_EQ(box.field(), "refine.box");
  EXPECT_EQ(box.value(), "63");
  EXPECT_EQ(box.expectation(), "an even integer in 16..1024 (px)");

  EXPECT_EQ(error_for("refine", "box", "2048").expectation(), "an even integer in 16..1024 (px)");
  EXPECT_EQ(error_for("refine", "iterations", "two").expectation(), "an integer >= 0");
  EXPECT_EQ(error_for("refine", "iterations", "2.5").value(), "2.5");
  EXPECT_EQ(error_for("refine", "initial-resolution-A", "0").expectation(), "a number > 0 (A)");
  EXPECT_EQ(error_for("ctf", "amp-contrast", "1").expectation(), "a number in [0, 1)");
  EXPECT_EQ(error_for("ctf", "tilt-angle", "-90").expectation(), "a number in (-90, 90) (deg)");
  EXPECT_EQ(error_for("refine", "constrained", "maybe").expectation(), "true or false");
  EXPECT_EQ(error_for("refine", "exposure-weighting", "dosse").expectation(), "one of data, dose, bfactor, fitted-exposure, none");
  EXPECT_EQ(error_for("run", "until", "reprot").expectation(), "one of \"\", track, simulate, ctf, extract, refine, report");
  EXPECT_EQ(error_for("refine", "reference", "/no/such/map.mrc").field(), "refine.reference");
  EXPECT_EQ(error_for("extract", "geometry", "").value(), "\"\"");  // an empty value is shown, not left out
}

TEST(SchemaTest, accepts_what_it_documents) {
  const KeySpec& box = *find_key("refine", "box");
  for (const char* ok : {"16", "64", "+128", "1024"}) EXPECT_NO_THROW(check_value(box, ok, "t")) << ok;
  const KeySpec& flag = *find_key("refine", "constrained");
  for (const char* ok : {"true", "False", "yes", "off", "1", "0"}) EXPECT_NO_THROW(check_value(flag, ok, "t")) << ok;
  const KeySpec& tau = *find_key("reconstruct", "tau");
  for (const char* ok : {"0.001", "1e-3", "2"}) EXPECT_NO_THROW(check_value(tau, ok, "t")) << ok;
  for (const char* bad : {"0", "-1", "nan", "inf", "1e-3x", " 1"}) EXPECT_THROW(check_value(tau, bad, "t"), ConfigError) << bad;
  EXPECT_NO_THROW(check_value(*find_key("refine", "reference"), "/no/such/map.mrc", "t", "", FileCheck::no));
  EXPECT_NO_THROW(check_value(*find_key("refine", "reference"), "", "t"));  // "" = none
  EXPECT_TRUE(equals_default(*find_key("refine", "tilt-axis-range-deg"), "1.0"));
  EXPECT_TRUE(equals_default(*find_key("reconstruct", "tau"), "1e-3"));
  EXPECT_FALSE(equals_default(*find_key("refine", "box"), "126"));
}

/// Top-level names that are schema sections: the files configs/ holds for cspt (track.yaml is
/// bisect-track's and has none).
std::vector<std::string> cspt_sections(const YAML::Node& root) {
  std::vector<std::string> out;
  for (const auto& kv : root)
    if (is_section(kv.first.as<std::string>())) out.push_back(kv.first.as<std::string>());
  return out;
}

/// Every key name in a config's text, commented-out examples included ("# project: project.h5").
std::set<std::string> mentioned_keys(const fs::path& file) {
  static const std::regex line(R"(^\s+#?\s*([A-Za-z][A-Za-z0-9_-]*):(\s|$))");
  std::set<std::string> keys;
  std::istringstream in(read_text(file));
  std::smatch m;
  for (std::string l; std::getline(in, l);)
    if (std::regex_search(l, m, line)) keys.insert(dash_form(m[1]));
  return keys;
}

TEST(SchemaTest, configs_use_known_keys_and_list_the_defaults) {
  const fs::path dir = source_dir();
  if (dir.empty()) GTEST_SKIP() << "source tree not found (set CSPT_SOURCE_DIR)";
  // These list every key of their subcommand with its default (the others are examples).
  const std::set<std::string> with_defaults = {"simulate.yaml", "ctf.yaml", "reconstruct.yaml", "refine.yaml"};
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(dir / "configs")) {
    if (entry.path().extension() != ".yaml") continue;
    const YAML::Node root = YAML::LoadFile(entry.path().string());
    const std::string name = entry.path().filename().string();
    for (const auto& section : cspt_sections(root)) {
      for (const auto& kv : root[section]) {
        const std::string key = kv.first.as<std::string>(), value = kv.second.as<std::string>();
        const KeySpec* spec = find_key(section, key);
        ASSERT_NE(spec, nullptr) << name << ": " << section << "." << key << " is not in the schema";
        EXPECT_NO_THROW(check_value(*spec, value, name, "", FileCheck::no));
        if (with_defaults.count(name))
          EXPECT_TRUE(equals_default(*spec, value))
              << name << ": " << section << "." << key << " = " << value << ", schema default " << spec->default_text;
        ++checked;
      }
      if (!with_defaults.count(name)) continue;
      const auto mentioned = mentioned_keys(entry.path());
      for (const KeySpec* k : section_keys(section))
        EXPECT_TRUE(mentioned.count(k->key)) << name << " does not mention " << section << "." << k->key;
    }
  }
  EXPECT_GT(checked, 90);
}

}  // namespace
}  // namespace cspt::config
