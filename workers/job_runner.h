#pragma once

// Runs durable jobs from PostgreSQL on a pool of worker threads.
//
// Threads: a dispatcher claims up to `claim_batch` jobs per statement, only
// as many as there are free workers (so claimed jobs never wait with a
// ticking lease); a listener wakes it on NOTIFY and it also polls; workers
// run handlers; completers write outcomes in batches; a maintenance
// thread renews leases (picking up cancellation requests) and reaps expired
// leases of any process. No transaction is open while a handler runs.
//
// Thread-safe. Handlers must be registered before Start. Shutdown stops
// claiming, gives back jobs not yet started, lets running jobs finish
// within the grace period and gives back the rest (their handlers are asked
// to cancel; their late completions are discarded).

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "common/secret_string.h"
#include "storage/database.h"
#include "storage/job_repository.h"
#include "workers/job_handler.h"
#include "workers/worker_config.h"

namespace certferry::workers {

class JobRunner {
 public:
  struct Stats {
    int64_t claimed = 0;
    int64_t succeeded = 0;
    int64_t failed = 0;   // ended in failure (permanent or out of attempts
                          // as far as this process knows)
    int64_t retried = 0;  // failed attempts scheduled again
    int64_t cancelled = 0;
  };

  // `db` must outlive the runner; `database_url` opens the LISTEN
  // connection.
  JobRunner(storage::Database& db, SecretString database_url,
            WorkerConfig config);
  ~JobRunner();

  JobRunner(const JobRunner&) = delete;
  JobRunner& operator=(const JobRunner&) = delete;

  // Registers the handler for `kind`; only registered kinds are claimed.
  void RegisterHandler(const std::string& kind,
                       std::shared_ptr<JobHandler> handler);

  // Starts the threads. FAILED_PRECONDITION if no handler is registered or
  // already started; UNAVAILABLE if the LISTEN connection fails.
  absl::Status Start();

  // See the class comment. Idempotent.
  void Shutdown(absl::Duration grace);

  Stats stats() const;
  const std::string& owner_id() const { return config_.owner_id; }

 private:
  struct RunningJob {
    storage::ClaimedJob job;
    std::unique_ptr<JobContext> context;
    bool released = false;  // given back at shutdown; drop its completion
    absl::Time started;     // when its handler began (InfiniteFuture before)
    std::string progress;   // latest note not yet written
  };

  void DispatchLoop();
  void ListenLoop();
  void WorkerLoop();
  void CompleterLoop();
  void MaintenanceLoop();
  void FlushProgress();
  void RunOne(RunningJob& running, absl::BitGen& random);
  // A succeeded job waiting for its completion (and effect) to commit.
  struct Success {
    storage::JobSuccess done;
    std::string kind;
    std::shared_ptr<JobEffect> effect;  // null: nothing to write
    int attempt = 0;
    int max_attempts = 0;
    size_t weight = 1;  // the effect's weight, at least 1
  };
  // Commits pending outcomes a transaction of up to completion_batch weight
  // at a time: everything if `all`, else while a full one is waiting. False
  // if a commit failed (its outcomes stay pending).
  bool FlushCompletions(bool all);
  enum class ChunkOutcome { kNothing, kCommitted, kFailed };
  ChunkOutcome FlushCompletionChunk();
  // Writes the effects of `successes` whose lease is still held, then marks
  // them succeeded, in `tx`.
  // Appends the outcome of every job that changed to `outcomes`.
  absl::Status CommitSuccesses(storage::Transaction& tx,
                               std::vector<Success>& successes,
                               std::vector<storage::JobOutcome>& outcomes);
  // One audit event per outcome (end, or retry) of an audited kind, in one
  // Append.
  // `reaped`: the outcomes are of jobs whose worker's lease expired.
  absl::Status AuditOutcomes(storage::Transaction& tx,
                             const std::vector<storage::JobOutcome>& outcomes,
                             const std::vector<storage::JobFailure>& failures,
                             bool reaped = false);
  // Whether this runner's handler of `kind` asks for audit events.
  bool IsAudited(const std::string& kind) const;
  storage::JobFailure FailureOfEffect(const Success& success,
                                      const absl::Status& status);
  void ReleaseJobs(const std::vector<storage::LeaseRef>& leases);

  storage::Database& db_;
  SecretString database_url_;
  WorkerConfig config_;
  std::map<std::string, std::shared_ptr<JobHandler>> handlers_;
  std::vector<std::string> kinds_;

  mutable std::mutex mu_;
  std::condition_variable dispatch_cv_;
  std::condition_variable work_cv_;
  std::condition_variable completion_cv_;
  std::condition_variable idle_cv_;
  std::condition_variable maintenance_cv_;
  std::deque<std::shared_ptr<RunningJob>> pending_;
  std::map<int64_t, std::shared_ptr<RunningJob>> active_;  // pending+running
  int busy_ = 0;
  int reserved_ = 0;  // slots of claims in flight
  bool wake_ = true;
  bool started_ = false;
  bool stopping_ = false;
  bool stop_workers_ = false;
  bool stop_background_ = false;
  std::vector<Success> successes_;
  std::vector<storage::JobFailure> failures_;
  // Sum of the weights of successes_ and failures_ (1 each).
  size_t pending_weight_ = 0;

  std::atomic<int64_t> claimed_{0};
  std::atomic<int64_t> succeeded_{0};
  std::atomic<int64_t> failed_{0};
  std::atomic<int64_t> retried_{0};
  std::atomic<int64_t> cancelled_{0};

  std::vector<std::thread> dispatchers_;
  std::thread listener_;
  std::vector<std::thread> completers_;
  std::thread maintenance_;
  std::vector<std::thread> workers_;
};

}  // namespace certferry::workers
