#pragma once

// The durable job queue: enqueue, claim with FOR UPDATE SKIP LOCKED, lease
// renewal, batched completion, lease reaping, cancellation and listing.
// Every call runs in the caller's Transaction; the caller commits. Claims
// and completions are meant to run in their own short transactions (never
// held open while a job runs). Stateless and thread-safe.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "model/job.h"
#include "storage/transaction.h"

namespace certferry::storage {

struct NewJob {
  std::string kind;
  std::string payload_json = "{}";
  int priority = 0;
  std::optional<absl::Time> run_at;  // default: now
  int max_attempts = 10;
  // Unique across all jobs ever enqueued; empty for none.
  std::string idempotency_key;
};

struct EnqueuedJob {
  int64_t id = 0;
  bool created = false;  // false: the idempotency key already had this job
};

struct ClaimedJob {
  int64_t id = 0;
  std::string kind;
  std::string payload_json;
  int attempt = 0;  // 1 for the first run
  int max_attempts = 0;
  int64_t lease_token = 0;
  bool cancel_requested = false;
};

struct LeaseRef {
  int64_t id = 0;
  int64_t lease_token = 0;
};

struct JobSuccess {
  LeaseRef lease;
  std::string result_json = "{}";
};

struct JobFailure {
  LeaseRef lease;
  std::string error;
  int error_code = 0;      // absl::StatusCode
  bool permanent = false;  // no retry
  bool cancelled = false;  // ends in `cancelled`
  absl::Duration retry_delay;
};

// A job's state after a completion changed it.
struct JobOutcome {
  int64_t id = 0;
  model::JobState state = model::JobState::kQueued;
  std::string kind;
};

struct JobListQuery {
  int page_size = 50;
  int64_t before_id = 0;  // keyset cursor: ids strictly below; 0 = newest
  std::optional<model::JobState> state;
  std::string kind;
};

class JobRepository {
 public:
  // Inserts a job. With an idempotency key that exists already, returns
  // that job with created = false. Does not wake workers: after commit, call
  // JobNotifier::JobsEnqueued (or NotifyWorkers in a later transaction), or
  // they find the job at their next poll.
  static absl::StatusOr<EnqueuedJob> Enqueue(Transaction& tx,
                                             const NewJob& job);

  // Inserts many jobs in one statement (no idempotency keys, priority 0, to
  // run now). Returns them as stored,
  // in input order. Wakes no workers, as Enqueue.
  static absl::StatusOr<std::vector<model::Job>> EnqueueMany(
      Transaction& tx, const std::vector<NewJob>& jobs);

  // Wakes idle workers of every replica when `tx` commits. Each notifying
  // transaction's commit takes PostgreSQL's notify lock: use JobNotifier on
  // hot paths.
  static absl::Status NotifyWorkers(Transaction& tx);

  // Claims up to `limit` ready jobs of `kinds` for `owner`, leasing them
  // for `lease`; increments their attempt count.
  static absl::StatusOr<std::vector<ClaimedJob>> Claim(
      Transaction& tx, const std::vector<std::string>& kinds,
      const std::string& owner, int limit, absl::Duration lease);

  // Extends the leases `owner` still holds. Returns the ids among them
  // whose cancellation was requested. Leases lost to the reaper are skipped.
  static absl::StatusOr<std::vector<int64_t>> RenewLeases(
      Transaction& tx, const std::string& owner,
      const std::vector<LeaseRef>& leases, absl::Duration lease);

  // Records outcomes. A completion whose lease token no longer matches (the
  // job was reaped and re-claimed) changes nothing. Returns how many rows
  // changed.
  // Of `leases`, the jobs whose lease is still that token, locked until
  // the end of `tx`.
  static absl::StatusOr<std::vector<int64_t>> LockLeased(
      Transaction& tx, const std::vector<LeaseRef>& leases);

  // With `outcomes`, appends the id, new state and kind of every job that
  // changed (for the audit log of job outcomes).
  static absl::StatusOr<int> CompleteSucceeded(
      Transaction& tx, const std::vector<JobSuccess>& results,
      std::vector<JobOutcome>* outcomes = nullptr);
  static absl::StatusOr<int> CompleteFailed(
      Transaction& tx, const std::vector<JobFailure>& failures,
      std::vector<JobOutcome>* outcomes = nullptr);

  // Puts running jobs back in the queue without counting the attempt.
  static absl::StatusOr<int> Release(Transaction& tx,
                                     const std::vector<LeaseRef>& leases);

  // Re-queues (or fails, when out of attempts) up to `limit` running jobs
  // whose lease has expired. Returns how many; with `outcomes`, appends
  // each one's id, new state and kind.
  static absl::StatusOr<int> ReapExpiredLeases(
      Transaction& tx, int limit, std::vector<JobOutcome>* outcomes = nullptr);

  // Cancels a queued job at once; marks a running one cancel_requested.
  // Finished jobs are left as they are. NOT_FOUND if no such job.
  static absl::StatusOr<model::Job> Cancel(Transaction& tx, int64_t id);

  // Stores a progress note for a running job (ignored if the lease is lost).
  static absl::Status SetProgress(Transaction& tx, const LeaseRef& lease,
                                  const std::string& progress);

  // NOT_FOUND if no such job.
  static absl::StatusOr<model::Job> Get(Transaction& tx, int64_t id);

  // How many jobs of `kind` (all kinds if empty) are in each state.
  static absl::StatusOr<std::map<model::JobState, int64_t>> CountByState(
      Transaction& tx, const std::string& kind);

  // The jobs with these ids, in the same order (missing ids left out).
  static absl::StatusOr<std::vector<model::Job>> GetMany(
      Transaction& tx, const std::vector<int64_t>& ids);

  // Newest first.
  static absl::StatusOr<std::vector<model::Job>> List(
      Transaction& tx, const JobListQuery& query);
};

}  // namespace certferry::storage
