// ProgressBar and log_line: plain batch lines, terminal redraws, quiet, concurrency and the formats.
#include "cspt/util/progress.hpp"

#include "cspt/util/log.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace cspt {
namespace {

// A clock the test moves by hand and a sink that keeps every write.
struct Capture {
  std::atomic<double> now{0.0};
  std::vector<std::string> writes;

  ProgressOptions options(ProgressMode mode) {
    ProgressOptions o;
    o.mode = mode;
    o.columns = 200;
    o.clock = [this] { return now.load(); };
    o.sink = [this](const std::string& text) { writes.push_back(text); };
    return o;
  }
};

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

class ProgressTest : public ::testing::Test {
 protected:
  void TearDown() override { set_verbosity(Verbosity::normal); }
};

TEST_F(ProgressTest, batch_lines_are_plain_rate_limited_and_complete) {
  Capture c;
  ProgressBar bar("stage", 400, "particles", c.options(ProgressMode::batch));
  for (int i = 1; i <= 400; ++i) {
    c.now = i * 0.25;  // 4 per second for 100 s; lines are due at 30, 60 and 90 s
    bar.advance();
  }
  ASSERT_EQ(c.writes.size(), 3u);
  EXPECT_EQ(c.writes[0], "stage: 120/400 particles (30%) after 30s, 4.0/s, ETA 1m10s\n");
  for (const std::string& line : c.writes) {
    EXPECT_FALSE(has(line, "\r")) << line;
    EXPECT_FALSE(has(line, "\x1b")) << line;
    EXPECT_EQ(line.find('\n'), line.size() - 1) << line;
    EXPECT_TRUE(has(line, "/400 particles") && has(line, "/s") && has(line, "ETA ")) << line;
  }
  bar.finish();
  ASSERT_EQ(c.writes.size(), 4u);
  EXPECT_EQ(c.writes[3], "stage: 400/400 particles in 1m40s (4.0/s)\n");
}

TEST_F(ProgressTest, final_line_gives_count_duration_and_rate) {
  Capture c;
  ProgressBar bar("refine", 400, "particles", c.options(ProgressMode::batch));
  bar.set(400);
  c.now = 72;
  bar.finish();
  bar.finish();  // a second finish, and the destructor, write nothing more
  ASSERT_EQ(c.writes.size(), 1u);
  EXPECT_EQ(c.writes[0], "refine: 400/400 particles in 1m12s (5.6/s)\n");
}

TEST_F(ProgressTest, destroyed_early_says_stopped_not_done) {
  Capture c;
  {
    ProgressBar bar("stage", 400, "particles", c.options(ProgressMode::batch));
    bar.set(120);
    c.now = 22;
  }
  ASSERT_EQ(c.writes.size(), 1u);
  EXPECT_EQ(c.writes[0], "stage: stopped at 120/400 particles after 22s (5.5/s)\n");
}

TEST_F(ProgressTest, destroyed_after_reaching_total_reports_completion) {
  Capture c;
  {
    ProgressBar bar("stage", 10, "tilts", c.options(ProgressMode::batch));
    bar.advance(10);
    c.now = 5;
  }
  ASSERT_EQ(c.writes.size(), 1u);
  EXPECT_EQ(c.writes[0], "stage: 10/10 tilts in 5s (2.0/s)\n");
}

TEST_F(ProgressTest, terminal_redraws_one_line_in_place) {
  Capture c;
  ProgressOptions o = c.options(ProgressMode::terminal);
  o.redraw_interval_s = 0.25;
  o.columns = 60;
  ProgressBar bar("stage", 64, "images", o);
  ASSERT_EQ(c.writes.size(), 1u);  // the empty bar is drawn at once, with no rate or ETA yet
  EXPECT_EQ(c.writes[0], "\rstage [>                       ]   0% 0/64 images\x1b[K");
  for (int i = 1; i <= 64; ++i) {
    c.now = i / 64.0;  // redraws due at 0.25, 0.5, 0.75 and 1 s
    bar.advance();
  }
  ASSERT_EQ(c.writes.size(), 5u);
  for (const std::string& w : c.writes) {
    EXPECT_EQ(w.front(), '\r') << w;
    EXPECT_TRUE(has(w, "\x1b[K") && has(w, "[") && has(w, "%")) << w;
    EXPECT_FALSE(has(w, "\n")) << w;
    EXPECT_LE(w.size() - 1 - 3, 59u) << "cut to columns - 1 so it never wraps: " << w;
  }
  // This line would be 64 characters, so it is cut to 59: the ETA loses its value.
  EXPECT_EQ(c.writes[2], "\rstage [============>           ]  50% 32/64 images 64.0/s E\x1b[K");
  bar.finish();
  EXPECT_EQ(c.writes.back(), "\rstage: 64/64 images in 1s (64.0/s)\x1b[K\n");
}

TEST_F(ProgressTest, instant_stage_leaves_out_the_meaningless_rate) {
  Capture c;
  {
    ProgressBar bar("stage", 10, "tilts", c.options(ProgressMode::batch));
    bar.advance(3);
    c.now = 1e-6;
  }
  ASSERT_EQ(c.writes.size(), 1u);
  EXPECT_EQ(c.writes[0], "stage: stopped at 3/10 tilts after 0s\n");
}

TEST_F(ProgressTest, quiet_shows_nothing_but_still_counts) {
  set_verbosity(Verbosity::quiet);
  Capture c;
  {
    ProgressBar bar("stage", 100, "particles", c.options(ProgressMode::terminal));
    EXPECT_FALSE(bar.active());
    for (int i = 0; i < 100; ++i) {
      c.now = i;
      bar.advance();
    }
    EXPECT_EQ(bar.done(), 100);
    bar.finish();
  }
  EXPECT_TRUE(c.writes.empty());
}

TEST_F(ProgressTest, disabled_rank_never_reads_the_clock_or_writes) {
  Capture c;
  int clock_reads = 0;
  ProgressOptions o = c.options(ProgressMode::batch);
  o.enabled = false;
  o.clock = [&clock_reads] { return double(++clock_reads) * 100; };
  {
    ProgressBar bar("stage", 10, "particles", o);
    bar.advance(3);
    EXPECT_EQ(bar.done(), 3);
  }
  EXPECT_EQ(clock_reads, 0);
  EXPECT_TRUE(c.writes.empty());
}

TEST_F(ProgressTest, unknown_total_shows_count_and_rate_only) {
  Capture c;
  ProgressBar bar("scan", 0, "files", c.options(ProgressMode::batch));
  bar.set(50);
  c.now = 30;
  bar.advance(10);
  ASSERT_EQ(c.writes.size(), 1u);
  EXPECT_EQ(c.writes[0], "scan: 60 files after 30s, 2.0/s\n");
  bar.finish();
  EXPECT_EQ(c.writes.back(), "scan: 60 files in 30s (2.0/s)\n");
}

TEST_F(ProgressTest, concurrent_advance_counts_exactly) {
  Capture c;
  ProgressOptions o = c.options(ProgressMode::terminal);
  std::atomic<long> ticks{0};
  o.clock = [&ticks] { return double(ticks.fetch_add(1)) * 1e-3; };  // redraws keep falling due
  constexpr int kThreads = 4, kEach = 25000;
  ProgressBar bar("stage", kThreads * kEach, "items", o);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&bar] {
      for (int i = 0; i < kEach; ++i) bar.advance();
    });
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(bar.done(), kThreads * kEach);
  bar.finish();
  EXPECT_GT(c.writes.size(), 2u);
  EXPECT_TRUE(has(c.writes.back(), ": 100000/100000 items in ")) << c.writes.back();
}

TEST_F(ProgressTest, mode_resolution) {
  EXPECT_EQ(resolve_progress_mode(ProgressMode::terminal), ProgressMode::terminal);
  EXPECT_EQ(resolve_progress_mode(ProgressMode::batch), ProgressMode::batch);
  setenv("CSPT_PROGRESS", "plain", 1);
  EXPECT_EQ(resolve_progress_mode(ProgressMode::automatic), ProgressMode::batch);
  unsetenv("CSPT_PROGRESS");
  EXPECT_NE(resolve_progress_mode(ProgressMode::automatic), ProgressMode::automatic);
  Capture c;
  ProgressBar bar("stage", 1, "", c.options(ProgressMode::automatic));
  EXPECT_EQ(bar.mode(), ProgressMode::batch) << "a custom sink is never a terminal";
}

TEST(ProgressFormatTest, durations) {
  EXPECT_EQ(format_duration(0), "0s");
  EXPECT_EQ(format_duration(42), "42s");
  EXPECT_EQ(format_duration(59.4), "59s");
  EXPECT_EQ(format_duration(59.6), "1m00s");
  EXPECT_EQ(format_duration(185), "3m05s");
  EXPECT_EQ(format_duration(3599.6), "1h00m");
  EXPECT_EQ(format_duration(3720), "1h02m");
  EXPECT_EQ(format_duration(3779), "1h03m");
  EXPECT_EQ(format_duration(100 * 3600.0), "100h00m");
  EXPECT_EQ(format_duration(-1), "?");
  EXPECT_EQ(format_duration(NAN), "?");
  EXPECT_EQ(format_duration(INFINITY), "?");
}

TEST(ProgressFormatTest, rates) {
  EXPECT_EQ(format_rate(1234.4), "1234");
  EXPECT_EQ(format_rate(56.71), "56.7");
  EXPECT_EQ(format_rate(5.555), "5.6");
  EXPECT_EQ(format_rate(0.0421), "0.042");
  EXPECT_EQ(format_rate(0.0001), "<0.001");
  EXPECT_EQ(format_rate(0), "0");
}

// log_line lives in log.hpp; its tests sit here beside the progress bar that shares its writer.
class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    set_log_sink([this](const std::string& line) { lines.push_back(line); });
  }
  void TearDown() override {
    set_log_sink({});
    set_verbosity(Verbosity::normal);
  }
  std::vector<std::string> lines;
};

TEST_F(LogTest, levels_follow_verbosity) {
  const auto say_all = [] {
    log_line(LogLevel::error, "e");
    log_line(LogLevel::info, "i");
    log_line(LogLevel::detail, "d");
  };
  set_verbosity(Verbosity::quiet);
  say_all();
  EXPECT_EQ(lines, (std::vector<std::string>{"e"}));
  lines.clear();
  set_verbosity(Verbosity::normal);
  say_all();
  EXPECT_EQ(lines, (std::vector<std::string>{"e", "i"}));
  lines.clear();
  set_verbosity(Verbosity::verbose);
  say_all();
  EXPECT_EQ(lines, (std::vector<std::string>{"e", "i", "d"}));
  EXPECT_FALSE((set_verbosity(Verbosity::quiet), log_enabled(LogLevel::info)));
}

TEST_F(LogTest, one_line_per_call_without_trailing_newlines) {
  log_line(LogLevel::info, "iteration 3 written\n\n");
  EXPECT_EQ(lines, (std::vector<std::string>{"iteration 3 written"}));
}

TEST_F(LogTest, concurrent_lines_arrive_whole) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([t] {
      for (int i = 0; i < 200; ++i) log_line(LogLevel::info, "thread " + std::to_string(t) + " line");
    });
  for (std::thread& t : threads) t.join();
  ASSERT_EQ(lines.size(), 800u);
  for (const std::string& l : lines) EXPECT_TRUE(l.size() == 13 && l.rfind("thread ", 0) == 0) << l;
}

}  // namespace
}  // namespace cspt
