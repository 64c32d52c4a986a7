#include "issuers/crl_publisher.h"

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "storage/revocation_repository.h"

namespace certferry::issuers {

CrlPublisher::CrlPublisher(storage::Database& db, CertificateAuthorities& cas,
                           const Clock& clock, CrlConfig config)
    : db_(db), cas_(cas), clock_(clock), config_(config) {}

bool CrlPublisher::IsDue(const model::CertificateRevocationList& crl,
                         absl::Time now) const {
  if (crl.der.empty()) return true;
  return now >= crl.next_update - (crl.next_update - crl.this_update) / 2;
}

absl::StatusOr<model::CertificateRevocationList> CrlPublisher::Publish(
    storage::Transaction& tx, const model::CertificateAuthority& ca) {
  CF_ASSIGN_OR_RETURN(model::CertificateRevocationList previous,
                      storage::RevocationRepository::LockCrl(tx, ca.id));
  CF_ASSIGN_OR_RETURN(std::vector<model::Revocation> revocations,
                      storage::RevocationRepository::ListByCa(tx, ca.id));
  pki::CrlSpec spec;
  spec.crl_number = previous.crl_number + 1;
  // Whole seconds, as the CRL holds them, so the stored times are the
  // CRL's own.
  spec.this_update = absl::FromUnixSeconds(absl::ToUnixSeconds(clock_.Now()));
  spec.next_update = spec.this_update + config_.validity;
  spec.revoked.reserve(revocations.size());
  for (const model::Revocation& r : revocations) {
    spec.revoked.push_back(
        {r.serial_number, r.revoke_time, static_cast<int>(r.reason)});
  }
  model::CertificateRevocationList crl;
  crl.ca_id = ca.id;
  crl.crl_number = spec.crl_number;
  crl.this_update = spec.this_update;
  crl.next_update = spec.next_update;
  CF_ASSIGN_OR_RETURN(crl.der, cas_.SignCrl(ca, spec));
  CF_RETURN_IF_ERROR(storage::RevocationRepository::StoreCrl(tx, crl));
  return crl;
}

absl::StatusOr<model::CertificateRevocationList> CrlPublisher::PublishIfDue(
    const model::CertificateAuthority& ca, bool* published) {
  CF_RETURN_IF_ERROR(cas_.Prepare(ca));
  *published = false;
  return db_.RunInTransaction<model::CertificateRevocationList>(
      "publish_crl",
      [&](storage::Transaction& tx)
          -> absl::StatusOr<model::CertificateRevocationList> {
        CF_ASSIGN_OR_RETURN(model::CertificateRevocationList locked,
                            storage::RevocationRepository::LockCrl(tx, ca.id));
        if (!IsDue(locked, clock_.Now())) return locked;
        CF_ASSIGN_OR_RETURN(model::CertificateRevocationList crl,
                            Publish(tx, ca));
        *published = true;
        return crl;
      });
}

absl::StatusOr<model::CertificateRevocationList> CrlPublisher::Current(
    const std::string& ca_id) {
  CF_ASSIGN_OR_RETURN(
      std::optional<model::CertificateRevocationList> stored,
      db_.RunAutocommit<std::optional<model::CertificateRevocationList>>(
          "get_crl", [&](storage::Transaction& tx) {
            return storage::RevocationRepository::GetCrl(tx, ca_id);
          }));
  if (stored && !IsDue(*stored, clock_.Now())) return *std::move(stored);
  CF_ASSIGN_OR_RETURN(model::CertificateAuthority ca, cas_.Get(ca_id));
  bool published = false;
  CF_ASSIGN_OR_RETURN(model::CertificateRevocationList crl,
                      PublishIfDue(ca, &published));
  if (published) {
    LogInfo(absl::StrCat("published CRL ", crl.crl_number, " of CA ", ca.name,
                         " (", ca.id, ") on fetch"));
  }
  return crl;
}

absl::StatusOr<int> CrlPublisher::RefreshDue() {
  const absl::Time now = clock_.Now();
  CF_ASSIGN_OR_RETURN(
      std::vector<std::string> due,
      db_.RunAutocommit<std::vector<std::string>>(
          "cas_with_due_crls", [&](storage::Transaction& tx) {
            return storage::RevocationRepository::CasWithDueCrls(
                tx, now, now + config_.validity / 2);
          }));
  int count = 0;
  absl::Status first_error;
  for (const std::string& ca_id : due) {
    absl::StatusOr<model::CertificateAuthority> ca = cas_.Get(ca_id);
    bool published = false;
    absl::StatusOr<model::CertificateRevocationList> crl =
        ca.ok() ? PublishIfDue(*ca, &published) : ca.status();
    if (!crl.ok()) {
      // One CA's failure does not hold back the others' CRLs.
      if (first_error.ok()) {
        first_error = WithContext(crl.status(), absl::StrCat("CA ", ca_id));
      }
      continue;
    }
    if (published) {
      ++count;
      LogInfo(
          absl::StrCat("published CRL ", crl->crl_number, " of CA ", ca->name,
                       " (", ca_id, "), next update ",
                       absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", crl->next_update,
                                        absl::UTCTimeZone())));
    }
  }
  if (!first_error.ok()) return first_error;
  return count;
}

CrlRefresher::CrlRefresher(CrlPublisher& publisher, absl::Duration interval)
    : publisher_(publisher), interval_(interval), thread_([this] { Loop(); }) {}

CrlRefresher::~CrlRefresher() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void CrlRefresher::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    lock.unlock();
    absl::StatusOr<int> refreshed = publisher_.RefreshDue();
    if (!refreshed.ok()) {
      LogWarning(absl::StrCat("refreshing CRLs failed (will retry): ",
                              refreshed.status().message()));
    }
    lock.lock();
    cv_.wait_for(lock, absl::ToChronoMilliseconds(interval_),
                 [&] { return stop_; });
  }
}

}  // namespace certferry::issuers
