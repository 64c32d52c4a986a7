#include <atomic>
#include <pqxx/pqxx>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/database.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_database.h"
#include "tests/support/wait_for.h"

namespace certferry::storage {
namespace {

using ::certferry::testing::IsOk;
using ::certferry::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

class DatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto test_db = testing::CreateEmptyTestDatabase();
    ASSERT_THAT(test_db, IsOk());
    dsn_ = test_db->dsn;
    ASSERT_THAT(testing::QueryScalar(
                    dsn_,
                    "CREATE TABLE kv (k text PRIMARY KEY, v int NOT NULL "
                    "CHECK (v >= 0))"),
                IsOk());
  }
  std::string dsn_;
};

TEST_F(DatabaseTest, CommitsWhenBodySucceedsAndRollsBackWhenItFails) {
  auto db = testing::ConnectTestDatabase(dsn_);
  ASSERT_THAT(db, IsOk());
  ASSERT_THAT((*db)->RunInTransaction("insert",
                                      [](Transaction& tx) {
                                        tx.pqxx().exec_params(
                                            "INSERT INTO kv VALUES ($1, $2)",
                                            "a", 1);
                                        return absl::OkStatus();
                                      }),
              IsOk());
  EXPECT_THAT(
      (*db)->RunInTransaction("insert-then-fail",
                              [](Transaction& tx) {
                                tx.pqxx().exec_params(
                                    "INSERT INTO kv VALUES ($1, $2)", "b", 2);
                                return absl::InvalidArgumentError("nope");
                              }),
      StatusIs(absl::StatusCode::kInvalidArgument, "nope"));
  EXPECT_EQ(*testing::QueryScalar(dsn_, "SELECT string_agg(k, ',') FROM kv"),
            "a");
}

TEST_F(DatabaseTest, AutocommitKeepsEachStatementEvenWhenTheBodyFails) {
  auto db = testing::ConnectTestDatabase(dsn_);
  ASSERT_THAT(db, IsOk());
  EXPECT_THAT(
      (*db)->RunAutocommit("autocommit",
                           [](Transaction& tx) {
                             tx.pqxx().exec_params(
                                 "INSERT INTO kv VALUES ($1, $2)", "kept", 1);
                             return absl::InternalError("after the insert");
                           }),
      StatusIs(absl::StatusCode::kInternal));
  EXPECT_EQ(*testing::QueryScalar(dsn_, "SELECT count(*) FROM kv"), "1");
}

TEST_F(DatabaseTest, MapsConstraintErrorsWithoutLeakingParameters) {
  auto db = testing::ConnectTestDatabase(dsn_);
  ASSERT_THAT(db, IsOk());
  auto insert = [&](const std::string& k, int v) {
    return (*db)->RunInTransaction("put", [&](Transaction& tx) {
      tx.pqxx().exec_params("INSERT INTO kv VALUES ($1, $2)", k, v);
      return absl::OkStatus();
    });
  };
  ASSERT_THAT(insert("secret-value-1", 1), IsOk());
  absl::Status duplicate = insert("secret-value-1", 2);
  EXPECT_THAT(duplicate, StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(std::string(duplicate.message()),
              Not(HasSubstr("secret-value-1")));
  EXPECT_THAT(insert("x", -1), StatusIs(absl::StatusCode::kFailedPrecondition,
                                        HasSubstr("23514")));
}

TEST_F(DatabaseTest, RetriesSerializationFailures) {
  auto db = testing::ConnectTestDatabase(dsn_);
  ASSERT_THAT(db, IsOk());
  int attempts = 0;
  absl::Status status = (*db)->RunInTransaction("flaky", [&](Transaction& tx) {
    ++attempts;
    if (attempts < 3) {
      throw pqxx::serialization_failure("could not serialize access");
    }
    return absl::OkStatus();
  });
  EXPECT_THAT(status, IsOk());
  EXPECT_EQ(attempts, 3);
}

TEST_F(DatabaseTest, ExhaustedPoolAnswersUnavailable) {
  storage::DatabaseConfig config;
  config.url = SecretString(dsn_);
  config.pool_size = 1;
  config.acquire_timeout = absl::Milliseconds(200);
  auto db = Database::Connect(std::move(config));
  ASSERT_THAT(db, IsOk());
  std::atomic<bool> holding{false};
  std::atomic<bool> release{false};
  std::thread holder([&] {
    (void)(*db)->RunInTransaction("hold", [&](Transaction&) {
      holding = true;
      testing::WaitFor([&] { return release.load(); });
      return absl::OkStatus();
    });
  });
  ASSERT_TRUE(testing::WaitFor([&] { return holding.load(); }));
  EXPECT_THAT((*db)->Ping(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("busy")));
  release = true;
  holder.join();
  EXPECT_THAT((*db)->Ping(), IsOk());
}

TEST_F(DatabaseTest, ReconnectsAfterTheServerDropsTheConnection) {
  auto db = testing::ConnectTestDatabase(dsn_, 1);
  ASSERT_THAT(db, IsOk());
  ASSERT_THAT((*db)->Ping(), IsOk());
  // Kill every other session on this database, including the pooled one.
  ASSERT_THAT(testing::QueryScalar(
                  dsn_,
                  "SELECT count(pg_terminate_backend(pid)) FROM "
                  "pg_stat_activity WHERE datname = current_database() AND "
                  "pid <> pg_backend_pid()"),
              IsOk());
  EXPECT_THAT((*db)->Ping(), IsOk());
}

TEST(DatabaseConnect, UnreachableServerIsUnavailableWithAHint) {
  storage::DatabaseConfig config;
  config.url = SecretString(
      "host=127.0.0.1 port=1 user=u password=hunter2 dbname=x "
      "connect_timeout=2");
  auto db = Database::Connect(std::move(config));
  EXPECT_THAT(db, StatusIs(absl::StatusCode::kUnavailable,
                           HasSubstr("CERTFERRY_DATABASE_URL")));
  EXPECT_THAT(std::string(db.status().message()), Not(HasSubstr("hunter2")));
}

}  // namespace
}  // namespace certferry::storage
