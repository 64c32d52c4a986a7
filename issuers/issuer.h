#pragma once

// An issuer certferry drives (the built-in CA now, ACME next), as renewal
// sees it: it issues the successor of a version it issued, from the
// issuance record stored with that version (model::IssuanceRecord). The
// renewal handler asks the issuer whose kind the version records, and the
// scheduler only enqueues versions of kinds some registered issuer has, so
// a new issuer plugs in by implementing this and recording its kind and
// parameters with the versions it stores.

#include <string>

#include "absl/status/statusor.h"
#include "model/renewal.h"
#include "storage/certificate_repository.h"

namespace certferry::issuers {

class Issuer {
 public:
  virtual ~Issuer() = default;

  // The issuer_kind of the versions it issues, e.g. "builtin_ca".
  virtual std::string kind() const = 0;

  // Issues the successor of a version of certificate `certificate_name`
  // that was issued as `record` says: same names, key type, validity and
  // issuer, a new key. Returns it ready to store (key sealed, its own
  // issuance record set), not yet tied to a job. INVALID_ARGUMENT for a
  // record it cannot read; otherwise the issuer's own errors. Thread-safe.
  virtual absl::StatusOr<storage::NewCertificateVersion> Reissue(
      const std::string& certificate_name,
      const model::IssuanceRecord& record) = 0;
};

}  // namespace certferry::issuers
