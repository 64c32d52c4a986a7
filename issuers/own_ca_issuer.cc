#include "issuers/own_ca_issuer.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "issuers/stored_versions.h"
#include "pki/key_generation.h"

namespace certferry::issuers {

absl::StatusOr<storage::NewCertificateVersion> OwnCaIssuer::Issue(
    model::IssueJobPayload payload,
    std::optional<model::CertificateAuthority>& ca) {
  if (!ca || ca->id != payload.issuer_id) {
    CF_ASSIGN_OR_RETURN(ca, authorities_.Get(payload.issuer_id));
  }
  CF_ASSIGN_OR_RETURN(pki::KeyType key_type,
                      pki::ParseKeyType("key_type", payload.key_type));
  // Recorded with the version, so renewal issues the same again.
  model::IssuanceRecord issuance{model::kBuiltInCaIssuer,
                                 model::ToJson(payload)};
  IssueParams params;
  params.names = std::move(payload.names);
  params.key_type = key_type;
  params.validity = absl::Seconds(payload.validity_seconds);
  CF_ASSIGN_OR_RETURN(IssuedCertificate issued,
                      authorities_.Issue(*ca, params));
  CF_ASSIGN_OR_RETURN(
      storage::NewCertificateVersion input,
      BuildNewVersion(payload.name, issued.chain_pem, issued.chain,
                      issued.private_key_pem, model::CertificateSource::kIssued,
                      keys_));
  input.issuer_ca_id = ca->id;
  input.issuance = std::move(issuance);
  return input;
}

absl::StatusOr<storage::NewCertificateVersion> OwnCaIssuer::Reissue(
    const std::string& certificate_name, const model::IssuanceRecord& record) {
  if (record.issuer_kind != kind()) {
    return absl::InvalidArgumentError(absl::StrCat("issuance record: issuer '",
                                                   record.issuer_kind,
                                                   "' is not the built-in CA"));
  }
  CF_ASSIGN_OR_RETURN(model::IssueJobPayload payload,
                      model::ParseIssueJobPayload(record.params_json));
  payload.name = certificate_name;
  std::optional<model::CertificateAuthority> ca;
  return Issue(std::move(payload), ca);
}

}  // namespace certferry::issuers
