#include "storage/audit_sealer.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "storage/audit_repository.h"

namespace certferry::storage {

AuditSealer::AuditSealer(Database& db, absl::Duration interval)
    : db_(db), interval_(interval), thread_([this] { Loop(); }) {}

AuditSealer::~AuditSealer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void AuditSealer::Loop() {
  bool stop = false;
  while (!stop) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, absl::ToChronoMilliseconds(interval_),
                   [&] { return stop_; });
      stop = stop_;
    }
    absl::Status sealed = db_.RunInTransaction(
        "seal_audit_events",
        [](Transaction& tx) { return AuditRepository::SealAll(tx); });
    if (!sealed.ok()) {
      LogWarning(absl::StrCat("sealing audit events failed (will retry): ",
                              sealed.message()));
    }
  }
}

}  // namespace certferry::storage
