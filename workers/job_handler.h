#pragma once

// What a job kind does. The runner calls Run on a worker thread with the
// job's payload; the returned JSON becomes the job's result.
//
// Run may be called more than once for the same job (a crash after the work
// but before its completion was recorded re-runs it), so a handler's
// recorded effects must be idempotent per job id.
//
// Status codes decide what happens next: OK succeeds; UNAVAILABLE,
// DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, INTERNAL and UNKNOWN are
// retried with backoff while attempts remain; CANCELLED ends the job as
// cancelled; every other code fails it at once.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "storage/database.h"

namespace certferry::workers {

// A job's durable effect, prepared by Run (JobContext::SetEffect) and
// written by its handler's CommitEffects inside the transaction that records
// the job's success: effect and completion commit together, batched with
// other jobs' completions, so a job's effect is stored exactly once without
// a transaction of its own.
class JobEffect {
 public:
  virtual ~JobEffect() = default;
  // Roughly how many rows committing it writes; completion transactions
  // are sized by the sum (WorkerConfig::completion_batch), so a batch job's
  // thousand rows do not ride in one transaction with a thousand others.
  virtual size_t weight() const { return 1; }
};

// The running job as its handler sees it. Owned by the runner; valid for
// the duration of Run. Thread-safe.
class JobContext {
 public:
  JobContext(int64_t id, int attempt, int max_attempts, std::string payload,
             std::function<void(const std::string&)> report_progress)
      : id_(id),
        attempt_(attempt),
        max_attempts_(max_attempts),
        payload_json_(std::move(payload)),
        report_progress_(std::move(report_progress)) {}

  int64_t id() const { return id_; }
  int attempt() const { return attempt_; }  // 1 on the first run
  int max_attempts() const { return max_attempts_; }
  const std::string& payload_json() const { return payload_json_; }

  // True once cancellation was requested (by CancelOperation, or because
  // the runner is shutting down and gave the job back). Long handlers check
  // it between steps and return absl::CancelledError.
  bool cancel_requested() const { return cancel_requested_.load(); }
  void RequestCancel() { cancel_requested_.store(true); }

  // Hands the runner an effect to commit with this job's success (see
  // JobEffect). Only used if Run then returns OK.
  void SetEffect(std::shared_ptr<JobEffect> effect) {
    effect_ = std::move(effect);
  }
  std::shared_ptr<JobEffect> TakeEffect() { return std::move(effect_); }

  // Records a short human-readable progress note on the operation.
  void ReportProgress(const std::string& note) const {
    if (report_progress_) report_progress_(note);
  }

 private:
  int64_t id_;
  int attempt_;
  int max_attempts_;
  std::string payload_json_;
  std::function<void(const std::string&)> report_progress_;
  std::atomic<bool> cancel_requested_{false};
  std::shared_ptr<JobEffect> effect_;
};

// One succeeded job's effect waiting to be committed.
struct PendingEffect {
  int64_t job_id = 0;
  JobEffect* effect = nullptr;
  std::string* result_json = nullptr;  // the job's result; may be rewritten
};

class JobHandler {
 public:
  virtual ~JobHandler() = default;
  // Does the job; returns its result as a JSON object text.
  virtual absl::StatusOr<std::string> Run(JobContext& context) = 0;

  // Writes the effects Run left for succeeded jobs of this kind, in `tx`,
  // which then records their success. The runner calls it only for jobs
  // whose lease it still holds (locked for the transaction) and may rewrite
  // their results (e.g. with ids the writes assigned). An error rolls the
  // batch back; the runner then commits each job alone, and a job whose
  // effect still fails fails (or retries) with that error's code.
  virtual absl::Status CommitEffects(storage::Transaction& tx,
                                     std::vector<PendingEffect>& effects) {
    (void)tx;
    (void)effects;
    return absl::UnimplementedError("this job kind sets no effects");
  }

  // True for kinds whose terminal outcomes (succeeded, failed, cancelled by
  // a worker) the runner records in the audit log, in the transaction that
  // records the outcome. Off by default: high-volume internal kinds would
  // serialise their completions on the audit chain's lock.
  virtual bool audited() const { return false; }
};

}  // namespace certferry::workers
