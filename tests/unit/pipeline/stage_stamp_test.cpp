// Tests for the make-like stage bookkeeping of `cspt run`.
#include "cspt/pipeline/stage_stamp.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "cspt/util/error.hpp"

namespace {
namespace fs = std::filesystem;
using namespace cspt::pipeline;

class StageStampTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cspt_stamp_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    write("in.txt", "input");
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(path(name)) << text;
  }
  /// A done stamp as `cspt run` writes it after the stage ran.
  StageStamp finished(const std::string& digest) {
    StageStamp s;
    s.stage = "ctf";
    s.config_digest = digest;
    s.inputs = {signature_of(path("in.txt"))};
    s.outputs = {path("out.txt")};
    s.finished_utc = "2026-11-26T00:00:00Z";
    return s;
  }
  fs::path dir_;
};

TEST_F(StageStampTest, DigestsDifferForDifferentText) {
  EXPECT_EQ(digest_of("refine:\n  box: 128\n"), digest_of("refine:\n  box: 128\n"));
  EXPECT_NE(digest_of("refine:\n  box: 128\n"), digest_of("refine:\n  box: 96\n"));
  EXPECT_EQ(digest_of("").size(), 16u);
}

TEST_F(StageStampTest, StampRoundTrip) {
  write_stamp(path(".stages/ctf.done.json"), finished("abc"));
  const auto s = read_stamp(path(".stages/ctf.done.json"));
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->config_digest, "abc");
  ASSERT_EQ(s->inputs.size(), 1u);
  EXPECT_EQ(s->inputs[0], signature_of(path("in.txt")));
  EXPECT_FALSE(read_stamp(path("nothing.json")).has_value());
  write("broken.json", "{\"stage\": ");
  EXPECT_THROW(read_stamp(path("broken.json")), cspt::IoError);
}

TEST_F(StageStampTest, UpToDateOnlyWithSameConfigInputsAndOutputs) {
  const auto done = finished("abc");
  // No output yet: the stage runs.
  EXPECT_EQ(decide_stage(done, std::nullopt, "abc", {path("in.txt")}, {path("out.txt")}).state, StageState::fresh);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  write("out.txt", "output");
  const auto ok = decide_stage(done, std::nullopt, "abc", {path("in.txt")}, {path("out.txt")});
  EXPECT_EQ(ok.state, StageState::up_to_date) << ok.reason;
  // Another config.
  const auto config = decide_stage(done, std::nullopt, "xyz", {path("in.txt")}, {path("out.txt")});
  EXPECT_EQ(config.state, StageState::fresh);
  EXPECT_EQ(config.reason, "config changed");
  // A changed input.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  write("in.txt", "input, changed");
  const auto input = decide_stage(done, std::nullopt, "abc", {path("in.txt")}, {path("out.txt")});
  EXPECT_EQ(input.state, StageState::fresh);
  EXPECT_NE(input.reason.find("in.txt"), std::string::npos);
}

TEST_F(StageStampTest, OutputOlderThanItsInputIsRedone) {
  write("out.txt", "output");
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  write("in.txt", "newer input");
  // A stamp that (wrongly) records the new input: the time order still catches it.
  const auto d = decide_stage(finished("abc"), std::nullopt, "abc", {path("in.txt")}, {path("out.txt")});
  EXPECT_EQ(d.state, StageState::fresh);
  EXPECT_NE(d.reason.find("older"), std::string::npos);
}

TEST_F(StageStampTest, StartedStageResumesOnlyWithTheSameInputs) {
  StageStamp started = finished("abc");
  started.finished_utc = "";
  EXPECT_EQ(decide_stage(std::nullopt, started, "abc", {path("in.txt")}, {path("out.txt")}).state, StageState::resume);
  EXPECT_EQ(decide_stage(std::nullopt, started, "new", {path("in.txt")}, {path("out.txt")}).state, StageState::fresh);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  write("in.txt", "changed");
  EXPECT_EQ(decide_stage(std::nullopt, started, "abc", {path("in.txt")}, {path("out.txt")}).state, StageState::fresh);
}

TEST_F(StageStampTest, FolderSignatureFollowsItsFiles) {
  fs::create_directories(dir_ / "stacks" / "deep");
  write("stacks/deep/a.mrc", "1234");
  const auto a = signature_of(path("stacks"));
  EXPECT_TRUE(a.exists);
  EXPECT_EQ(a.size_bytes, 4u);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  write("stacks/deep/a.mrc", "12345");
  const auto b = signature_of(path("stacks"));
  EXPECT_EQ(b.size_bytes, 5u);
  EXPECT_GT(b.mtime_ns, a.mtime_ns);
  EXPECT_FALSE(signature_of(path("missing")).exists);
}

}  // namespace
