#include "workers/backoff.h"

#include <set>

#include "gtest/gtest.h"

namespace certferry::workers {
namespace {

TEST(RetryDelay, GrowsExponentiallyWithJitterAndIsCapped) {
  BackoffPolicy policy;
  policy.initial = absl::Seconds(1);
  policy.maximum = absl::Seconds(60);
  absl::BitGen random;
  for (int attempt = 1; attempt <= 10; ++attempt) {
    const absl::Duration full =
        std::min(absl::Seconds(1) * (1 << (attempt - 1)), absl::Seconds(60));
    for (int i = 0; i < 200; ++i) {
      const absl::Duration d = RetryDelay(policy, attempt, random);
      EXPECT_GE(d, full / 2) << "attempt " << attempt;
      EXPECT_LE(d, full) << "attempt " << attempt;
    }
  }
  EXPECT_LE(RetryDelay(policy, 1000, random), absl::Seconds(60));
}

TEST(RetryDelay, JitterSpreadsDelays) {
  BackoffPolicy policy;
  absl::BitGen random;
  std::set<int64_t> distinct;
  for (int i = 0; i < 50; ++i) {
    distinct.insert(absl::ToInt64Microseconds(RetryDelay(policy, 3, random)));
  }
  EXPECT_GT(distinct.size(), 40u);
}

TEST(IsRetryable, TransientCodesOnly) {
  EXPECT_TRUE(IsRetryable(absl::UnavailableError("")));
  EXPECT_TRUE(IsRetryable(absl::DeadlineExceededError("")));
  EXPECT_TRUE(IsRetryable(absl::InternalError("")));
  EXPECT_FALSE(IsRetryable(absl::InvalidArgumentError("")));
  EXPECT_FALSE(IsRetryable(absl::FailedPreconditionError("")));
  EXPECT_FALSE(IsRetryable(absl::NotFoundError("")));
  EXPECT_FALSE(IsRetryable(absl::CancelledError("")));
}

}  // namespace
}  // namespace certferry::workers
