// Stop requests: signals recorded by the handlers, the second interrupt kills, and the deadline.
#include "cspt/util/stop_request.hpp"

#include "cspt/util/error.hpp"

#include <gtest/gtest.h>

#include <signal.h>

#include <cmath>
#include <csignal>
#include <cstdlib>
#include <string>

namespace cspt {
namespace {

static_assert(kExitResumable == 75, "EX_TEMPFAIL: job scripts test for this value");

class StopRequestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clear_stop_request();
    clear_deadline();
  }
  void TearDown() override {
    uninstall_stop_handlers();
    clear_stop_request();
    clear_deadline();
    unsetenv("CSPT_DEADLINE_EPOCH");
  }
};

TEST_F(StopRequestTest, nothing_requested_at_start) {
  install_stop_handlers();
  EXPECT_FALSE(stop_requested());
  EXPECT_EQ(stop_signal(), 0);
  EXPECT_STREQ(stop_signal_name(), "");
}

TEST_F(StopRequestTest, sigusr1_requests_a_stop) {
  install_stop_handlers();
  install_stop_handlers();  // idempotent
  raise(SIGUSR1);
  EXPECT_TRUE(stop_requested());
  EXPECT_EQ(stop_signal(), SIGUSR1);
  EXPECT_STREQ(stop_signal_name(), "SIGUSR1");
  clear_stop_request();
  EXPECT_FALSE(stop_requested());
}

TEST_F(StopRequestTest, first_sigterm_only_requests_and_the_first_signal_is_reported) {
  install_stop_handlers();
  raise(SIGUSR1);
  raise(SIGTERM);  // after a warning, Slurm's SIGTERM still leaves time for the checkpoint
  EXPECT_TRUE(stop_requested());
  EXPECT_STREQ(stop_signal_name(), "SIGUSR1");
}

TEST_F(StopRequestTest, uninstall_restores_the_previous_handler) {
  struct sigaction before {}, during {}, after {};
  sigaction(SIGUSR1, nullptr, &before);
  install_stop_handlers();
  sigaction(SIGUSR1, nullptr, &during);
  uninstall_stop_handlers();
  sigaction(SIGUSR1, nullptr, &after);
  EXPECT_NE(during.sa_handler, before.sa_handler);
  EXPECT_EQ(after.sa_handler, before.sa_handler);
}

// Death tests run in a child process; "threadsafe" re-executes the binary, which is safe even
// when other tests have left OpenMP worker threads behind.
TEST(StopRequestDeathTest, second_sigterm_kills) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        install_stop_handlers();
        raise(SIGTERM);
        if (!stop_requested()) std::_Exit(1);
        raise(SIGTERM);
        std::_Exit(0);
      },
      ::testing::KilledBySignal(SIGTERM), "");
}

TEST(StopRequestDeathTest, clean_stop_exits_resumable) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        install_stop_handlers();
        raise(SIGTERM);
        std::exit(stop_requested() ? kExitResumable : 0);  // what a command does at its checkpoint
      },
      ::testing::ExitedWithCode(kExitResumable), "");
}

TEST_F(StopRequestTest, no_deadline_means_always_time) {
  EXPECT_FALSE(deadline_epoch_s().has_value());
  EXPECT_TRUE(time_left_for(1e9, 1e9));
  EXPECT_FALSE(deadline_from_environment());  // unset
  setenv("CSPT_DEADLINE_EPOCH", "", 1);
  EXPECT_FALSE(deadline_from_environment());  // empty
  EXPECT_FALSE(deadline_epoch_s().has_value());
}

TEST_F(StopRequestTest, deadline_from_environment_decides_what_fits) {
  const double deadline = now_epoch_s() + 3600;
  setenv("CSPT_DEADLINE_EPOCH", std::to_string(deadline).c_str(), 1);
  ASSERT_TRUE(deadline_from_environment());
  ASSERT_TRUE(deadline_epoch_s().has_value());
  EXPECT_NEAR(*deadline_epoch_s(), deadline, 1e-3);
  EXPECT_TRUE(time_left_for(60, 300));
  EXPECT_TRUE(time_left_for(3000, 300));
  EXPECT_FALSE(time_left_for(3500, 300));
  EXPECT_FALSE(time_left_for(NAN, 0)) << "an unknown estimate stops while it is still clean";
}

TEST_F(StopRequestTest, past_deadline_leaves_no_time) {
  set_deadline_epoch_s(now_epoch_s() - 1);
  EXPECT_FALSE(time_left_for(0, 0));
  set_deadline_epoch_s(0);  // clears
  EXPECT_TRUE(time_left_for(0, 0));
  set_deadline_epoch_s(NAN);
  EXPECT_FALSE(deadline_epoch_s().has_value());
}

TEST_F(StopRequestTest, malformed_deadline_names_the_variable_and_value) {
  for (const char* bad : {"tomorrow", "17e", "-5", "1700000000000", "inf"}) {
    setenv("CSPT_DEADLINE_EPOCH", bad, 1);
    try {
      deadline_from_environment();
      ADD_FAILURE() << "accepted " << bad;
    } catch (const ConfigError& e) {
      EXPECT_EQ(e.field(), "CSPT_DEADLINE_EPOCH");
      EXPECT_EQ(e.value(), bad);
    }
  }
  EXPECT_FALSE(deadline_epoch_s().has_value());
}

}  // namespace
}  // namespace cspt
