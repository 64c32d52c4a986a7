// JobNotifier and JobNotificationListener against a real PostgreSQL.

#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/job_notifications.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_database.h"
#include "tests/support/wait_for.h"

namespace certferry::storage {
namespace {

using ::certferry::testing::IsOk;
using ::certferry::testing::WaitFor;

TEST(JobNotifier, ListenerHearsANotificationSentAfterCommit) {
  auto test_db = testing::CreateMigratedTestDatabase();
  ASSERT_THAT(test_db, IsOk());
  auto db = testing::ConnectTestDatabase(test_db->dsn, 2);
  ASSERT_THAT(db, IsOk());
  auto listener = JobNotificationListener::Open(SecretString(test_db->dsn));
  ASSERT_THAT(listener, IsOk());
  // Nothing was sent yet: the listener times out.
  EXPECT_FALSE((*listener)->Wait(absl::Milliseconds(50)));

  JobNotifier notifier(**db);
  notifier.JobsEnqueued();
  EXPECT_TRUE(WaitFor([&] { return (*listener)->Wait(absl::Milliseconds(50)); },
                      absl::Seconds(10)));
  // The count goes up once the NOTIFY returns, which can be after the
  // listener heard it.
  EXPECT_TRUE(WaitFor([&] { return notifier.sent() >= 1; }));
}

TEST(JobNotifier, ConcurrentCallsCoalesceButTheLastIsNeverLost) {
  auto test_db = testing::CreateMigratedTestDatabase();
  ASSERT_THAT(test_db, IsOk());
  auto db = testing::ConnectTestDatabase(test_db->dsn, 2);
  ASSERT_THAT(db, IsOk());
  JobNotifier notifier(**db);
  constexpr int kThreads = 8;
  constexpr int kCallsEach = 500;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kCallsEach; ++i) notifier.JobsEnqueued();
    });
  }
  for (auto& t : threads) t.join();
  // Every call before this point is covered by a send that starts after it:
  // a listener opened now hears one more once a call is made.
  auto listener = JobNotificationListener::Open(SecretString(test_db->dsn));
  ASSERT_THAT(listener, IsOk());
  const int64_t before = notifier.sent();
  notifier.JobsEnqueued();
  EXPECT_TRUE(WaitFor([&] { return (*listener)->Wait(absl::Milliseconds(50)); },
                      absl::Seconds(10)));
  EXPECT_TRUE(WaitFor([&] { return notifier.sent() > before; }));
  // Far fewer round trips than calls.
  EXPECT_LT(notifier.sent(), kThreads * kCallsEach);
}

}  // namespace
}  // namespace certferry::storage
