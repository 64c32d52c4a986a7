#pragma once

// Finds certificate versions due for renewal and enqueues one
// "renew_certificate" job per version (RenewCertificateHandler runs them).
// Every replica runs one: a version's job has the idempotency key
// "renew:<certificate id>:v<version>" (storage::RenewalRepository), so
// however many schedulers scan at once, each version gets one job, ever.
// A version is due when its certificate's renewal policy says so
// (renewal_due_at, migration 0014); expired versions, disabled policies and
// versions from issuers no handler here can renew are left alone.
//
// Thread-safe. Start() runs a thread scanning every `interval`; ScanOnce()
// runs one scan on the caller's thread (tests, or a replica without the
// thread).

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "model/renewal.h"
#include "storage/database.h"
#include "storage/job_notifications.h"

namespace certferry::workers {

struct RenewalSchedulerConfig {
  // Between scans of the thread; zero: no thread.
  absl::Duration interval = absl::Minutes(1);
  // Jobs enqueued per transaction; a scan repeats until fewer are due.
  int batch = 500;
  // Renewal jobs retry (with the runner's backoff) until the version they
  // renew expires, when the handler fails them for good, so attempts are
  // not what ends them.
  int job_max_attempts = 1000000;
  std::string job_kind = model::kRenewJobKind;
};

class RenewalScheduler {
 public:
  // References must outlive the scheduler; `notifier` may be null (workers
  // then find the jobs at their next poll). `issuer_kinds`: the kinds of
  // the issuers the renewal handlers are given (issuers::Issuer::kind).
  RenewalScheduler(storage::Database& db, const Clock& clock,
                   std::vector<std::string> issuer_kinds,
                   storage::JobNotifier* notifier,
                   RenewalSchedulerConfig config = {});
  // Stops the thread, if started.
  ~RenewalScheduler();

  RenewalScheduler(const RenewalScheduler&) = delete;
  RenewalScheduler& operator=(const RenewalScheduler&) = delete;

  // Enqueues a renewal job for every version due at clock.Now() that has
  // none. Returns how many jobs this call created (those another scheduler
  // created meanwhile are not counted). Database errors as
  // StatusFromDatabaseError.
  absl::StatusOr<int> ScanOnce();

  // Starts the thread: a scan at once, then every config.interval. A
  // failed scan is logged and retried at the next one. No-op when the
  // interval is zero or already started.
  void Start();
  // Stops the thread after its current scan. Idempotent.
  void Stop();

 private:
  void Loop();

  storage::Database& db_;
  const Clock& clock_;
  const std::vector<std::string> issuer_kinds_;
  storage::JobNotifier* notifier_;
  const RenewalSchedulerConfig config_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace certferry::workers
