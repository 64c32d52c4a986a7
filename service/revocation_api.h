#pragma once

// CertificateService.RevokeCertificate as plain C++: validation, the
// request_id, the revocation rows, the CRLs that publish them and the audit
// event, in one transaction. A version is revoked where it was issued:
// here for the built-in CAs; imported versions are refused (their CA
// revokes them). No grpc:: types. Thread-safe.

#include "absl/status/statusor.h"
#include "certferry/v1/certificate_service.pb.h"
#include "common/clock.h"
#include "issuers/certificate_authorities.h"
#include "issuers/crl_publisher.h"
#include "model/revocation.h"
#include "service/call_info.h"
#include "storage/database.h"

namespace certferry::service {

class RevocationApi {
 public:
  // References must outlive this object.
  RevocationApi(storage::Database& db, issuers::CertificateAuthorities& cas,
                issuers::CrlPublisher& crls, const Clock& clock)
      : db_(db), cas_(cas), crls_(crls), clock_(clock) {}

  // See certferry.v1.CertificateService.RevokeCertificate. Records an audit
  // event for `call`'s actor: with the revocation, in its transaction, or
  // (refused or failed) on its own; a repeated request_id records nothing.
  absl::StatusOr<v1::RevokeCertificateResponse> RevokeCertificate(
      const v1::RevokeCertificateRequest& request, const CallInfo& call = {});

 private:
  absl::StatusOr<v1::RevokeCertificateResponse> RevokeOrRefuse(
      const v1::RevokeCertificateRequest& request, const CallInfo& call);
  v1::RevokeCertificateResponse ToResponse(
      const std::vector<model::Revocation>& revocations) const;

  storage::Database& db_;
  issuers::CertificateAuthorities& cas_;
  issuers::CrlPublisher& crls_;
  const Clock& clock_;
};

// A revocation as the API shows it; `crl_url` is where its CA's CRL is
// served (may be empty).
v1::Revocation ToProto(const model::Revocation& revocation,
                       const std::string& crl_url);

// The message saying that `revocation` of `certificate_name` forbids
// deploying it, e.g. for FAILED_PRECONDITION.
std::string RevokedVersionMessage(const std::string& certificate_name,
                                  const model::Revocation& revocation);

}  // namespace certferry::service
