#pragma once

// Reads and writes logical certificates, their versions and their sealed
// private keys. Every method runs inside the caller's Transaction so writes
// compose atomically with others (request ids, audit). Stateless and
// thread-safe; database errors map as StatusFromDatabaseError.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "model/certificate.h"
#include "model/renewal.h"
#include "storage/transaction.h"

namespace certferry::storage {

// What a new version needs besides the facts of its certificate.
struct NewCertificateVersion {
  std::string certificate_name;
  model::CertificateVersion version;  // `version` and `create_time` ignored
  model::EncryptedPrivateKey private_key;
  int64_t issued_by_job_id = 0;  // 0: not issued by a job
  int issued_by_job_item = 0;    // position in a batch job; 0 otherwise
  std::string issuer_ca_id;      // empty: not from a built-in CA
  // How it was issued (what renewal issues again); empty issuer_kind for
  // imported versions.
  model::IssuanceRecord issuance;
};

struct StoredVersionRef {
  std::string certificate_id;
  int version = 0;
};

struct CertificateListQuery {
  int page_size = 50;
  // Soonest expiry (of the latest version) first, then by name; else by
  // name.
  bool by_expiry = false;
  std::string after_name;  // keyset cursor: names strictly after this one
  // With by_expiry, the cursor is (after_not_after, after_name).
  std::optional<absl::Time> after_not_after;
  // Certificates whose domains include `domain` or `domain_wildcard`.
  std::string domain;
  std::string domain_wildcard;
  std::optional<absl::Time> expiring_before;
};

class CertificateRepository {
 public:
  // Adds a version to the certificate named `certificate_name`, creating
  // the certificate when the name is new, and makes it the latest. Returns
  // the stored certificate with the new version.
  static absl::StatusOr<model::Certificate> AddVersion(
      Transaction& tx, const NewCertificateVersion& input);

  // AddVersion for many inputs in one statement per round (a name that
  // appears k times takes k rounds, versions in input order). Returns
  // (certificate id, version) per input, in input order.
  static absl::StatusOr<std::vector<StoredVersionRef>> AddVersions(
      Transaction& tx, const std::vector<const NewCertificateVersion*>& inputs);

  // The certificate with `version` (0: the latest). NOT_FOUND if either the
  // certificate or that version does not exist. `id` must be a UUID.
  static absl::StatusOr<model::Certificate> Get(Transaction& tx,
                                                const std::string& id,
                                                int version);

  // Up to query.page_size certificates with their latest versions, ordered
  // by name (or expiry), after the query's cursor.
  static absl::StatusOr<std::vector<model::Certificate>> List(
      Transaction& tx, const CertificateListQuery& query);

  // How a version was issued; nullopt for imported versions. NOT_FOUND if
  // there is no such version.
  static absl::StatusOr<std::optional<model::IssuanceRecord>> GetIssuance(
      Transaction& tx, const std::string& certificate_id, int version);

  // The certificate's latest version number, with its row locked until
  // `tx` ends (no version can be added meanwhile). NOT_FOUND.
  static absl::StatusOr<int> LockLatestVersion(
      Transaction& tx, const std::string& certificate_id);

  // The certificate version issued by job `job_id`, if any.
  static absl::StatusOr<std::optional<model::Certificate>> FindIssuedByJob(
      Transaction& tx, int64_t job_id);

  // The sealed private key of one version. NOT_FOUND if absent.
  static absl::StatusOr<model::EncryptedPrivateKey> GetPrivateKey(
      Transaction& tx, const std::string& certificate_id, int version);
};

}  // namespace certferry::storage
