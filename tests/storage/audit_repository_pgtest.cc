// The hash-chained audit log against a real PostgreSQL: append, list,
// append-only enforcement, concurrent appends, and tamper detection.

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/audit_repository.h"
#include "storage/audit_sealer.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_database.h"
#include "tests/support/wait_for.h"

namespace certferry::storage {
namespace {

using ::certferry::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

NewAuditEvent Event(const std::string& actor, const std::string& resource,
                    const std::string& summary = "") {
  return NewAuditEvent{actor, "TestAction", resource, "req-1", "ok", summary};
}

class AuditRepositoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto test_db = testing::CreateMigratedTestDatabase();
    ASSERT_THAT(test_db, IsOk());
    dsn_ = test_db->dsn;
    auto db = testing::ConnectTestDatabase(dsn_, 8);
    ASSERT_THAT(db, IsOk());
    db_ = *std::move(db);
  }

  // Appends in a transaction of its own, then seals, as the background
  // sealer would.
  void Append(const std::vector<NewAuditEvent>& events) {
    ASSERT_THAT(db_->RunInTransaction("append",
                                      [&](Transaction& tx) {
                                        return AuditRepository::Append(tx,
                                                                       events);
                                      }),
                IsOk());
    Seal();
  }

  void Seal() {
    ASSERT_THAT(db_->RunInTransaction("seal",
                                      [](Transaction& tx) {
                                        return AuditRepository::SealAll(tx);
                                      }),
                IsOk());
  }

  int CountChained() {
    return std::stoi(
        *testing::QueryScalar(dsn_, "SELECT count(*) FROM audit_events"));
  }

  // Five events, one per transaction.
  void AppendFive() {
    for (int i = 1; i <= 5; ++i) {
      Append({Event("alice", absl::StrCat("certificates/c", i),
                    absl::StrCat("event ", i))});
    }
  }

  std::vector<AuditEvent> List(const AuditQuery& query) {
    auto events = db_->RunInTransaction<std::vector<AuditEvent>>(
        "list",
        [&](Transaction& tx) { return AuditRepository::List(tx, query); });
    EXPECT_THAT(events, IsOk());
    return events.ok() ? *events : std::vector<AuditEvent>{};
  }

  std::vector<int64_t> ListIds(const AuditQuery& query) {
    std::vector<int64_t> ids;
    for (const AuditEvent& e : List(query)) ids.push_back(e.id);
    return ids;
  }

  AuditVerification Verify() {
    auto result = db_->RunInTransaction<AuditVerification>(
        "verify", [](Transaction& tx) { return AuditRepository::Verify(tx); });
    EXPECT_THAT(result, IsOk());
    return result.ok() ? *result : AuditVerification{};
  }

  // Changes the log as a superuser with the append-only trigger bypassed.
  void Tamper(const std::string& sql) {
    ASSERT_THAT(
        testing::ExecAsSuperuser(
            dsn_, "SET LOCAL session_replication_role = replica; " + sql),
        IsOk());
  }

  std::string dsn_;
  std::unique_ptr<Database> db_;
};

TEST_F(AuditRepositoryTest, AppendChainsEventsInOrderAndListsNewestFirst) {
  Append({Event("alice", "certificates/a"), Event("bob", "certificates/b")});
  Append({Event("carol", "operations/7", "third")});

  const std::vector<AuditEvent> events = List({});
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].id, 3);
  EXPECT_EQ(events[0].event.actor, "carol");
  EXPECT_EQ(events[0].event.summary, "third");
  EXPECT_EQ(events[1].id, 2);
  EXPECT_EQ(events[2].id, 1);
  EXPECT_EQ(events[2].event.actor, "alice");
  EXPECT_EQ(events[2].event.request_id, "req-1");
  // Linked: each previous_hash is the hash of the event before.
  EXPECT_EQ(events[2].previous_hash, AuditRepository::GenesisHash());
  EXPECT_EQ(events[1].previous_hash, events[2].hash);
  EXPECT_EQ(events[0].previous_hash, events[1].hash);
  // And each hash is the documented function of the stored content.
  for (const AuditEvent& e : events) {
    EXPECT_EQ(e.hash, AuditRepository::ComputeHash(e.previous_hash, e.id,
                                                   e.time, e.event));
  }
  EXPECT_GE(events[0].time, events[2].time);

  const AuditVerification verification = Verify();
  EXPECT_TRUE(verification.intact) << verification.problem;
  EXPECT_EQ(verification.events_checked, 3);
  EXPECT_EQ(verification.first_broken_id, 0);
}

TEST_F(AuditRepositoryTest, EmptyLogVerifiesIntact) {
  const AuditVerification verification = Verify();
  EXPECT_TRUE(verification.intact);
  EXPECT_EQ(verification.events_checked, 0);
}

TEST_F(AuditRepositoryTest, ListFiltersByResourceAndActor) {
  Append({Event("alice", "certificates/a")});
  Append({Event("bob", "certificates/a")});
  Append({Event("alice", "certificates/b")});

  EXPECT_THAT(ListIds({.resource = "certificates/a"}), ElementsAre(2, 1));
  EXPECT_THAT(ListIds({.actor = "alice"}), ElementsAre(3, 1));
  EXPECT_THAT(ListIds({.resource = "certificates/a", .actor = "alice"}),
              ElementsAre(1));
  EXPECT_THAT(ListIds({.resource = "certificates/none"}), ElementsAre());
}

TEST_F(AuditRepositoryTest, ListFiltersByTimeSinceInclusiveUntilExclusive) {
  AppendFive();
  const std::vector<AuditEvent> all = List({});
  ASSERT_EQ(all.size(), 5u);
  const absl::Time middle = all[2].time;  // event 3
  std::vector<int64_t> at_or_after, before;
  for (const AuditEvent& e : all) {
    (e.time >= middle ? at_or_after : before).push_back(e.id);
  }
  EXPECT_EQ(ListIds({.since = middle}), at_or_after);
  EXPECT_EQ(ListIds({.until = middle}), before);
  EXPECT_THAT(ListIds({.since = middle}), ::testing::Contains(3));
  EXPECT_THAT(ListIds({.until = middle}), Not(::testing::Contains(3)));
  EXPECT_THAT(ListIds({.since = middle, .until = middle + absl::Hours(1)}),
              ::testing::Contains(3));
}

TEST_F(AuditRepositoryTest, KeysetPagesCoverEveryEventOnce) {
  AppendFive();
  EXPECT_THAT(ListIds({.page_size = 2}), ElementsAre(5, 4));
  EXPECT_THAT(ListIds({.before_id = 4, .page_size = 2}), ElementsAre(3, 2));
  EXPECT_THAT(ListIds({.before_id = 2, .page_size = 2}), ElementsAre(1));
}

TEST_F(AuditRepositoryTest, ServiceRoleCannotUpdateDeleteOrTruncate) {
  AppendFive();
  for (const std::string& sql :
       {std::string("UPDATE audit_events SET summary = 'forged' WHERE id = 2"),
        std::string("DELETE FROM audit_events WHERE id = 2"),
        std::string("TRUNCATE audit_events")}) {
    auto result = testing::QueryScalar(dsn_, sql);
    EXPECT_THAT(result, Not(IsOk())) << sql;
    if (!result.ok()) {
      EXPECT_THAT(std::string(result.status().message()),
                  HasSubstr("append-only"))
          << sql;
    }
  }
  EXPECT_EQ(*testing::QueryScalar(dsn_, "SELECT count(*) FROM audit_events"),
            "5");
  EXPECT_EQ(*testing::QueryScalar(
                dsn_, "SELECT summary FROM audit_events WHERE id = 2"),
            "event 2");
  EXPECT_TRUE(Verify().intact);
}

TEST_F(AuditRepositoryTest, ConcurrentAppendsFormOneIntactGaplessChain) {
  constexpr int kThreads = 6;
  constexpr int kAppendsPerThread = 20;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kAppendsPerThread; ++i) {
        const std::vector<NewAuditEvent> events = {
            Event(absl::StrCat("thread-", t), absl::StrCat("r", i)),
            Event(absl::StrCat("thread-", t), absl::StrCat("r", i, "-b"))};
        absl::Status status =
            db_->RunInTransaction("append", [&](Transaction& tx) {
              return AuditRepository::Append(tx, events);
            });
        if (!status.ok()) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  ASSERT_EQ(failures.load(), 0);

  const int64_t expected = kThreads * kAppendsPerThread * 2;
  const AuditVerification verification = Verify();
  EXPECT_TRUE(verification.intact) << verification.problem;
  EXPECT_EQ(verification.events_checked, expected);
  EXPECT_EQ(*testing::QueryScalar(
                dsn_, "SELECT count(*) = max(id) FROM audit_events"),
            "t");
}

TEST_F(AuditRepositoryTest, ChangedEventIsReportedAtItsOwnId) {
  AppendFive();
  Tamper("UPDATE audit_events SET summary = 'nothing happened' WHERE id = 3");

  const AuditVerification verification = Verify();
  EXPECT_FALSE(verification.intact);
  EXPECT_EQ(verification.first_broken_id, 3);
  EXPECT_EQ(verification.events_checked, 2);
  EXPECT_THAT(verification.problem, HasSubstr("does not match its hash"));
}

TEST_F(AuditRepositoryTest, ChangedEventWithRecomputedHashBreaksTheNextLink) {
  AppendFive();
  const std::vector<AuditEvent> all = List({});
  AuditEvent third = all[2];
  ASSERT_EQ(third.id, 3);
  third.event.actor = "mallory";
  const std::string forged = AuditRepository::ComputeHash(
      third.previous_hash, third.id, third.time, third.event);
  Tamper(absl::StrCat("UPDATE audit_events SET actor = 'mallory', hash = '",
                      forged, "' WHERE id = 3"));

  const AuditVerification verification = Verify();
  EXPECT_FALSE(verification.intact);
  EXPECT_EQ(verification.first_broken_id, 4);
  EXPECT_THAT(verification.problem, HasSubstr("previous_hash"));
}

TEST_F(AuditRepositoryTest, DeletedMiddleEventIsReportedAtTheNextEvent) {
  AppendFive();
  Tamper("DELETE FROM audit_events WHERE id = 3");

  const AuditVerification verification = Verify();
  EXPECT_FALSE(verification.intact);
  EXPECT_EQ(verification.first_broken_id, 4);
  EXPECT_EQ(verification.events_checked, 2);
  EXPECT_THAT(verification.problem, HasSubstr("missing"));
}

TEST_F(AuditRepositoryTest, DeletedNewestEventIsDetectedAgainstTheHead) {
  AppendFive();
  Tamper("DELETE FROM audit_events WHERE id = 5");

  const AuditVerification verification = Verify();
  EXPECT_FALSE(verification.intact);
  EXPECT_EQ(verification.first_broken_id, 5);
  EXPECT_EQ(verification.events_checked, 4);
  EXPECT_THAT(verification.problem, HasSubstr("chain head"));
}

TEST_F(AuditRepositoryTest, VerifyWalksMoreThanOnePage) {
  std::vector<NewAuditEvent> many(1500, Event("bulk", "r"));
  Append(many);
  Tamper("UPDATE audit_events SET outcome = 'NOT_FOUND' WHERE id = 1234");

  const AuditVerification verification = Verify();
  EXPECT_FALSE(verification.intact);
  EXPECT_EQ(verification.first_broken_id, 1234);
  EXPECT_EQ(verification.events_checked, 1233);
}

// Appending takes no lock: a transaction that appended and is still open
// does not hold up another that appends and commits.
TEST_F(AuditRepositoryTest, AppendsDoNotWaitForEachOther) {
  std::atomic<bool> other_committed{false};
  std::thread other;
  ASSERT_THAT(
      db_->RunInTransaction(
          "open_append",
          [&](Transaction& tx) -> absl::Status {
            CF_RETURN_IF_ERROR(
                AuditRepository::Append(tx, {Event("first", "r")}));
            other = std::thread([&] {
              Append({Event("second", "r")});
              other_committed = true;
            });
            if (!testing::WaitFor([&] { return other_committed.load(); },
                                  absl::Seconds(10))) {
              return absl::DeadlineExceededError("the other append waited");
            }
            return absl::OkStatus();
          }),
      IsOk());
  other.join();
  EXPECT_TRUE(other_committed);
  // Both are chained, in the order they became visible: "second" was
  // sealed as soon as it committed, "first" after (newest first here).
  const std::vector<AuditEvent> events = List({});
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].event.actor, "first");
  EXPECT_EQ(events[1].event.actor, "second");
  EXPECT_TRUE(Verify().intact);
}

// Events of a transaction that rolls back are never chained; committed
// ones are chained by the background sealer without anyone listing.
TEST_F(AuditRepositoryTest, SealerChainsCommittedEventsOnly) {
  EXPECT_THAT(
      db_->RunInTransaction("rolled_back",
                            [&](Transaction& tx) -> absl::Status {
                              CF_RETURN_IF_ERROR(AuditRepository::Append(
                                  tx, {Event("ghost", "r")}));
                              return absl::AbortedError("roll back");
                            }),
      ::certferry::testing::StatusIs(absl::StatusCode::kAborted));
  ASSERT_THAT(db_->RunInTransaction("append",
                                    [&](Transaction& tx) {
                                      return AuditRepository::Append(
                                          tx, {Event("real", "r")});
                                    }),
              IsOk());
  EXPECT_EQ(CountChained(), 0);
  {
    AuditSealer sealer(*db_, absl::Milliseconds(20));
    EXPECT_TRUE(testing::WaitFor([&] { return CountChained() == 1; },
                                 absl::Seconds(10)));
  }
  EXPECT_EQ(*testing::QueryScalar(dsn_, "SELECT actor FROM audit_events"),
            "real");
  EXPECT_EQ(*testing::QueryScalar(dsn_, "SELECT count(*) FROM audit_outbox"),
            "0");
}

}  // namespace
}  // namespace certferry::storage
