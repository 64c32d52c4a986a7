#pragma once

// Certificate revocation lists (RFC 5280 §5) of the built-in CAs: signing a
// CA's next CRL from its revocations, storing it, and keeping it fresh.
// Each CRL is valid for CrlConfig::validity (its nextUpdate) and is due for
// regeneration once half of that has passed, so relying parties always
// find a CRL with half its validity left even if certferry is down for a
// while. Thread-safe; several replicas may publish at once (one CA's CRLs
// are ordered by a row lock, see RevocationRepository::LockCrl).

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "issuers/certificate_authorities.h"
#include "model/certificate_authority.h"
#include "model/revocation.h"
#include "storage/database.h"

namespace certferry::issuers {

struct CrlConfig {
  // nextUpdate - thisUpdate of every CRL.
  absl::Duration validity = absl::Hours(24 * 7);
};

class CrlPublisher {
 public:
  // References must outlive this object.
  CrlPublisher(storage::Database& db, CertificateAuthorities& cas,
               const Clock& clock, CrlConfig config = {});

  // Signs and stores `ca`'s next CRL in `tx`, listing every revocation of
  // its certificates that `tx` sees (the caller's own included), so the
  // CRL commits with the caller's change or not at all. Locks the CA's CRL
  // row until `tx` ends. Call cas.Prepare(ca) before opening `tx`.
  absl::StatusOr<model::CertificateRevocationList> Publish(
      storage::Transaction& tx, const model::CertificateAuthority& ca);

  // CA `ca_id`'s CRL as it should be served: the stored one, or a new one
  // when there is none yet or it is due. NOT_FOUND for an unknown CA.
  absl::StatusOr<model::CertificateRevocationList> Current(
      const std::string& ca_id);

  // Publishes a new CRL for every unexpired CA whose CRL is missing or due;
  // returns how many were published (a CA another replica refreshed
  // meanwhile is not counted).
  absl::StatusOr<int> RefreshDue();

  const CrlConfig& config() const { return config_; }

 private:
  // A stored CRL is due once half its validity has passed.
  bool IsDue(const model::CertificateRevocationList& crl, absl::Time now) const;
  // Publishes `ca`'s CRL unless, under the row lock, it turns out not to be
  // due (another publisher just did it); returns the CRL stored after all.
  // `published` says which.
  absl::StatusOr<model::CertificateRevocationList> PublishIfDue(
      const model::CertificateAuthority& ca, bool* published);

  storage::Database& db_;
  CertificateAuthorities& cas_;
  const Clock& clock_;
  const CrlConfig config_;
};

// Calls CrlPublisher::RefreshDue every `interval` on a thread of its own,
// from construction to destruction; failures are logged and retried at the
// next round.
class CrlRefresher {
 public:
  // `publisher` must outlive this object.
  CrlRefresher(CrlPublisher& publisher, absl::Duration interval);
  // Stops; waits for a round in progress.
  ~CrlRefresher();

  CrlRefresher(const CrlRefresher&) = delete;
  CrlRefresher& operator=(const CrlRefresher&) = delete;

 private:
  void Loop();

  CrlPublisher& publisher_;
  const absl::Duration interval_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace certferry::issuers
