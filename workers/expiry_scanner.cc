#include "workers/expiry_scanner.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "notify/notifications.h"
#include "storage/notification_repository.h"

namespace certferry::workers {

ExpiryScanner::~ExpiryScanner() { Stop(); }

absl::StatusOr<int> ExpiryScanner::ScanOnce() {
  using RecordDue = absl::StatusOr<std::vector<model::Notification>> (*)(
      storage::Transaction&, const std::vector<int>&, absl::Time, int);
  const std::pair<RecordDue, const std::vector<int>*> kinds[] = {
      {&storage::NotificationRepository::RecordDueCertificateExpiries,
       &config_.certificate_thresholds_days},
      {&storage::NotificationRepository::RecordDueAuthorityExpiries,
       &config_.authority_thresholds_days},
  };
  int total = 0;
  for (const auto& [record_due, thresholds] : kinds) {
    if (thresholds->empty()) continue;
    while (true) {
      CF_ASSIGN_OR_RETURN(
          int recorded,
          db_.RunInTransaction<int>(
              "record_due_expiries",
              [&](storage::Transaction& tx) -> absl::StatusOr<int> {
                CF_ASSIGN_OR_RETURN(
                    std::vector<model::Notification> notices,
                    record_due(tx, *thresholds, clock_.Now(), config_.batch));
                CF_RETURN_IF_ERROR(
                    notify::QueueDeliveries(tx, notices).status());
                return static_cast<int>(notices.size());
              }));
      total += recorded;
      // A short batch means nothing more is due, or a concurrent scan is
      // recording the rest.
      if (recorded < config_.batch) break;
    }
  }
  return total;
}

void ExpiryScanner::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void ExpiryScanner::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ExpiryScanner::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    lock.unlock();
    absl::StatusOr<int> recorded = ScanOnce();
    if (!recorded.ok()) {
      LogWarning(absl::StrCat("expiry scan failed (next try in ",
                              absl::FormatDuration(config_.interval),
                              "): ", recorded.status().message()));
    } else if (*recorded > 0) {
      LogInfo(
          absl::StrCat("expiry scan: ", *recorded, " expiry notices queued"));
    }
    lock.lock();
    cv_.wait_for(lock, absl::ToChronoMilliseconds(config_.interval),
                 [this] { return stopping_; });
  }
}

}  // namespace certferry::workers
