// Options bound from the schema: defaults cannot drift, every key is bound, config files and flags
// are checked with messages naming where, which key, the value and the expectation.
//
// The binder is part of the cspt program, not of cspt_lib; its one source file is compiled into
// this test directly (it needs only CLI11 and cspt_lib).
#include "apps/cspt/schema_options.cpp"  // NOLINT(bugprone-suspicious-include)

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace cspt::app {
namespace {

namespace fs = std::filesystem;

/// Every key of `extract`, as cspt extract binds them.
struct ExtractOptions {
  std::string project, out, geometry = "project", defocus = "auto", on_unreadable = "stop";
  int box = 0, bin = 1;
  bool on_the_fly = false;
  double hand = 0.0;
  void bind_all(CLI::App& cli) {
    bind_key(cli, "extract", "project", project, "-p");
    bind_key(cli, "extract", "out", out, "-o");
    bind_key(cli, "extract", "box", box);
    bind_key(cli, "extract", "bin", bin);
    bind_switch(cli, "extract", "on-the-fly", on_the_fly);
    bind_key(cli, "extract", "geometry", geometry);
    bind_key(cli, "extract", "defocus", defocus);
    bind_key(cli, "extract", "defocus-handedness", hand);
    bind_key(cli, "extract", "on-unreadable-series", on_unreadable);
  }
};

class SchemaOptionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cspt_schema_options_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    project_ = write("project.h5", "");
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return (dir_ / name).string();
  }
  /// The message of the ConfigError parsing `args` throws ("" when it parses).
  static std::string error_of(const std::vector<std::string>& args) {
    ExtractOptions o;
    CLI::App cli;
    o.bind_all(cli);
    try {
      parse_with_schema(cli, "extract", args, false);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "";
  }
  fs::path dir_;
  std::string project_;
};

TEST_F(SchemaOptionsTest, a_default_that_drifted_is_a_bug) {
  CLI::App cli;
  int box = 126;  // the schema says 128
  EXPECT_THROW(bind_key(cli, "refine", "box", box), InternalError);
  int extract_box = 7;  // required without a default: any start is fine
  EXPECT_NO_THROW(bind_key(cli, "extract", "box", extract_box));
  double tau = 1e-3;
  EXPECT_NO_THROW(bind_key(cli, "reconstruct", "tau", tau));
  std::string nosuch;
  EXPECT_THROW(bind_key(cli, "refine", "no-such-key", nosuch), InternalError);
}

TEST_F(SchemaOptionsTest, every_key_bound_and_every_option_a_key) {
  CLI::App partial;
  std::string project;
  bind_key(partial, "extract", "project", project);
  EXPECT_THROW(check_bindings(partial, "extract"), InternalError);
  ExtractOptions o;
  CLI::App full;
  o.bind_all(full);
  EXPECT_NO_THROW(check_bindings(full, "extract"));
  int extra = 0;
  full.add_option("--extra", extra);
  EXPECT_THROW(check_bindings(full, "extract"), InternalError);
}

TEST_F(SchemaOptionsTest, file_then_flags_with_either_spelling) {
  const auto cfg = write("demo.yaml", "run:\n  threads: 2\nextract:\n  box: 64\n  geometry: truth\n  out: parts\n"
                                      "refine:\n  iterations: 3\n");
  ExtractOptions o;
  CLI::App cli;
  o.bind_all(cli);
  std::string path;
  ASSERT_TRUE(parse_with_schema(cli, "extract", {"-c", cfg, "-p", project_, "--defocus_handedness", "-1", "--box", "96"},
                                false, &path));
  EXPECT_EQ(path, cfg);
  EXPECT_EQ(o.box, 96);  // the flag wins over the file
  EXPECT_EQ(o.geometry, "truth");
  EXPECT_EQ(o.out, "parts");
  EXPECT_EQ(o.hand, -1.0);
  EXPECT_EQ(o.project, project_);
}

TEST_F(SchemaOptionsTest, bad_values_name_the_flag_or_the_file_line) {
  EXPECT_EQ(error_of({"-p", project_, "-o", "x", "--box", "63"}),
            "--box: extract.box = 63: an even integer in 16..1024 (px)");
  EXPECT_EQ(error_of({"-p", project_, "-o", "x", "--box", "64", "--geometry", "truht"}),
            "--geometry: extract.geometry = truht: one of project, truth");
  EXPECT_EQ(error_of({"-p", "nope.h5", "-o", "x", "--box", "64"}),
            "-p: extract.project = nope.h5: an existing file or folder (relative to the current folder)");
  EXPECT_EQ(error_of({"-o", "x", "--bxo", "64"}), "command line: --bxo: unknown flag; did you mean '--box'?");
  EXPECT_EQ(error_of({"--box"}), "command line: --box: a value after it");
  const auto cfg = write("bad.yaml", "extract:\n  box: 64\n  geomtry: truth\n");
  EXPECT_EQ(error_of({"-c", cfg}), cfg + ":3: extract.geomtry: unknown key; did you mean 'geometry'?");
  const auto other = write("other.yaml", "extract:\n  box: 64\nrefine:\n  box: 63\n");
  EXPECT_EQ(error_of({"-c", other}), other + ":4: refine.box = 63: an even integer in 16..1024 (px)");
}

/// Every key of `reconstruct`, as cspt reconstruct binds them (no-ctf is a switch).
struct ReconstructOptions {
  std::string star, out, mask, sym = "C1", insertion = "auto";
  int pad = 2, threads = 0;
  double mask_radius_A = 0, mask_edge_A = 6, maxres = 0, tau = 1e-3, max_memory_gb = 0;
  unsigned long long seed = 20140101;
  bool no_ctf = false;
  void bind_all(CLI::App& cli) {
    const std::string R = "reconstruct";
    bind_key(cli, R, "star", star);
    bind_key(cli, R, "out", out, "-o");
    bind_key(cli, R, "sym", sym);
    bind_key(cli, R, "pad", pad);
    bind_key(cli, R, "mask", mask);
    bind_key(cli, R, "mask-radius-A", mask_radius_A);
    bind_key(cli, R, "mask-edge-A", mask_edge_A);
    bind_key(cli, R, "maxres", maxres);
    bind_key(cli, R, "threads", threads);
    bind_key(cli, R, "tau", tau);
    bind_key(cli, R, "seed", seed);
    bind_switch(cli, R, "no-ctf", no_ctf);
    bind_key(cli, R, "insertion", insertion);
    bind_key(cli, R, "max-memory-gb", max_memory_gb);
  }
};

TEST_F(SchemaOptionsTest, switches_from_file_and_flag) {
  const auto on = write("on.yaml", "reconstruct:\n  no-ctf: yes\n  star: " + project_ + "\n  out: rec\n");
  for (const auto& [args, expected] : std::vector<std::pair<std::vector<std::string>, bool>>{
           {{"-c", on}, true}, {{"-c", on, "--no-ctf=false"}, false}, {{"--star", project_, "-o", "r", "--no-ctf"}, true},
           {{"--star", project_, "-o", "r"}, false}}) {
    ReconstructOptions o;
    CLI::App cli;
    o.bind_all(cli);
    ASSERT_TRUE(parse_with_schema(cli, "reconstruct", args, false));
    EXPECT_EQ(o.no_ctf, expected) << args.back();
  }
  ReconstructOptions o;
  CLI::App cli;
  o.bind_all(cli);
  EXPECT_THROW(parse_with_schema(cli, "reconstruct", {"--star", project_, "-o", "r", "--no-ctf=perhaps"}, false),
               ConfigError);
}

TEST_F(SchemaOptionsTest, setters_receive_the_last_value) {
  // A section bound entirely through setters, as simulate's settings are.
  std::map<std::string, std::string> got;
  CLI::App cli;
  for (const config::KeySpec* k : config::section_keys("report"))
    bind_setter(cli, "report", k->key, [&got, key = k->key](const std::string& v) { got[key] = v; }, k->default_text);
  const auto cfg = write("report.yaml", "report:\n  plots: false\n");
  ASSERT_TRUE(parse_with_schema(cli, "report", {"-c", cfg}, false));
  EXPECT_EQ(got["plots"], "false");
  CLI::App again;
  got.clear();
  bind_setter(again, "report", "plots", [&got](const std::string& v) { got["plots"] = v; }, "true");
  ASSERT_TRUE(parse_with_schema(again, "report", {"-c", cfg, "--plots", "yes"}, false));
  EXPECT_EQ(got["plots"], "yes");
  CLI::App drifted;
  EXPECT_THROW(bind_setter(drifted, "report", "plots", [](const std::string&) {}, "false"), InternalError);
}

}  // namespace
}  // namespace cspt::app
