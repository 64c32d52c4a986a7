#pragma once

// The CertificateAuthorityService RPCs as plain C++. Thread-safe.

#include "absl/status/statusor.h"
#include "certferry/v1/certificate_authority.pb.h"
#include "issuers/certificate_authorities.h"
#include "service/call_info.h"
#include "storage/database.h"

namespace certferry::service {

class CertificateAuthorityApi {
 public:
  // References must outlive this object.
  CertificateAuthorityApi(storage::Database& db,
                          issuers::CertificateAuthorities& cas)
      : db_(db), cas_(cas) {}

  // Records an audit event for `call`'s actor: in the transaction that
  // stores the CA, or (refused or failed) on its own.
  absl::StatusOr<v1::CertificateAuthority> CreateCertificateAuthority(
      const v1::CreateCertificateAuthorityRequest& request,
      const CallInfo& call = {});
  absl::StatusOr<v1::CertificateAuthority> GetCertificateAuthority(
      const v1::GetCertificateAuthorityRequest& request);
  absl::StatusOr<v1::ListCertificateAuthoritiesResponse>
  ListCertificateAuthorities(
      const v1::ListCertificateAuthoritiesRequest& request);

 private:
  absl::StatusOr<v1::CertificateAuthority> CreateOrRefuse(
      const v1::CreateCertificateAuthorityRequest& request,
      const CallInfo& call);

  storage::Database& db_;
  issuers::CertificateAuthorities& cas_;
};

}  // namespace certferry::service
