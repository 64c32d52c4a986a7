#include "workers/renewal_scheduler.h"

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "storage/renewal_repository.h"

namespace certferry::workers {

RenewalScheduler::RenewalScheduler(storage::Database& db, const Clock& clock,
                                   std::vector<std::string> issuer_kinds,
                                   storage::JobNotifier* notifier,
                                   RenewalSchedulerConfig config)
    : db_(db),
      clock_(clock),
      issuer_kinds_(std::move(issuer_kinds)),
      notifier_(notifier),
      config_(std::move(config)) {}

RenewalScheduler::~RenewalScheduler() { Stop(); }

absl::StatusOr<int> RenewalScheduler::ScanOnce() {
  if (issuer_kinds_.empty()) return 0;
  storage::RenewalScan scan;
  scan.now = clock_.Now();
  scan.issuer_kinds = issuer_kinds_;
  scan.limit = config_.batch;
  scan.job_kind = config_.job_kind;
  scan.max_attempts = config_.job_max_attempts;
  int created = 0;
  while (true) {
    CF_ASSIGN_OR_RETURN(
        std::vector<storage::EnqueuedRenewal> enqueued,
        db_.RunInTransaction<std::vector<storage::EnqueuedRenewal>>(
            "enqueue_due_renewals", [&](storage::Transaction& tx) {
              return storage::RenewalRepository::EnqueueDue(tx, scan);
            }));
    for (const storage::EnqueuedRenewal& r : enqueued) {
      LogInfo(absl::StrCat("renewal queued certificate=", r.certificate_id,
                           " version=", r.version, " operation=operations/",
                           r.job_id));
    }
    created += static_cast<int>(enqueued.size());
    if (!enqueued.empty() && notifier_ != nullptr) notifier_->JobsEnqueued();
    // A short batch means no more are due (or another scheduler is
    // enqueuing the rest).
    if (static_cast<int>(enqueued.size()) < config_.batch) break;
  }
  return created;
}

void RenewalScheduler::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (config_.interval <= absl::ZeroDuration() || thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void RenewalScheduler::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void RenewalScheduler::Loop() {
  while (true) {
    absl::StatusOr<int> scanned = ScanOnce();
    if (!scanned.ok()) {
      LogWarning(absl::StrCat("renewal scan failed (retried at the next): ",
                              scanned.status().message()));
    }
    std::unique_lock<std::mutex> lock(mu_);
    if (cv_.wait_for(lock, absl::ToChronoMilliseconds(config_.interval),
                     [&] { return stop_; })) {
      return;
    }
  }
}

}  // namespace certferry::workers
