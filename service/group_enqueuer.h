#pragma once

// Group commit for RPCs that each enqueue one job: concurrent calls share
// one transaction (one job insert, one request-id insert and one commit for
// all of them) instead of a transaction and a WAL flush each. A call alone
// runs alone, at the cost it had before; under load the batch grows by
// itself to whatever arrived while the previous transaction committed.
// Thread-safe.

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "model/job.h"
#include "storage/audit_repository.h"
#include "storage/database.h"
#include "storage/job_repository.h"

namespace certferry::service {

class GroupEnqueuer {
 public:
  struct Request {
    storage::NewJob job;
    // Optional idempotency: a request_id already recorded for `method` with
    // the same `request_sha256` returns its job; with a different digest or
    // method, ALREADY_EXISTS.
    std::string request_id;
    std::string method;
    std::string request_sha256;
    // Optional audit event, appended in the batch's transaction (one
    // Append for the batch) when this call queues a new job, with
    // " operations/<job id>" added to its summary. Nothing is recorded for
    // a replayed request_id or a refusal: the caller records refusals.
    std::optional<storage::NewAuditEvent> audit;
  };

  // `db` must outlive this object. At most `max_batch` calls per transaction.
  explicit GroupEnqueuer(storage::Database& db, int max_batch = 256);

  // Blocks until the transaction holding this request commits. Returns the
  // job queued for it, or the earlier job of a repeated request_id.
  absl::StatusOr<model::Job> Enqueue(Request request);

 private:
  struct Pending {
    Request request;
    std::optional<absl::StatusOr<model::Job>> result;
  };

  // Takes up to max_batch waiting calls, no request_id twice.
  std::vector<Pending*> TakeBatch();
  // Runs without the lock; reads only the requests of `batch`.
  std::vector<absl::StatusOr<model::Job>> RunBatch(
      const std::vector<Pending*>& batch);
  absl::Status RunBatchOnce(
      const std::vector<Pending*>& batch,
      std::vector<std::optional<absl::StatusOr<model::Job>>>& results);

  storage::Database& db_;
  const int max_batch_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending*> waiting_;
  bool leader_ = false;
};

}  // namespace certferry::service
