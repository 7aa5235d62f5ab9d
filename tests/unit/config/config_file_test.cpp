// Reading config files against the schema, and the configuration in effect written back as YAML.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "cspt/config/config_file.hpp"
#include "cspt/config/effective_config.hpp"
#include "cspt/util/error.hpp"

namespace cspt::config {
namespace {

namespace fs = std::filesystem;

/// A file in a fresh temporary folder, removed with the fixture.
class ConfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cspt_config_test_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    const fs::path p = dir_ / name;
    std::ofstream(p) << text;
    return p.string();
  }
  /// The message of the ConfigError reading `path` throws ("" when it reads).
  static std::string error_of(const std::string& path, const ReadOptions& o) {
    try {
      read_config_file(path, o);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "";
  }
  fs::path dir_;
};

TEST_F(ConfigFileTest, reads_every_section_and_both_spellings) {
  const auto p = write("demo.yaml",
                       "run:\n  out: demo\n  from: ctf\nsimulate:\n  n_tilt_series: 2\n  pixel-size-A: 2\n"
                       "refine:\n  box: 64\n  mask_radius_A: 30\n  reference:\nreport:\n  plots: false\n");
  const ConfigFile f = read_config_file(p, {"refine", FileScope::own_section});
  EXPECT_EQ(f.sections, (std::vector<std::string>{"run", "simulate", "refine", "report"}));
  ASSERT_EQ(f.values_of("refine").size(), 2u);  // reference: (no value) leaves the default
  EXPECT_EQ(f.values_of("refine")[1]->spec->key, "mask-radius-A");
  EXPECT_EQ(f.values_of("refine")[1]->written, "mask_radius_A");
  EXPECT_EQ(f.values_of("refine")[1]->where, p + ":9");
  EXPECT_EQ(f.values_of("simulate")[0]->value, "2");
}

TEST_F(ConfigFileTest, other_sections_are_checked_too) {
  const auto p = write("bad.yaml", "refine:\n  box: 64\nsimulate:\n  dose_per_tilt_e_per_A2: -1\n");
  EXPECT_EQ(error_of(p, {"refine", FileScope::own_section}),
            p + ":4: simulate.dose_per_tilt_e_per_A2 = -1: a number > 0 (e/A^2)");
}

TEST_F(ConfigFileTest, unknown_keys_and_sections_get_suggestions) {
  const auto key = write("typo.yaml", "refine:\n  iterations: 1\n  itertions: 2\n");
  EXPECT_EQ(error_of(key, {}), key + ":3: refine.itertions: unknown key; did you mean 'iterations'?");
  const auto section = write("sec.yaml", "refien:\n  box: 64\n");
  EXPECT_EQ(error_of(section, {}), section + ":1: refien: unknown section; did you mean 'refine'?");
  const auto twice = write("twice.yaml", "refine:\n  box: 64\n  box: 96\n");
  EXPECT_NE(error_of(twice, {}).find(twice + ":3: refine.box: given once (it is also at " + twice + ":2)"),
            std::string::npos);
  const auto list = write("list.yaml", "refine:\n  box: [64, 96]\n");
  EXPECT_EQ(error_of(list, {}), list + ":2: refine.box = (a list): a single value: an even integer in 16..1024 (px)");
}

TEST_F(ConfigFileTest, top_level_keys_belong_to_the_own_section) {
  const auto p = write("flat.yaml", "pad: 3\nsym: D3\n");
  const ConfigFile f = read_config_file(p, {"reconstruct", FileScope::own_section});
  EXPECT_EQ(f.values_of("reconstruct").size(), 2u);
  EXPECT_NE(error_of(p, {}).find("flat.yaml:1: pad = 3: a section"), std::string::npos);
  const auto padd = write("padd.yaml", "padd: 3\n");
  EXPECT_EQ(error_of(padd, {"reconstruct", FileScope::own_section}),
            padd + ":1: reconstruct.padd: unknown key; did you mean 'pad'?");
}

TEST_F(ConfigFileTest, input_files_must_exist_where_asked) {
  const auto p = write("paths.yaml", "refine:\n  reference: missing.mrc\nctf:\n  micrograph: " +
                                         write("image.mrc", "") + "\n");
  EXPECT_NE(error_of(p, {"", FileScope::every_section}).find("refine.reference = missing.mrc: an existing file"),
            std::string::npos);
  EXPECT_EQ(error_of(p, {"ctf", FileScope::own_section}), "");  // refine's files are refine's business
  EXPECT_EQ(error_of(p, {"", FileScope::none}), "");
}

TEST_F(ConfigFileTest, effective_config_round_trips_through_yaml) {
  const auto p = write("demo.yaml", "refine:\n  box: 64\n  sym: D3\nsimulate:\n  camera: \"K2: full \\\"frame\\\"\"\n");
  EffectiveConfig e;
  e.apply(read_config_file(p, {}));
  e.apply_override("refine.iterations=2");
  e.apply_override("pad=3", "refine");
  EXPECT_EQ(e.value("refine", "box"), "64");
  EXPECT_EQ(e.value("refine", "mask_edge_A"), "10");  // default
  EXPECT_TRUE(e.missing("refine", "project"));
  EXPECT_FALSE(e.missing("refine", "box"));
  const auto back = write("effective.yaml", e.to_yaml());
  EffectiveConfig again;
  again.apply(read_config_file(back, {"", FileScope::none}));
  for (const auto& k : all_keys()) EXPECT_EQ(again.value(k.section, k.key), e.value(k.section, k.key)) << k.key;
  EXPECT_EQ(again.value("simulate", "camera"), "K2: full \"frame\"");
  EXPECT_EQ(again.value("refine", "iterations"), "2");
  EXPECT_EQ(e.to_yaml({"report"}),
            "report:\n  plots: true                            # write the HTML report with its figures and CSV files "
            "(cspt report); false: only report/summary.json and summary.txt [default true]\n");
}

// Found by fuzz.config (tests/fuzz/regressions/config/): a quoted value holding control characters
// (YAML escapes or raw bytes) was accepted and could not be written back. Values are one line of
// UTF-8 text; names, paths and choices never need more.
TEST_F(ConfigFileTest, control_characters_and_bad_utf8_are_refused) {
  const auto escaped = write("esc.yaml", "run:\n  out: \"run\\x01dir\"\n");
  EXPECT_EQ(error_of(escaped, {"run", FileScope::none}),
            escaped + ":2: run.out = run\\x01dir: one line of UTF-8 text without control characters");
  const auto nul = write("nul.yaml", std::string("simulate:\n  camera: \"K3\\0\"\n"));
  EXPECT_NE(error_of(nul, {"", FileScope::none}).find("simulate.camera = K3\\x00: one line of UTF-8"), std::string::npos);
  const auto latin1 = write("latin1.yaml", "simulate:\n  camera: \"caf\xe9\"\n");
  EXPECT_NE(error_of(latin1, {"", FileScope::none}).find("caf\\xe9: one line of UTF-8"), std::string::npos);
  EffectiveConfig e;
  EXPECT_THROW(e.apply_override("simulate.camera=a\tb"), ConfigError);
  // UTF-8 text is fine, and round-trips.
  const auto utf8 = write("utf8.yaml", "simulate:\n  camera: \"Falcon 4i \xc2\xb5\"\n");
  e.apply(read_config_file(utf8, {"", FileScope::none}));
  EffectiveConfig again;
  again.apply(read_config_file(write("back.yaml", e.to_yaml()), {"", FileScope::none}));
  EXPECT_EQ(again.value("simulate", "camera"), "Falcon 4i \xc2\xb5");
}

TEST_F(ConfigFileTest, overrides_are_checked) {
  EffectiveConfig e;
  EXPECT_THROW(e.apply_override("refine.box=63"), ConfigError);
  EXPECT_THROW(e.apply_override("refine.boxx=64"), ConfigError);
  EXPECT_THROW(e.apply_override("box=64"), ConfigError);  // which section?
  EXPECT_THROW(e.apply_override("refine.box"), ConfigError);
  try {
    e.apply_override("run.untill=ctf");
  } catch (const ConfigError& err) {
    EXPECT_STREQ(err.what(), "--set: run.untill: unknown key; did you mean 'until'?");
  }
}

}  // namespace
}  // namespace cspt::config
