// GroupEnqueuer against a real PostgreSQL: many concurrent calls, one job
// each, request ids honoured across the shared transactions.

#include <set>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/group_enqueuer.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_database.h"

namespace certferry::service {
namespace {

using ::certferry::testing::IsOk;
using ::certferry::testing::StatusIs;

class GroupEnqueuerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto test_db = testing::CreateMigratedTestDatabase();
    ASSERT_THAT(test_db, IsOk());
    dsn_ = test_db->dsn;
    auto db = testing::ConnectTestDatabase(dsn_, 8);
    ASSERT_THAT(db, IsOk());
    db_ = *std::move(db);
  }

  static GroupEnqueuer::Request Request(int n, std::string request_id = "",
                                        std::string digest = "d") {
    GroupEnqueuer::Request r;
    r.job.kind = "test";
    r.job.payload_json = absl::StrCat("{\"n\": ", n, "}");
    r.request_id = std::move(request_id);
    r.method = "Test";
    r.request_sha256 = std::move(digest);
    return r;
  }

  int CountJobs() {
    return std::stoi(*testing::QueryScalar(dsn_, "SELECT count(*) FROM jobs"));
  }

  std::string dsn_;
  std::unique_ptr<storage::Database> db_;
};

TEST_F(GroupEnqueuerTest, ConcurrentCallsEachGetTheirOwnJob) {
  GroupEnqueuer enqueuer(*db_, /*max_batch=*/16);
  constexpr int kThreads = 24;
  constexpr int kCalls = 25;
  std::mutex mu;
  std::map<int64_t, std::string> payload_by_id;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        const int n = t * kCalls + i;
        // Every other call carries a request id.
        auto job = enqueuer.Enqueue(
            Request(n, n % 2 == 0 ? absl::StrCat("r-", n) : ""));
        ASSERT_THAT(job, IsOk());
        std::lock_guard<std::mutex> lock(mu);
        EXPECT_TRUE(payload_by_id.emplace(job->id, job->payload_json).second);
        EXPECT_EQ(job->payload_json, absl::StrCat("{\"n\": ", n, "}"));
        EXPECT_EQ(job->state, model::JobState::kQueued);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(payload_by_id.size(), static_cast<size_t>(kThreads * kCalls));
  EXPECT_EQ(CountJobs(), kThreads * kCalls);
}

TEST_F(GroupEnqueuerTest, ConcurrentRepeatsOfOneRequestIdShareOneJob) {
  GroupEnqueuer enqueuer(*db_);
  std::mutex mu;
  std::set<int64_t> ids;
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&] {
      auto job = enqueuer.Enqueue(Request(1, "same"));
      ASSERT_THAT(job, IsOk());
      std::lock_guard<std::mutex> lock(mu);
      ids.insert(job->id);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ids.size(), 1u);
  EXPECT_EQ(CountJobs(), 1);
  // Two enqueuers (as two replicas) agree too.
  GroupEnqueuer other(*db_);
  auto again = other.Enqueue(Request(1, "same"));
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->id, *ids.begin());
}

TEST_F(GroupEnqueuerTest, ReusedRequestIdWithOtherContentIsRefusedAlone) {
  GroupEnqueuer enqueuer(*db_);
  ASSERT_THAT(enqueuer.Enqueue(Request(1, "taken", "digest-a")), IsOk());
  EXPECT_THAT(enqueuer.Enqueue(Request(2, "taken", "digest-b")),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(CountJobs(), 1);
}

}  // namespace
}  // namespace certferry::service
