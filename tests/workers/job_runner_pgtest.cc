// The job queue and runner against a real PostgreSQL.

#include <atomic>
#include <map>
#include <mutex>
#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/audit_repository.h"
#include "storage/job_repository.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_database.h"
#include "tests/support/wait_for.h"
#include "workers/job_runner.h"

namespace certferry::workers {
namespace {

using ::certferry::testing::IsOk;
using ::certferry::testing::WaitFor;
using model::JobState;
using ::testing::HasSubstr;

// A handler driven by a function, counting runs per job id.
class FunctionHandler final : public JobHandler {
 public:
  using Fn = std::function<absl::StatusOr<std::string>(JobContext&)>;
  explicit FunctionHandler(Fn fn) : fn_(std::move(fn)) {}
  absl::StatusOr<std::string> Run(JobContext& context) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++runs_[context.id()];
    }
    return fn_(context);
  }
  std::map<int64_t, int> runs() const {
    std::lock_guard<std::mutex> lock(mu_);
    return runs_;
  }

 private:
  Fn fn_;
  mutable std::mutex mu_;
  std::map<int64_t, int> runs_;
};

// A FunctionHandler whose kind is audited.
class AuditedHandler final : public JobHandler {
 public:
  explicit AuditedHandler(FunctionHandler::Fn fn) : inner_(std::move(fn)) {}
  absl::StatusOr<std::string> Run(JobContext& context) override {
    return inner_.Run(context);
  }
  bool audited() const override { return true; }

 private:
  FunctionHandler inner_;
};

class JobRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto test_db = testing::CreateMigratedTestDatabase();
    ASSERT_THAT(test_db, IsOk());
    dsn_ = test_db->dsn;
    auto db = testing::ConnectTestDatabase(dsn_, 6);
    ASSERT_THAT(db, IsOk());
    db_ = *std::move(db);
    config_.worker_threads = 4;
    config_.lease = absl::Seconds(3);
    config_.poll_interval = absl::Milliseconds(200);
    config_.reap_interval = absl::Milliseconds(100);
    config_.backoff.initial = absl::Milliseconds(50);
    config_.backoff.maximum = absl::Milliseconds(200);
  }

  std::unique_ptr<JobRunner> StartRunner(std::shared_ptr<JobHandler> handler,
                                         WorkerConfig config) {
    auto runner = std::make_unique<JobRunner>(*db_, SecretString(dsn_), config);
    runner->RegisterHandler("test", std::move(handler));
    EXPECT_THAT(runner->Start(), IsOk());
    return runner;
  }

  int64_t Enqueue(storage::NewJob job) {
    job.kind = job.kind.empty() ? "test" : job.kind;
    auto enqueued = db_->RunInTransaction<storage::EnqueuedJob>(
        "enqueue",
        [&](storage::Transaction& tx) -> absl::StatusOr<storage::EnqueuedJob> {
          auto enqueued = storage::JobRepository::Enqueue(tx, job);
          if (enqueued.ok()) {
            CF_RETURN_IF_ERROR(storage::JobRepository::NotifyWorkers(tx));
          }
          return enqueued;
        });
    EXPECT_THAT(enqueued, IsOk());
    return enqueued.ok() ? enqueued->id : 0;
  }

  model::Job Get(int64_t id) {
    auto job =
        db_->RunInTransaction<model::Job>("get", [&](storage::Transaction& tx) {
          return storage::JobRepository::Get(tx, id);
        });
    EXPECT_THAT(job, IsOk());
    return job.ok() ? *job : model::Job{};
  }

  bool WaitForState(int64_t id, JobState state,
                    absl::Duration timeout = absl::Seconds(20)) {
    return WaitFor([&] { return Get(id).state == state; }, timeout);
  }

  int CountState(const std::string& state) {
    return std::stoi(*testing::QueryScalar(
        dsn_, "SELECT count(*) FROM jobs WHERE state = '" + state + "'"));
  }

  std::string dsn_;
  std::unique_ptr<storage::Database> db_;
  WorkerConfig config_;
};

// A handler whose effect is a row in `effects`, written by CommitEffects;
// a payload of {"bad": true} makes its effect violate a CHECK constraint.
class EffectHandler final : public JobHandler {
 public:
  struct Row final : JobEffect {
    size_t weight() const override { return rows; }
    int64_t job_id = 0;
    int value = 0;
    size_t rows = 1;
  };
  using Hook = std::function<void(JobContext&)>;
  explicit EffectHandler(Hook before_return = nullptr, size_t weight = 1)
      : before_return_(std::move(before_return)), weight_(weight) {}

  // The largest total weight one CommitEffects call (one transaction) got.
  size_t max_weight_per_commit() const { return max_weight_.load(); }

  absl::StatusOr<std::string> Run(JobContext& c) override {
    auto row = std::make_shared<Row>();
    row->rows = weight_;
    row->job_id = c.id();
    row->value = c.payload_json().find("bad") != std::string::npos ? -1 : 1;
    c.SetEffect(row);
    if (before_return_) before_return_(c);
    return std::string("{}");
  }
  absl::Status CommitEffects(storage::Transaction& tx,
                             std::vector<PendingEffect>& effects) override {
    size_t weight = 0;
    for (PendingEffect& e : effects) weight += e.effect->weight();
    size_t seen = max_weight_.load();
    while (weight > seen && !max_weight_.compare_exchange_weak(seen, weight)) {
    }
    for (PendingEffect& e : effects) {
      const auto* row = static_cast<Row*>(e.effect);
      tx.pqxx().exec_params0("INSERT INTO effects VALUES ($1, $2)", row->job_id,
                             row->value);
      *e.result_json = absl::StrCat("{\"stored\": ", row->job_id, "}");
    }
    return absl::OkStatus();
  }

 private:
  Hook before_return_;
  size_t weight_;
  std::atomic<size_t> max_weight_{0};
};

TEST_F(JobRunnerTest, EffectsCommitWithTheirCompletionExactlyOnce) {
  ASSERT_THAT(
      testing::QueryScalar(dsn_,
                           "CREATE TABLE effects (job_id bigint "
                           "PRIMARY KEY, v int NOT NULL CHECK (v > 0))"),
      IsOk());
  std::vector<int64_t> ids;
  for (int i = 0; i < 200; ++i) ids.push_back(Enqueue({.payload_json = "{}"}));
  // One job's effect cannot be stored: it alone fails, the batch does not.
  const int64_t bad =
      Enqueue({.payload_json = "{\"bad\": true}", .max_attempts = 1});
  auto runner = StartRunner(std::make_shared<EffectHandler>(), config_);
  ASSERT_TRUE(WaitFor([&] { return CountState("succeeded") == 200; }));
  ASSERT_TRUE(WaitForState(bad, JobState::kFailed));
  EXPECT_EQ(*testing::QueryScalar(dsn_, "SELECT count(*) FROM effects"), "200");
  EXPECT_EQ(Get(ids[17]).result_json,
            absl::StrCat("{\"stored\": ", ids[17], "}"));
  EXPECT_THAT(Get(bad).last_error, HasSubstr("constraint violated"));
}

// Heavy effects (a batch job's many rows) are spread over transactions of
// at most completion_batch weight instead of riding in one.
TEST_F(JobRunnerTest, CompletionTransactionsAreSizedByEffectWeight) {
  ASSERT_THAT(testing::QueryScalar(dsn_,
                                   "CREATE TABLE effects (job_id bigint "
                                   "PRIMARY KEY, v int NOT NULL)"),
              IsOk());
  for (int i = 0; i < 60; ++i) Enqueue({.payload_json = "{}"});
  config_.completion_batch = 8;
  config_.completion_flush_interval = absl::Milliseconds(200);
  auto handler = std::make_shared<EffectHandler>(nullptr, /*weight=*/3);
  auto runner = StartRunner(handler, config_);
  ASSERT_TRUE(WaitFor([&] { return CountState("succeeded") == 60; }));
  EXPECT_EQ(*testing::QueryScalar(dsn_, "SELECT count(*) FROM effects"), "60");
  EXPECT_GE(handler->max_weight_per_commit(), 3u);
  EXPECT_LE(handler->max_weight_per_commit(), 6u);  // two effects of 3
}

TEST_F(JobRunnerTest, EffectOfAJobWhoseLeaseWasTakenOverIsNotWritten) {
  ASSERT_THAT(testing::QueryScalar(dsn_,
                                   "CREATE TABLE effects (job_id bigint "
                                   "PRIMARY KEY, v int NOT NULL)"),
              IsOk());
  const int64_t id = Enqueue({.payload_json = "{}"});
  // While the handler runs, another worker takes the job over (its lease
  // token changes), as after this process stalled past its lease.
  auto handler = std::make_shared<EffectHandler>([&](JobContext&) {
    (void)testing::QueryScalar(
        dsn_, absl::StrCat("UPDATE jobs SET lease_token = lease_token + 1 "
                           "WHERE id = ",
                           id, " RETURNING id"));
  });
  auto runner = StartRunner(handler, config_);
  ASSERT_TRUE(WaitFor([&] { return runner->stats().succeeded == 1; }));
  runner->Shutdown(absl::Seconds(5));
  EXPECT_EQ(*testing::QueryScalar(dsn_, "SELECT count(*) FROM effects"), "0");
  EXPECT_EQ(Get(id).state, JobState::kRunning);  // still the other's
}

TEST_F(JobRunnerTest, ProgressOfALongJobBecomesVisibleWhileItRuns) {
  config_.progress_flush_interval = absl::Milliseconds(50);
  std::atomic<bool> release{false};
  auto handler = std::make_shared<FunctionHandler>([&](JobContext& c) {
    c.ReportProgress("step 1 of 2");
    // Runs until the test has seen the note in the database.
    testing::WaitFor([&] { return release.load(); }, absl::Seconds(20));
    return std::string("{}");
  });
  const int64_t id = Enqueue({.payload_json = "{}"});
  auto runner = StartRunner(handler, config_);
  EXPECT_TRUE(WaitFor([&] { return Get(id).progress == "step 1 of 2"; }));
  EXPECT_EQ(Get(id).state, JobState::kRunning);
  release = true;
  ASSERT_TRUE(WaitForState(id, JobState::kSucceeded));
}

TEST_F(JobRunnerTest, RunsEveryJobOnceAndStoresItsResult) {
  auto handler = std::make_shared<FunctionHandler>([](JobContext& c) {
    return absl::StrCat("{\"echo\": ", c.payload_json(), "}");
  });
  std::vector<int64_t> ids;
  for (int i = 0; i < 100; ++i) {
    ids.push_back(Enqueue({.payload_json = absl::StrCat("{\"n\": ", i, "}")}));
  }
  auto runner = StartRunner(handler, config_);
  ASSERT_TRUE(WaitFor([&] { return CountState("succeeded") == 100; }));
  for (const auto& [id, runs] : handler->runs()) EXPECT_EQ(runs, 1) << id;
  EXPECT_EQ(handler->runs().size(), 100u);
  model::Job job = Get(ids[7]);
  EXPECT_EQ(job.result_json, "{\"echo\": {\"n\": 7}}");
  EXPECT_EQ(job.attempts, 1);
  EXPECT_TRUE(job.finish_time.has_value());
}

TEST_F(JobRunnerTest, WakesOnNotifyWithoutWaitingForThePoll) {
  config_.poll_interval = absl::Seconds(30);
  auto handler = std::make_shared<FunctionHandler>(
      [](JobContext&) -> absl::StatusOr<std::string> { return "{}"; });
  auto runner = StartRunner(handler, config_);
  // After this one the dispatcher has drained the queue and sleeps for the
  // 30 s poll interval; only a notification can wake it for the next job.
  ASSERT_TRUE(WaitForState(Enqueue({}), JobState::kSucceeded));
  const int64_t id = Enqueue({});
  EXPECT_TRUE(WaitForState(id, JobState::kSucceeded, absl::Seconds(10)));
}

TEST_F(JobRunnerTest, SameIdempotencyKeyEnqueuesOnce) {
  auto first = db_->RunInTransaction<storage::EnqueuedJob>(
      "e1", [&](storage::Transaction& tx) {
        return storage::JobRepository::Enqueue(
            tx, {.kind = "test", .idempotency_key = "k-1"});
      });
  auto second = db_->RunInTransaction<storage::EnqueuedJob>(
      "e2", [&](storage::Transaction& tx) {
        return storage::JobRepository::Enqueue(
            tx, {.kind = "test", .idempotency_key = "k-1"});
      });
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(second, IsOk());
  EXPECT_TRUE(first->created);
  EXPECT_FALSE(second->created);
  EXPECT_EQ(first->id, second->id);
  EXPECT_EQ(*testing::QueryScalar(dsn_, "SELECT count(*) FROM jobs"), "1");
}

TEST_F(JobRunnerTest, RetryableErrorsAreRetriedWithBackoffUntilSuccess) {
  std::mutex mu;
  std::vector<absl::Time> attempt_times;
  auto handler = std::make_shared<FunctionHandler>(
      [&](JobContext& c) -> absl::StatusOr<std::string> {
        {
          std::lock_guard<std::mutex> lock(mu);
          attempt_times.push_back(absl::Now());
        }
        if (c.attempt() < 3) return absl::UnavailableError("flaky peer");
        return "{}";
      });
  const int64_t id = Enqueue({.max_attempts = 5});
  auto runner = StartRunner(handler, config_);
  ASSERT_TRUE(WaitForState(id, JobState::kSucceeded));
  model::Job job = Get(id);
  EXPECT_EQ(job.attempts, 3);
  EXPECT_EQ(job.last_error, "flaky peer");  // the last failure is kept
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(attempt_times.size(), 3u);
  // Equal jitter: at least half of 50 ms, then of 100 ms.
  EXPECT_GE(attempt_times[1] - attempt_times[0], absl::Milliseconds(25));
  EXPECT_GE(attempt_times[2] - attempt_times[1], absl::Milliseconds(50));
  EXPECT_EQ(runner->stats().retried, 2);
}

TEST_F(JobRunnerTest, PermanentErrorFailsAtOnceKeepingTheError) {
  auto handler = std::make_shared<FunctionHandler>(
      [](JobContext&) -> absl::StatusOr<std::string> {
        return absl::InvalidArgumentError("domains[0]: bad");
      });
  const int64_t id = Enqueue({.max_attempts = 5});
  auto runner = StartRunner(handler, config_);
  ASSERT_TRUE(WaitForState(id, JobState::kFailed));
  model::Job job = Get(id);
  EXPECT_EQ(job.attempts, 1);
  EXPECT_EQ(job.last_error, "domains[0]: bad");
  EXPECT_EQ(job.last_error_code,
            static_cast<int>(absl::StatusCode::kInvalidArgument));
}

TEST_F(JobRunnerTest, ExhaustedAttemptsEndInFailed) {
  auto handler = std::make_shared<FunctionHandler>(
      [](JobContext&) -> absl::StatusOr<std::string> {
        return absl::UnavailableError("still down");
      });
  const int64_t id = Enqueue({.max_attempts = 3});
  auto runner = StartRunner(handler, config_);
  ASSERT_TRUE(WaitForState(id, JobState::kFailed));
  EXPECT_EQ(Get(id).attempts, 3);
  EXPECT_EQ(handler->runs().at(id), 3);
}

TEST_F(JobRunnerTest, CancellingAQueuedJobIsImmediateAndItNeverRuns) {
  const int64_t id = Enqueue({});
  auto cancelled = db_->RunInTransaction<model::Job>(
      "cancel", [&](storage::Transaction& tx) {
        return storage::JobRepository::Cancel(tx, id);
      });
  ASSERT_THAT(cancelled, IsOk());
  EXPECT_EQ(cancelled->state, JobState::kCancelled);
  const int64_t other = Enqueue({});
  auto handler = std::make_shared<FunctionHandler>(
      [](JobContext&) -> absl::StatusOr<std::string> { return "{}"; });
  auto runner = StartRunner(handler, config_);
  ASSERT_TRUE(WaitForState(other, JobState::kSucceeded));
  EXPECT_EQ(handler->runs().count(id), 0u);
  EXPECT_EQ(Get(id).state, JobState::kCancelled);
}

TEST_F(JobRunnerTest, CancellingARunningJobIsCooperative) {
  config_.lease = absl::Milliseconds(600);  // renewals every 200 ms
  std::atomic<bool> started{false};
  auto handler = std::make_shared<FunctionHandler>(
      [&](JobContext& c) -> absl::StatusOr<std::string> {
        started = true;
        if (!WaitFor([&] { return c.cancel_requested(); }, absl::Seconds(20))) {
          return absl::InternalError("never asked to cancel");
        }
        return absl::CancelledError("stopped on request");
      });
  const int64_t id = Enqueue({});
  auto runner = StartRunner(handler, config_);
  ASSERT_TRUE(WaitFor([&] { return started.load(); }));
  auto cancelled = db_->RunInTransaction<model::Job>(
      "cancel", [&](storage::Transaction& tx) {
        return storage::JobRepository::Cancel(tx, id);
      });
  ASSERT_THAT(cancelled, IsOk());
  EXPECT_EQ(cancelled->state, JobState::kRunning);
  EXPECT_TRUE(cancelled->cancel_requested);
  ASSERT_TRUE(WaitForState(id, JobState::kCancelled));
  EXPECT_EQ(runner->stats().cancelled, 1);
}

TEST_F(JobRunnerTest, ExpiredLeaseOfACrashedWorkerIsTakenUpAgain) {
  const int64_t id = Enqueue({});
  // A "worker" claims the job and dies without completing it.
  auto claimed = db_->RunInTransaction<std::vector<storage::ClaimedJob>>(
      "claim", [&](storage::Transaction& tx) {
        return storage::JobRepository::Claim(tx, {"test"}, "dead-worker", 10,
                                             absl::Milliseconds(200));
      });
  ASSERT_THAT(claimed, IsOk());
  ASSERT_EQ(claimed->size(), 1u);
  auto handler = std::make_shared<FunctionHandler>(
      [](JobContext&) -> absl::StatusOr<std::string> { return "{}"; });
  auto runner = StartRunner(handler, config_);
  ASSERT_TRUE(WaitForState(id, JobState::kSucceeded));
  EXPECT_EQ(Get(id).attempts, 2);

  // The dead worker's late completion is fenced out by its stale token.
  auto stale =
      db_->RunInTransaction<int>("stale", [&](storage::Transaction& tx) {
        return storage::JobRepository::CompleteFailed(
            tx, {{.lease = {id, (*claimed)[0].lease_token},
                  .error = "late",
                  .permanent = true}});
      });
  ASSERT_THAT(stale, IsOk());
  EXPECT_EQ(*stale, 0);
  EXPECT_EQ(Get(id).state, JobState::kSucceeded);
}

TEST_F(JobRunnerTest, ShutdownGivesBackJobsThatDidNotFinishInTime) {
  std::atomic<bool> started{false};
  auto handler = std::make_shared<FunctionHandler>(
      [&](JobContext& c) -> absl::StatusOr<std::string> {
        started = true;
        WaitFor([&] { return c.cancel_requested(); }, absl::Seconds(20));
        return absl::CancelledError("shutting down");
      });
  const int64_t id = Enqueue({});
  auto runner = StartRunner(handler, config_);
  ASSERT_TRUE(WaitFor([&] { return started.load(); }));
  runner->Shutdown(absl::Milliseconds(100));
  model::Job job = Get(id);
  EXPECT_EQ(job.state, JobState::kQueued);
  EXPECT_EQ(job.attempts, 0);  // a given-back run does not use up an attempt
  EXPECT_TRUE(job.lease_owner.empty());
}

TEST_F(JobRunnerTest, ShutdownLetsShortJobsFinish) {
  std::atomic<bool> release{false};
  std::atomic<bool> started{false};
  auto handler = std::make_shared<FunctionHandler>(
      [&](JobContext&) -> absl::StatusOr<std::string> {
        started = true;
        WaitFor([&] { return release.load(); }, absl::Seconds(20));
        return "{\"done\": true}";
      });
  const int64_t id = Enqueue({});
  auto runner = StartRunner(handler, config_);
  ASSERT_TRUE(WaitFor([&] { return started.load(); }));
  std::thread releaser([&] { release = true; });
  runner->Shutdown(absl::Seconds(20));
  releaser.join();
  EXPECT_EQ(Get(id).state, JobState::kSucceeded);
}

TEST_F(JobRunnerTest, TwoRunnersShareTheQueueWithoutRunningAnyJobTwice) {
  // Each runner's jobs wait until the other runner has run one, so neither
  // can drain the queue alone however the two start.
  std::atomic<int> ran_a{0}, ran_b{0};
  auto waits_for = [](std::atomic<int>& mine, std::atomic<int>& other) {
    return [&mine, &other](JobContext&) -> absl::StatusOr<std::string> {
      ++mine;
      if (!WaitFor([&] { return other.load() > 0; }, absl::Seconds(20))) {
        return absl::DeadlineExceededError("the other runner ran nothing");
      }
      return std::string("{}");
    };
  };
  auto handler_a = std::make_shared<FunctionHandler>(waits_for(ran_a, ran_b));
  auto handler_b = std::make_shared<FunctionHandler>(waits_for(ran_b, ran_a));
  std::vector<storage::NewJob> jobs(300, storage::NewJob{.kind = "test"});
  ASSERT_THAT(db_->RunInTransaction<std::vector<model::Job>>(
                  "bulk",
                  [&](storage::Transaction& tx) {
                    return storage::JobRepository::EnqueueMany(tx, jobs);
                  }),
              IsOk());
  config_.claim_batch = 4;
  config_.prefetch = 4;
  auto a = StartRunner(handler_a, config_);
  auto b = StartRunner(handler_b, config_);
  ASSERT_TRUE(WaitFor([&] { return CountState("succeeded") == 300; }));
  std::map<int64_t, int> runs = handler_a->runs();
  for (const auto& [id, count] : handler_b->runs()) runs[id] += count;
  EXPECT_EQ(runs.size(), 300u);
  for (const auto& [id, count] : runs) EXPECT_EQ(count, 1) << id;
  EXPECT_GT(a->stats().succeeded, 0);
  EXPECT_GT(b->stats().succeeded, 0);
}

}  // namespace
}  // namespace certferry::workers

namespace certferry::workers {
namespace {

TEST_F(JobRunnerTest, AuditedKindsRecordEveryStateChangeAndOthersNothing) {
  // A job whose worker vanished: running, its lease long expired.
  const int64_t orphan = Enqueue({.kind = "audited"});
  ASSERT_THAT(testing::QueryScalar(
                  dsn_, absl::StrCat("UPDATE jobs SET state = 'running', "
                                     "attempts = 1, lease_owner = 'gone', "
                                     "lease_token = 1, lease_expires_at = "
                                     "now() - interval '1 minute' WHERE id = ",
                                     orphan, " RETURNING id")),
              IsOk());
  auto runner = std::make_unique<JobRunner>(*db_, SecretString(dsn_), config_);
  runner->RegisterHandler(
      "test",
      std::make_shared<FunctionHandler>(
          [](JobContext&) -> absl::StatusOr<std::string> { return "{}"; }));
  runner->RegisterHandler(
      "audited", std::make_shared<AuditedHandler>(
                     [](JobContext& context) -> absl::StatusOr<std::string> {
                       if (context.payload_json() == "{\"fail\": true}") {
                         return absl::InvalidArgumentError("bad payload");
                       }
                       if (context.payload_json() == "{\"retry\": true}" &&
                           context.attempt() == 1) {
                         return absl::UnavailableError("try again");
                       }
                       return "{}";
                     }));
  ASSERT_THAT(runner->Start(), IsOk());
  const int64_t plain = Enqueue({.kind = "test"});
  const int64_t succeeds = Enqueue({.kind = "audited"});
  const int64_t fails =
      Enqueue({.kind = "audited", .payload_json = "{\"fail\": true}"});
  const int64_t retries =
      Enqueue({.kind = "audited", .payload_json = "{\"retry\": true}"});
  for (int64_t id : {plain, succeeds, retries, orphan}) {
    ASSERT_TRUE(WaitForState(id, JobState::kSucceeded)) << id;
  }
  ASSERT_TRUE(WaitForState(fails, JobState::kFailed));

  ASSERT_THAT(
      db_->RunInTransaction("seal",
                            [](storage::Transaction& tx) {
                              return storage::AuditRepository::SealAll(tx);
                            }),
      IsOk());
  auto events_of = [&](int64_t id) {
    return *testing::QueryScalar(
        dsn_, absl::StrCat("SELECT coalesce(string_agg(actor || ' ' || action "
                           "|| ' ' || outcome, ';' ORDER BY id), '') FROM "
                           "audit_events WHERE resource = 'operations/",
                           id, "'"));
  };
  EXPECT_EQ(events_of(plain), "");
  EXPECT_EQ(events_of(succeeds),
            "system job.running ok;system job.succeeded ok");
  EXPECT_EQ(events_of(fails),
            "system job.running ok;system job.failed INVALID_ARGUMENT");
  EXPECT_EQ(events_of(retries),
            "system job.running ok;system job.retrying UNAVAILABLE;"
            "system job.running ok;system job.succeeded ok");
  EXPECT_EQ(events_of(orphan),
            "system job.retrying UNAVAILABLE;system job.running ok;"
            "system job.succeeded ok");
  EXPECT_THAT(*testing::QueryScalar(
                  dsn_, absl::StrCat("SELECT summary FROM audit_events WHERE "
                                     "resource = 'operations/",
                                     orphan, "' ORDER BY id LIMIT 1")),
              HasSubstr("worker lease expired"));
}

}  // namespace
}  // namespace certferry::workers
