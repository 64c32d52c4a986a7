// Queue throughput: enqueues --jobs no-op jobs in bulk, then starts a
// JobRunner and measures how fast its workers drain them (claim, run,
// durable completion). bench/run_queue_bench prints it next to pgbench -N
// on the same database.
//
//   queue_bench --dsn 'host=... dbname=...' --jobs 50000 --workers 8

#include <cstdio>
#include <map>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "storage/database.h"
#include "storage/job_repository.h"
#include "storage/migrations.h"
#include "workers/job_runner.h"

ABSL_FLAG(std::string, dsn, "", "PostgreSQL connection string");
ABSL_FLAG(int, jobs, 50000, "no-op jobs to drain");
ABSL_FLAG(int, workers, 8, "worker threads");
ABSL_FLAG(int, claim_batch, 64, "jobs per claim statement");
ABSL_FLAG(int, prefetch, 64, "jobs claimed ahead of free workers");
ABSL_FLAG(int, claimers, 2, "claim statements in flight");
ABSL_FLAG(int, completion_batch, 512, "outcomes per completion statement");

namespace {

using namespace certferry;

class NoopHandler final : public workers::JobHandler {
 public:
  absl::StatusOr<std::string> Run(workers::JobContext&) override {
    return std::string("{}");
  }
};

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const int total = absl::GetFlag(FLAGS_jobs);
  storage::DatabaseConfig db_config;
  db_config.url = SecretString(absl::GetFlag(FLAGS_dsn));
  db_config.pool_size = 8;
  auto db = storage::Database::Connect(db_config);
  if (!db.ok()) {
    std::fprintf(stderr, "%s\n", std::string(db.status().message()).c_str());
    return 1;
  }
  auto migrated = storage::ApplyMigrations(**db, storage::EmbeddedMigrations());
  if (!migrated.ok()) return 1;

  // Drained: every outcome committed, as the database reports it (earlier
  // runs on the same database are counted out).
  auto succeeded = [&]() -> int64_t {
    auto counts = (*db)->RunAutocommit<std::map<model::JobState, int64_t>>(
        "count", [](storage::Transaction& tx) {
          return storage::JobRepository::CountByState(tx, "bench_noop");
        });
    return counts.ok() ? (*counts)[model::JobState::kSucceeded] : -1;
  };
  const int64_t succeeded_before = succeeded();
  const absl::Time enqueue_start = absl::Now();
  for (int done = 0; done < total;) {
    const int chunk = std::min(5000, total - done);
    std::vector<storage::NewJob> jobs(chunk,
                                      storage::NewJob{.kind = "bench_noop"});
    absl::Status status =
        (*db)->RunInTransaction("enqueue", [&](storage::Transaction& tx) {
          return storage::JobRepository::EnqueueMany(tx, jobs).status();
        });
    if (!status.ok()) return 1;
    done += chunk;
  }
  const absl::Duration enqueue_time = absl::Now() - enqueue_start;

  workers::WorkerConfig config;
  config.worker_threads = absl::GetFlag(FLAGS_workers);
  config.claim_batch = absl::GetFlag(FLAGS_claim_batch);
  config.prefetch = absl::GetFlag(FLAGS_prefetch);
  config.claimers = absl::GetFlag(FLAGS_claimers);
  config.completion_batch = absl::GetFlag(FLAGS_completion_batch);
  workers::JobRunner runner(**db, db_config.url, config);
  runner.RegisterHandler("bench_noop", std::make_shared<NoopHandler>());
  const absl::Time start = absl::Now();
  if (!runner.Start().ok()) return 1;
  while (runner.stats().succeeded < total) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  while (succeeded() != succeeded_before + total) {
    absl::SleepFor(absl::Milliseconds(2));
  }
  const absl::Duration drain_time = absl::Now() - start;
  runner.Shutdown(absl::Seconds(10));
  std::printf("enqueued %d jobs in %.2fs (%.0f jobs/s, bulk insert)\n", total,
              absl::ToDoubleSeconds(enqueue_time),
              total / absl::ToDoubleSeconds(enqueue_time));
  std::printf(
      "drained  %d jobs in %.2fs: %.0f jobs/s (%d workers, claim "
      "batch %d, prefetch %d, %d claimers, completion batch %d)\n",
      total, absl::ToDoubleSeconds(drain_time),
      total / absl::ToDoubleSeconds(drain_time), config.worker_threads,
      config.claim_batch, config.prefetch, config.claimers,
      config.completion_batch);
  return 0;
}
