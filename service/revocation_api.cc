#include "service/revocation_api.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "pki/digest.h"
#include "service/audit_trail.h"
#include "service/proto_convert.h"
#include "service/validation.h"
#include "storage/audit_repository.h"
#include "storage/request_id_repository.h"
#include "storage/revocation_repository.h"

namespace certferry::service {
namespace {

using model::RevocationReason;
using storage::RevocationCandidate;

constexpr char kRevokeMethod[] = "RevokeCertificate";

// The reasons a final revocation of a leaf can give; the others are
// refused naming what to use instead.
absl::StatusOr<RevocationReason> ReasonFromProto(v1::RevocationReason reason) {
  switch (reason) {
    case v1::REVOCATION_REASON_UNSPECIFIED:
      return RevocationReason::kUnspecified;
    case v1::REVOCATION_REASON_KEY_COMPROMISE:
      return RevocationReason::kKeyCompromise;
    case v1::REVOCATION_REASON_AFFILIATION_CHANGED:
      return RevocationReason::kAffiliationChanged;
    case v1::REVOCATION_REASON_SUPERSEDED:
      return RevocationReason::kSuperseded;
    case v1::REVOCATION_REASON_CESSATION_OF_OPERATION:
      return RevocationReason::kCessationOfOperation;
    case v1::REVOCATION_REASON_PRIVILEGE_WITHDRAWN:
      return RevocationReason::kPrivilegeWithdrawn;
    case v1::REVOCATION_REASON_CA_COMPROMISE:
      return absl::InvalidArgumentError(
          "reason: CA_COMPROMISE (cACompromise) says the issuing CA's key "
          "leaked and is for revoking CA certificates; if this "
          "certificate's own key leaked, use KEY_COMPROMISE");
    case v1::REVOCATION_REASON_CERTIFICATE_HOLD:
      return absl::InvalidArgumentError(
          "reason: CERTIFICATE_HOLD (certificateHold) is a temporary "
          "suspension, and revocations in certferry are final; revoke with "
          "another reason, or leave the certificate valid");
    case v1::REVOCATION_REASON_REMOVE_FROM_CRL:
      return absl::InvalidArgumentError(
          "reason: REMOVE_FROM_CRL (removeFromCRL) only releases a hold in "
          "delta CRLs and revokes nothing; give the reason for revoking");
    case v1::REVOCATION_REASON_AA_COMPROMISE:
      return absl::InvalidArgumentError(
          "reason: AA_COMPROMISE (aACompromise) is for attribute "
          "certificates; if this certificate's key leaked, use "
          "KEY_COMPROMISE");
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          "reason: unknown value ", static_cast<int>(reason),
          "; use a RevocationReason such as KEY_COMPROMISE or SUPERSEDED"));
  }
}

// The versions among `candidates` to revoke now. Every version must come
// from a built-in CA, or nothing is revoked; versions revoked already are
// left out (ALREADY_EXISTS when that leaves none).
absl::StatusOr<std::vector<const RevocationCandidate*>> VersionsToRevoke(
    const std::vector<RevocationCandidate>& candidates, bool all_versions) {
  std::vector<std::string> imported, external;
  std::vector<const RevocationCandidate*> out;
  for (const RevocationCandidate& c : candidates) {
    if (!c.issuer_ca_id.empty()) {
      if (!c.revocation) out.push_back(&c);
    } else if (c.source == model::CertificateSource::kImported) {
      imported.push_back(
          absl::StrCat("version ", c.version, " (issuer ", c.issuer, ")"));
    } else {
      external.push_back(absl::StrCat("version ", c.version));
    }
  }
  const std::string& name = candidates.front().certificate_name;
  if (!imported.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "certificate ", name, ": ", absl::StrJoin(imported, ", "),
        imported.size() == 1 ? " was" : " were",
        " imported, and certferry revokes only what its built-in CAs issued; "
        "revoke it at the CA that issued it",
        all_versions ? " (nothing was revoked; revoke the built-in CA's "
                       "versions one at a time with version)"
                     : ""));
  }
  if (!external.empty()) {
    // TODO(#7): versions from an external issuer (ACME) are revoked at that
    // CA (RFC 8555 §7.6 revokeCert); route them to their issuer here.
    return absl::UnimplementedError(absl::StrCat(
        "certificate ", name, ": ", absl::StrJoin(external, ", "),
        " came from an external CA; revoking there is not supported yet, "
        "revoke it with that CA's own tools"));
  }
  if (out.empty()) {
    if (all_versions) {
      return absl::AlreadyExistsError(absl::StrCat(
          "certificate ", name, ": every version is revoked already"));
    }
    const RevocationCandidate& c = candidates.front();
    return absl::AlreadyExistsError(
        absl::StrCat("certificate ", name, " version ", c.version, " was ",
                     model::DescribeRevocation(*c.revocation)));
  }
  return out;
}

}  // namespace

v1::Revocation ToProto(const model::Revocation& r, const std::string& crl_url) {
  v1::Revocation out;
  out.set_certificate_id(r.certificate_id);
  out.set_version(r.version);
  out.set_serial_number(r.serial_number);
  out.set_issuer_ca_id(r.issuer_ca_id);
  out.set_reason(static_cast<v1::RevocationReason>(static_cast<int>(r.reason)));
  service::ToProto(r.revoke_time, out.mutable_revoke_time());
  out.set_actor(r.actor);
  out.set_request_id(r.request_id);
  out.set_crl_url(crl_url);
  return out;
}

std::string RevokedVersionMessage(const std::string& certificate_name,
                                  const model::Revocation& r) {
  return absl::StrCat("certificate ", certificate_name, " version ", r.version,
                      " (serial ", r.serial_number, ") was ",
                      model::DescribeRevocation(r),
                      "; a revoked certificate cannot be deployed, issue a "
                      "new version and deploy that");
}

v1::RevokeCertificateResponse RevocationApi::ToResponse(
    const std::vector<model::Revocation>& revocations) const {
  v1::RevokeCertificateResponse response;
  for (const model::Revocation& r : revocations) {
    *response.add_revocations() = ToProto(r, cas_.CrlUrl(r.issuer_ca_id));
  }
  return response;
}

absl::StatusOr<v1::RevokeCertificateResponse> RevocationApi::RevokeCertificate(
    const v1::RevokeCertificateRequest& request, const CallInfo& call) {
  absl::StatusOr<v1::RevokeCertificateResponse> result =
      RevokeOrRefuse(request, call);
  if (!result.ok()) {
    RecordRefusedCall(db_, call, kRevokeMethod,
                      absl::StrCat("certificates/", request.id()),
                      request.request_id(), result.status());
  }
  return result;
}

absl::StatusOr<v1::RevokeCertificateResponse> RevocationApi::RevokeOrRefuse(
    const v1::RevokeCertificateRequest& request, const CallInfo& call) {
  CF_RETURN_IF_ERROR(ValidateRequestId("request_id", request.request_id()));
  CF_RETURN_IF_ERROR(
      ValidateCertificateVersion("id", request.id(), request.version()));
  if (request.all_versions() && request.version() != 0) {
    return absl::InvalidArgumentError(
        "version: must be 0 with all_versions; give one or the other");
  }
  CF_ASSIGN_OR_RETURN(RevocationReason reason,
                      ReasonFromProto(request.reason()));
  const std::string& request_id = request.request_id();
  const std::string digest = pki::Sha256Hex(
      absl::StrCat(kRevokeMethod, "\n", request.SerializeAsString()));

  // A completed request is answered before anything else is looked at.
  auto replay = [&](storage::Transaction& tx)
      -> absl::StatusOr<std::optional<std::vector<model::Revocation>>> {
    CF_ASSIGN_OR_RETURN(auto earlier,
                        storage::RequestIdRepository::Find(tx, request_id));
    if (!earlier) return std::nullopt;
    CF_RETURN_IF_ERROR(CheckSameRequest(*earlier, kRevokeMethod, digest));
    return storage::RevocationRepository::ListByRequestId(tx, request_id);
  };
  if (!request_id.empty()) {
    CF_ASSIGN_OR_RETURN(
        std::optional<std::vector<model::Revocation>> earlier,
        db_.RunInTransaction<std::optional<std::vector<model::Revocation>>>(
            "find_revoke_request", replay));
    if (earlier) return ToResponse(*earlier);
  }

  // Checked once outside the transaction to refuse early and to open the
  // CAs' keys (a database read) before it; checked again inside.
  auto candidates = [&](storage::Transaction& tx) {
    return storage::RevocationRepository::Candidates(
        tx, request.id(), request.version(), request.all_versions());
  };
  CF_ASSIGN_OR_RETURN(std::vector<RevocationCandidate> looked,
                      db_.RunAutocommit<std::vector<RevocationCandidate>>(
                          "revocation_candidates", candidates));
  CF_ASSIGN_OR_RETURN(std::vector<const RevocationCandidate*> planned,
                      VersionsToRevoke(looked, request.all_versions()));
  std::map<std::string, model::CertificateAuthority> authorities;
  for (const RevocationCandidate* c : planned) {
    if (authorities.count(c->issuer_ca_id) > 0) continue;
    CF_ASSIGN_OR_RETURN(model::CertificateAuthority ca,
                        cas_.Get(c->issuer_ca_id));
    CF_RETURN_IF_ERROR(cas_.Prepare(ca));
    authorities.emplace(ca.id, std::move(ca));
  }

  // Microseconds, as stored: a replay must return the same time.
  const absl::Time now = absl::FromUnixMicros(absl::ToUnixMicros(clock_.Now()));
  CF_ASSIGN_OR_RETURN(
      std::vector<model::Revocation> revoked,
      db_.RunInTransaction<std::vector<model::Revocation>>(
          "revoke_certificate",
          [&](storage::Transaction& tx)
              -> absl::StatusOr<std::vector<model::Revocation>> {
            if (!request_id.empty()) {
              CF_ASSIGN_OR_RETURN(auto earlier,
                                  storage::RequestIdRepository::Claim(
                                      tx, request_id, kRevokeMethod, digest));
              if (earlier) {  // a concurrent identical request won the race
                CF_RETURN_IF_ERROR(
                    CheckSameRequest(*earlier, kRevokeMethod, digest));
                return storage::RevocationRepository::ListByRequestId(
                    tx, request_id);
              }
            }
            CF_ASSIGN_OR_RETURN(std::vector<RevocationCandidate> current,
                                candidates(tx));
            CF_ASSIGN_OR_RETURN(
                std::vector<const RevocationCandidate*> versions,
                VersionsToRevoke(current, request.all_versions()));
            std::vector<model::Revocation> out;
            std::map<std::string, const model::CertificateAuthority*> cas;
            for (const RevocationCandidate* c : versions) {
              auto ca = authorities.find(c->issuer_ca_id);
              if (ca == authorities.end()) {
                // A version added since the first look, from another CA.
                return absl::AbortedError(
                    "the certificate changed while it was being revoked; "
                    "retry");
              }
              model::Revocation& r = out.emplace_back();
              r.certificate_id = request.id();
              r.version = c->version;
              r.serial_number = c->serial_number;
              r.issuer_ca_id = c->issuer_ca_id;
              r.reason = reason;
              r.revoke_time = now;
              r.actor = call.actor;
              r.request_id = request_id;
              CF_ASSIGN_OR_RETURN(bool inserted,
                                  storage::RevocationRepository::Insert(tx, r));
              if (!inserted) {
                return absl::AlreadyExistsError(absl::StrCat(
                    "certificate ", c->certificate_name, " version ",
                    c->version,
                    " was revoked by a concurrent call; see GetCertificate"));
              }
              cas[ca->first] = &ca->second;
            }
            // The CRLs in CA id order, so concurrent revocations that
            // span CAs lock their rows in the same order.
            std::vector<std::string> published;
            for (const auto& [id, ca] : cas) {
              CF_ASSIGN_OR_RETURN(model::CertificateRevocationList crl,
                                  crls_.Publish(tx, *ca));
              published.push_back(
                  absl::StrCat("CRL ", crl.crl_number, " of CA ", ca->name));
            }
            if (!request_id.empty()) {
              CF_RETURN_IF_ERROR(storage::RequestIdRepository::Complete(
                  tx, request_id, request.id(), request.version()));
            }
            std::vector<std::string> what;
            for (const model::Revocation& r : out) {
              what.push_back(absl::StrCat("version ", r.version, " serial ",
                                          r.serial_number));
            }
            CF_RETURN_IF_ERROR(storage::AuditRepository::Append(
                tx, {AuditEventFor(
                        call, kRevokeMethod,
                        absl::StrCat("certificates/", request.id()), request_id,
                        absl::OkStatus(),
                        absl::StrCat("revoked ", absl::StrJoin(what, ", "),
                                     " (", model::RevocationReasonName(reason),
                                     "); ", absl::StrJoin(published, ", ")))}));
            return out;
          }));
  for (const model::Revocation& r : revoked) {
    LogInfo(absl::StrCat("revoked certificate id=", r.certificate_id,
                         " version=", r.version, " serial=", r.serial_number,
                         " reason=", model::RevocationReasonName(r.reason),
                         " actor=", r.actor));
  }
  return ToResponse(revoked);
}

}  // namespace certferry::service
