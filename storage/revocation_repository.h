#pragma once

// Revocations of certificate versions and each built-in CA's current CRL
// (migration 0012). Every method runs in the caller's Transaction, so a
// revocation, the CRL that publishes it, its request_id and its audit event
// commit together. Stateless and thread-safe.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "model/certificate.h"
#include "model/revocation.h"
#include "storage/transaction.h"

namespace certferry::storage {

// A certificate version as a revocation sees it: who issued it and whether
// it is revoked already.
struct RevocationCandidate {
  std::string certificate_name;
  int version = 0;
  std::string serial_number;
  model::CertificateSource source = model::CertificateSource::kImported;
  std::string issuer_ca_id;  // empty: not issued by a built-in CA
  std::string issuer;        // the leaf's issuer name (RFC 2253)
  std::optional<model::Revocation> revocation;
};

class RevocationRepository {
 public:
  // The versions of certificate `certificate_id` (a UUID) that a revocation
  // of `version` (0: the latest) covers, or of every version when
  // `all_versions`; in version order. NOT_FOUND naming the certificate or
  // the version.
  static absl::StatusOr<std::vector<RevocationCandidate>> Candidates(
      Transaction& tx, const std::string& certificate_id, int version,
      bool all_versions);

  // Records `revocation`. False (nothing stored) when the version is
  // revoked already; a concurrent revocation of it is waited for first.
  static absl::StatusOr<bool> Insert(Transaction& tx,
                                     const model::Revocation& revocation);

  // The revocation of one version, if it is revoked.
  static absl::StatusOr<std::optional<model::Revocation>> Find(
      Transaction& tx, const std::string& certificate_id, int version);

  // The revocations recorded by the call with `request_id` (non-empty).
  static absl::StatusOr<std::vector<model::Revocation>> ListByRequestId(
      Transaction& tx, const std::string& request_id);

  // Every revocation of certificates CA `ca_id` issued: its CRL's entries.
  static absl::StatusOr<std::vector<model::Revocation>> ListByCa(
      Transaction& tx, const std::string& ca_id);

  // Locks CA `ca_id`'s CRL row until the transaction ends (one publisher
  // per CA at a time) and returns the CRL published so far: crl_number 0
  // and no DER when there is none yet.
  static absl::StatusOr<model::CertificateRevocationList> LockCrl(
      Transaction& tx, const std::string& ca_id);

  // Replaces the CA's published CRL; the row must be locked by LockCrl.
  static absl::Status StoreCrl(Transaction& tx,
                               const model::CertificateRevocationList& crl);

  // The CA's published CRL; std::nullopt when it has none yet.
  static absl::StatusOr<std::optional<model::CertificateRevocationList>> GetCrl(
      Transaction& tx, const std::string& ca_id);

  // Ids of the CAs still valid at `now` whose CRL is missing or has a
  // nextUpdate before `due_before`.
  static absl::StatusOr<std::vector<std::string>> CasWithDueCrls(
      Transaction& tx, absl::Time now, absl::Time due_before);
};

}  // namespace certferry::storage
