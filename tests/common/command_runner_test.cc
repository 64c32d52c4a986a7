#include "common/command_runner.h"

#include <signal.h>

#include <string>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace certferry {
namespace {

using ::certferry::testing::IsOk;
using ::certferry::testing::StatusIs;
using ::testing::HasSubstr;

TEST(RunCommandTest, CapturesStdoutAndStderrAndExitCode) {
  auto result = RunCommand({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"},
                           absl::Seconds(20));
  ASSERT_THAT(result, IsOk());
  EXPECT_TRUE(result->exited);
  EXPECT_EQ(result->exit_code, 3);
  EXPECT_FALSE(result->Succeeded());
  EXPECT_EQ(result->output, "out\nerr\n");
  EXPECT_EQ(result->Describe(), "exit status 3");
}

TEST(RunCommandTest, FindsProgramOnPathAndGivesEmptyStdin) {
  auto result = RunCommand({"cat"}, absl::Seconds(20));
  ASSERT_THAT(result, IsOk());
  EXPECT_TRUE(result->Succeeded());
  EXPECT_EQ(result->output, "");
}

TEST(RunCommandTest, BoundsCapturedOutput) {
  auto result = RunCommand({"/bin/sh", "-c", "head -c 100000 /dev/zero"},
                           absl::Seconds(20));
  ASSERT_THAT(result, IsOk());
  EXPECT_TRUE(result->Succeeded());
  EXPECT_LT(result->output.size(), kMaxCommandOutputBytes + 100);
  EXPECT_THAT(result->output, HasSubstr("95904 more bytes not shown"));
}

TEST(RunCommandTest, ReportsSignal) {
  auto result =
      RunCommand({"/bin/sh", "-c", "kill -TERM $$"}, absl::Seconds(20));
  ASSERT_THAT(result, IsOk());
  EXPECT_TRUE(result->signaled);
  EXPECT_EQ(result->signal, SIGTERM);
}

TEST(RunCommandTest, KillsOnTimeout) {
  const absl::Time start = absl::Now();
  auto result = RunCommand({"/bin/sh", "-c", "echo started; sleep 60"},
                           absl::Milliseconds(300));
  ASSERT_THAT(result, IsOk());
  EXPECT_TRUE(result->timed_out);
  EXPECT_FALSE(result->exited);
  EXPECT_EQ(result->output, "started\n");
  EXPECT_LT(absl::Now() - start, absl::Seconds(20));
}

TEST(RunCommandTest, DoesNotWaitForBackgroundChildHoldingOutput) {
  const absl::Time start = absl::Now();
  auto result =
      RunCommand({"/bin/sh", "-c", "sleep 30 & echo done"}, absl::Seconds(20));
  ASSERT_THAT(result, IsOk());
  EXPECT_TRUE(result->Succeeded());
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
}

TEST(RunCommandTest, MissingProgramIsNotFound) {
  EXPECT_THAT(RunCommand({"/no/such/program"}, absl::Seconds(1)),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(RunCommand({}, absl::Seconds(1)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace certferry
