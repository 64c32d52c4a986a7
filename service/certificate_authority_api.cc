#include "service/certificate_authority_api.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "pki/digest.h"
#include "pki/key_generation.h"
#include "service/audit_trail.h"
#include "service/proto_convert.h"
#include "service/validation.h"
#include "storage/audit_repository.h"
#include "storage/request_id_repository.h"

namespace certferry::service {
namespace {

constexpr char kCreateMethod[] = "CreateCertificateAuthority";

std::string AuthorityResource(absl::string_view name) {
  return absl::StrCat("certificate_authorities/", name);
}

v1::CertificateAuthority ToProto(const model::CertificateAuthority& ca) {
  v1::CertificateAuthority out;
  out.set_id(ca.id);
  out.set_name(ca.name);
  out.set_parent_id(ca.parent_id);
  out.set_chain_pem(ca.chain_pem);
  out.set_root_pem(issuers::CertificateAuthorities::RootOf(ca.chain_pem));
  out.set_subject(ca.subject);
  out.set_sha256_fingerprint(ca.sha256_fingerprint);
  out.set_key_type(ca.key_type);
  service::ToProto(ca.not_before, out.mutable_not_before());
  service::ToProto(ca.not_after, out.mutable_not_after());
  out.set_is_default(ca.is_default);
  service::ToProto(ca.create_time, out.mutable_create_time());
  return out;
}

}  // namespace

absl::StatusOr<v1::CertificateAuthority>
CertificateAuthorityApi::CreateCertificateAuthority(
    const v1::CreateCertificateAuthorityRequest& request,
    const CallInfo& call) {
  absl::StatusOr<v1::CertificateAuthority> result =
      CreateOrRefuse(request, call);
  if (!result.ok()) {
    RecordRefusedCall(db_, call, kCreateMethod,
                      AuthorityResource(request.name()), request.request_id(),
                      result.status());
  }
  return result;
}

absl::StatusOr<v1::CertificateAuthority>
CertificateAuthorityApi::CreateOrRefuse(
    const v1::CreateCertificateAuthorityRequest& request,
    const CallInfo& call) {
  CF_RETURN_IF_ERROR(ValidateResourceName("name", request.name()));
  CF_RETURN_IF_ERROR(ValidateRequestId("request_id", request.request_id()));
  if (request.common_name().size() > 64) {
    return absl::InvalidArgumentError(
        "common_name: longer than 64 characters (the X.509 limit)");
  }
  issuers::CreateAuthorityParams params;
  params.name = request.name();
  params.common_name = request.common_name();
  params.organization = request.organization();
  params.parent = request.parent();
  params.make_default = request.make_default();
  CF_ASSIGN_OR_RETURN(params.key_type,
                      pki::ParseKeyType("key_type", request.key_type().empty()
                                                        ? "ecdsa-p256"
                                                        : request.key_type()));
  if (request.has_validity()) {
    params.validity = absl::Seconds(request.validity().seconds()) +
                      absl::Nanoseconds(request.validity().nanos());
  }

  const std::string& request_id = request.request_id();
  const std::string digest = pki::Sha256Hex(request.SerializeAsString());
  if (!request_id.empty()) {
    CF_ASSIGN_OR_RETURN(
        std::optional<storage::RequestRecord> earlier,
        db_.RunAutocommit<std::optional<storage::RequestRecord>>(
            "find_request", [&](storage::Transaction& tx) {
              return storage::RequestIdRepository::Find(tx, request_id);
            }));
    if (earlier) {
      if (earlier->method != kCreateMethod ||
          earlier->request_sha256 != digest) {
        return absl::AlreadyExistsError(
            "request_id: already used for a different request; use a new "
            "request_id");
      }
      CF_ASSIGN_OR_RETURN(model::CertificateAuthority ca,
                          cas_.Get(earlier->resource_id));
      return ToProto(ca);
    }
  }
  CF_ASSIGN_OR_RETURN(
      model::CertificateAuthority ca,
      cas_.Create(params, [&](storage::Transaction& tx,
                              const model::CertificateAuthority& created) {
        return storage::AuditRepository::Append(
            tx, {AuditEventFor(
                    call, kCreateMethod, AuthorityResource(created.name),
                    request_id, absl::OkStatus(),
                    absl::StrCat("created ", created.id, " subject ",
                                 created.subject,
                                 created.is_default ? " (default)" : ""))});
      }));
  if (!request_id.empty()) {
    // Recorded after the fact: a retry racing this one gets ALREADY_EXISTS
    // for the name instead of the CA, which names the problem too.
    absl::Status recorded =
        db_.RunInTransaction("record_request", [&](storage::Transaction& tx) {
          CF_ASSIGN_OR_RETURN(auto claimed,
                              storage::RequestIdRepository::Claim(
                                  tx, request_id, kCreateMethod, digest));
          if (claimed) return absl::OkStatus();
          return storage::RequestIdRepository::Complete(tx, request_id, ca.id,
                                                        0);
        });
    CF_RETURN_IF_ERROR(recorded);
  }
  return ToProto(ca);
}

absl::StatusOr<v1::CertificateAuthority>
CertificateAuthorityApi::GetCertificateAuthority(
    const v1::GetCertificateAuthorityRequest& request) {
  if (request.id().empty()) {
    return absl::InvalidArgumentError("id: required (a CA id or name)");
  }
  CF_ASSIGN_OR_RETURN(model::CertificateAuthority ca, cas_.Get(request.id()));
  return ToProto(ca);
}

absl::StatusOr<v1::ListCertificateAuthoritiesResponse>
CertificateAuthorityApi::ListCertificateAuthorities(
    const v1::ListCertificateAuthoritiesRequest&) {
  CF_ASSIGN_OR_RETURN(std::vector<model::CertificateAuthority> cas,
                      cas_.List());
  v1::ListCertificateAuthoritiesResponse response;
  for (const auto& ca : cas) {
    *response.add_certificate_authorities() = ToProto(ca);
  }
  return response;
}

}  // namespace certferry::service
