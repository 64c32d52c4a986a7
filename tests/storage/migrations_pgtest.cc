#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/database.h"
#include "storage/migrations.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_database.h"

namespace certferry::storage {
namespace {

using ::certferry::testing::IsOk;
using ::certferry::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::vector<Migration> TwoMigrations() {
  return {
      {1, "first", "CREATE TABLE t1 (id int PRIMARY KEY);"},
      {2, "second", "CREATE TABLE t2 (id int); INSERT INTO t2 VALUES (7);"}};
}

TEST(ApplyMigrations, AppliesInOrderOnceAndRecordsEach) {
  auto test_db = testing::CreateEmptyTestDatabase();
  ASSERT_THAT(test_db, IsOk());
  auto db = testing::ConnectTestDatabase(test_db->dsn);
  ASSERT_THAT(db, IsOk());

  // Given out of order: must still run 1 before 2.
  std::vector<Migration> migrations = TwoMigrations();
  std::swap(migrations[0], migrations[1]);
  auto first = ApplyMigrations(**db, migrations);
  ASSERT_THAT(first, IsOk());
  EXPECT_THAT(first->applied, ElementsAre(1, 2));
  EXPECT_EQ(first->current_version, 2);

  auto second = ApplyMigrations(**db, migrations);
  ASSERT_THAT(second, IsOk());
  EXPECT_THAT(second->applied, IsEmpty());
  EXPECT_EQ(*testing::QueryScalar(test_db->dsn,
                                  "SELECT count(*) FROM schema_migrations"),
            "2");
  EXPECT_EQ(*testing::QueryScalar(test_db->dsn, "SELECT id FROM t2"), "7");
}

TEST(ApplyMigrations, ConcurrentReplicasApplyEachMigrationExactlyOnce) {
  auto test_db = testing::CreateEmptyTestDatabase();
  ASSERT_THAT(test_db, IsOk());
  constexpr int kReplicas = 4;
  std::vector<std::unique_ptr<Database>> replicas;
  for (int i = 0; i < kReplicas; ++i) {
    auto db = testing::ConnectTestDatabase(test_db->dsn, 1);
    ASSERT_THAT(db, IsOk());
    replicas.push_back(*std::move(db));
  }
  std::vector<absl::StatusOr<MigrationReport>> reports(
      kReplicas, absl::UnknownError("not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kReplicas; ++i) {
    threads.emplace_back([&, i] {
      reports[i] = ApplyMigrations(*replicas[i], EmbeddedMigrations());
    });
  }
  for (auto& t : threads) t.join();
  size_t total_applied = 0;
  for (const auto& report : reports) {
    ASSERT_THAT(report, IsOk());
    total_applied += report->applied.size();
  }
  EXPECT_EQ(total_applied, EmbeddedMigrations().size());
}

TEST(ApplyMigrations, EditedAppliedMigrationIsRefused) {
  auto test_db = testing::CreateEmptyTestDatabase();
  ASSERT_THAT(test_db, IsOk());
  auto db = testing::ConnectTestDatabase(test_db->dsn);
  ASSERT_THAT(db, IsOk());
  ASSERT_THAT(ApplyMigrations(**db, TwoMigrations()), IsOk());
  std::vector<Migration> edited = TwoMigrations();
  edited[0].sql = "CREATE TABLE t1 (id bigint PRIMARY KEY);";
  EXPECT_THAT(
      ApplyMigrations(**db, edited),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("0001_first")));
}

TEST(ApplyMigrations, FailingMigrationIsRolledBackAndNotRecorded) {
  auto test_db = testing::CreateEmptyTestDatabase();
  ASSERT_THAT(test_db, IsOk());
  auto db = testing::ConnectTestDatabase(test_db->dsn);
  ASSERT_THAT(db, IsOk());
  std::vector<Migration> migrations = TwoMigrations();
  migrations.push_back(
      {3, "broken", "CREATE TABLE t3 (id int); SELECT * FROM no_such_table;"});
  EXPECT_THAT(ApplyMigrations(**db, migrations),
              StatusIs(::testing::_, AllOf(HasSubstr("0003_broken"),
                                           HasSubstr("no_such_table"))));
  EXPECT_EQ(*testing::QueryScalar(test_db->dsn,
                                  "SELECT max(version) FROM schema_migrations"),
            "2");
  EXPECT_EQ(
      *testing::QueryScalar(test_db->dsn, "SELECT to_regclass('t3') IS NULL"),
      "t");
  // The advisory lock was released: another run proceeds.
  migrations.pop_back();
  EXPECT_THAT(ApplyMigrations(**db, migrations), IsOk());
}

TEST(EmbeddedMigrations, AreNumberedFromOneWithoutGaps) {
  const auto& migrations = EmbeddedMigrations();
  ASSERT_FALSE(migrations.empty());
  for (size_t i = 0; i < migrations.size(); ++i) {
    EXPECT_EQ(migrations[i].version, static_cast<int>(i) + 1);
    EXPECT_FALSE(migrations[i].sql.empty());
  }
}

}  // namespace
}  // namespace certferry::storage
