#pragma once

// Issuance from certferry's built-in CAs as a version ready to store: signs
// the certificate an issuance payload describes and seals its new key.
// Shared by the issuance and renewal handlers so both issue and store alike.
// Thread-safe (CertificateAuthorities is).

#include <optional>

#include "absl/status/statusor.h"
#include "issuers/certificate_authorities.h"
#include "issuers/issuer.h"
#include "model/certificate_authority.h"
#include "model/issue_job.h"
#include "pki/key_envelope.h"
#include "storage/certificate_repository.h"

namespace certferry::issuers {

class OwnCaIssuer final : public Issuer {
 public:
  // Both references must outlive the issuer.
  OwnCaIssuer(CertificateAuthorities& authorities, const pki::KeyRing& keys)
      : authorities_(authorities), keys_(keys) {}

  // Signs the certificate `payload` describes under its CA (issuer_id) with
  // a newly generated key, sealed with the key ring, and records `payload`
  // as its issuance (what renewal issues again). The version is not tied
  // to a job (issued_by_job_id 0). `ca` caches the CA across calls
  // (batches): it is looked up when empty or another CA. NOT_FOUND for an
  // unknown CA; INVALID_ARGUMENT for a bad key type or a validity the CA
  // cannot cover; the key ring's errors when the CA key does not open.
  absl::StatusOr<storage::NewCertificateVersion> Issue(
      model::IssueJobPayload payload,
      std::optional<model::CertificateAuthority>& ca);

  // Issuer. Kind model::kBuiltInCaIssuer; the record's parameters are the
  // IssueJobPayload the version was issued with, issued again by the same
  // CA.
  std::string kind() const override { return model::kBuiltInCaIssuer; }
  absl::StatusOr<storage::NewCertificateVersion> Reissue(
      const std::string& certificate_name,
      const model::IssuanceRecord& record) override;

 private:
  CertificateAuthorities& authorities_;
  const pki::KeyRing& keys_;
};

}  // namespace certferry::issuers
