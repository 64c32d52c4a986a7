#include "service/diagnosis_api.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/ids.h"
#include "common/status_macros.h"
#include "diagnose/bundle/bundle_diagnosis.h"
#include "diagnose/diagnose.h"
#include "issuers/certificate_authorities.h"
#include "pki/certificate_bundle.h"
#include "pki/names.h"
#include "service/diagnosis_convert.h"
#include "service/proto_convert.h"
#include "service/validation.h"
#include "storage/certificate_authority_repository.h"
#include "storage/certificate_repository.h"
#include "storage/deployment_repository.h"
#include "targets/target_config.h"

namespace certferry::service {
namespace {

// The chain as a report shows it; what does not parse is left out (the
// findings say why).
void AddChainSummary(const std::string& chain_pem, v1::DiagnosisReport* out) {
  absl::StatusOr<std::vector<pki::CertificateInfo>> chain =
      pki::ParseCertificateChain(chain_pem, "chain");
  if (!chain.ok()) return;
  for (const pki::CertificateInfo& c : *chain) {
    v1::ChainCertificate* entry = out->add_chain();
    entry->set_subject(c.subject);
    entry->set_issuer(c.issuer);
    entry->set_sha256(c.sha256_fingerprint);
    ToProto(c.not_before, entry->mutable_not_before());
    ToProto(c.not_after, entry->mutable_not_after());
    for (const std::string& name : c.dns_names) entry->add_dns_names(name);
  }
}

absl::Status CheckDomains(
    const google::protobuf::RepeatedPtrField<std::string>& domains) {
  if (domains.size() > 100) {
    return absl::InvalidArgumentError("intended_domains: at most 100");
  }
  for (int i = 0; i < domains.size(); ++i) {
    CF_RETURN_IF_ERROR(pki::ValidateCertificateName(
        absl::StrCat("intended_domains[", i, "]"), domains.Get(i)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> DiagnosisApi::TrustPem(const std::string& bundle,
                                                   bool builtin_cas) {
  if (bundle.size() > config_.max_trust_bundle_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("trust_bundle_pem: larger than ",
                     config_.max_trust_bundle_bytes, " bytes"));
  }
  std::string trust;
  if (!bundle.empty()) {
    // Refused loudly: a bundle that silently trusts nothing would make every
    // finding about trust wrong.
    CF_RETURN_IF_ERROR(
        pki::ParseCertificateChain(bundle, "trust_bundle_pem").status());
    trust = bundle;
    if (!absl::EndsWith(trust, "\n")) trust += "\n";
  }
  if (builtin_cas) {
    CF_ASSIGN_OR_RETURN(
        std::vector<model::CertificateAuthority> cas,
        db_.RunInTransaction<std::vector<model::CertificateAuthority>>(
            "list_certificate_authorities", [](storage::Transaction& tx) {
              return storage::CertificateAuthorityRepository::List(tx);
            }));
    for (const model::CertificateAuthority& ca : cas) {
      if (ca.parent_id.empty()) absl::StrAppend(&trust, ca.chain_pem);
    }
  }
  return trust;
}

absl::StatusOr<v1::DiagnosisReport> DiagnosisApi::DiagnoseEndpoint(
    const v1::DiagnoseEndpointRequest& r, absl::Time call_deadline) {
  if (r.host().empty()) {
    return absl::InvalidArgumentError(
        "host: required, a DNS name or IP address (e.g. shop.example.com)");
  }
  if (r.host().size() > 253 ||
      r.host().find_first_of(" /:@") != std::string::npos) {
    if (!pki::IsIpAddress(r.host())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "host: '", r.host(),
          "' is not a host name or IP address; give just the host, without "
          "scheme, port or path (the port goes in `port`)"));
    }
  }
  if (r.port() < 0 || r.port() > 65535) {
    return absl::InvalidArgumentError("port: must be 1-65535 (0 means 443)");
  }
  if (!r.sni().empty()) {
    CF_RETURN_IF_ERROR(pki::ValidateCertificateName("sni", r.sni()));
  }
  if (!r.expected_domain().empty()) {
    CF_RETURN_IF_ERROR(
        pki::ValidateCertificateName("expected_domain", r.expected_domain()));
  }
  if (!r.expected_address().empty() &&
      !pki::IsIpAddress(r.expected_address())) {
    return absl::InvalidArgumentError(
        "expected_address: must be an IPv4 or IPv6 address");
  }
  absl::Duration deadline = config_.default_deadline;
  if (r.has_deadline()) {
    deadline = absl::Seconds(r.deadline().seconds()) +
               absl::Nanoseconds(r.deadline().nanos());
    if (deadline <= absl::ZeroDuration() || deadline > config_.max_deadline) {
      return absl::InvalidArgumentError(
          absl::StrCat("deadline: must be positive and at most ",
                       absl::FormatDuration(config_.max_deadline)));
    }
  }
  // Leave the RPC a moment to send the report back.
  deadline =
      std::min(deadline, call_deadline - absl::Now() - absl::Milliseconds(200));
  if (deadline <= absl::ZeroDuration()) {
    return absl::DeadlineExceededError(
        "the call's deadline leaves no time to diagnose; allow at least a "
        "few seconds");
  }

  diagnose::EndpointDiagnosisRequest request;
  request.endpoint.host = r.host();
  request.endpoint.port = r.port() == 0 ? 443 : r.port();
  request.endpoint.sni = r.sni();
  request.endpoint.expected_address = r.expected_address();
  request.endpoint.timeout = deadline;
  request.expected_domain = r.expected_domain();
  CF_ASSIGN_OR_RETURN(request.extra_trust_pem,
                      TrustPem(r.trust_bundle_pem(), r.trust_builtin_cas()));

  // What should be served: a stored version, or the target's latest
  // successful deployment.
  if (!r.expected_certificate_id().empty() && !r.expected_target().empty()) {
    return absl::InvalidArgumentError(
        "expected_certificate_id, expected_target: give one of them");
  }
  if (!r.expected_certificate_id().empty()) {
    if (!IsUuid(r.expected_certificate_id())) {
      return absl::InvalidArgumentError(
          "expected_certificate_id: not a certificate id; use the id "
          "ListCertificates returns (a UUID)");
    }
    CF_ASSIGN_OR_RETURN(model::Certificate certificate,
                        db_.RunInTransaction<model::Certificate>(
                            "get_certificate", [&](storage::Transaction& tx) {
                              return storage::CertificateRepository::Get(
                                  tx, r.expected_certificate_id(),
                                  r.expected_version());
                            }));
    request.served.expected_leaf_sha256 =
        certificate.version.sha256_fingerprint;
  } else if (!r.expected_target().empty()) {
    CF_RETURN_IF_ERROR(
        ValidateResourceName("expected_target", r.expected_target()));
    CF_ASSIGN_OR_RETURN(
        std::string leaf,
        db_.RunInTransaction<std::string>(
            "latest_deployed_leaf",
            [&](storage::Transaction& tx) -> absl::StatusOr<std::string> {
              CF_ASSIGN_OR_RETURN(
                  model::Target target,
                  storage::DeploymentRepository::GetTargetByName(
                      tx, r.expected_target()));
              return storage::DeploymentRepository::LatestServedLeaf(tx,
                                                                     target.id);
            }));
    if (leaf.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("expected_target: target '", r.expected_target(),
                       "' has no successful deployment to compare with"));
    }
    request.served.expected_leaf_sha256 = leaf;
  }
  request.served.name_certificate = [this](const std::string& sha256) {
    absl::StatusOr<std::optional<std::pair<std::string, int>>> known =
        db_.RunInTransaction<std::optional<std::pair<std::string, int>>>(
            "find_version_by_fingerprint", [&](storage::Transaction& tx) {
              return storage::DeploymentRepository::FindVersionByFingerprint(
                  tx, sha256);
            });
    if (!known.ok() || !known->has_value()) return std::string();
    return absl::StrCat("certificate ", (*known)->first, " version ",
                        (*known)->second);
  };

  CF_ASSIGN_OR_RETURN(diagnose::DiagnosisReport diagnosed,
                      diagnose::DiagnoseEndpoint(request));
  v1::DiagnosisReport report;
  for (const diagnose::Finding& f : diagnosed.findings) {
    *report.add_findings() = ToProto(f);
  }
  report.set_worst(ToProto(diagnosed.worst));
  for (const diagnose::PresentedCertificate& c : diagnosed.chain) {
    v1::ChainCertificate* entry = report.add_chain();
    entry->set_subject(c.subject);
    entry->set_issuer(c.issuer);
    entry->set_sha256(c.sha256);
    if (c.parse_error.empty()) {
      ToProto(c.not_before, entry->mutable_not_before());
      ToProto(c.not_after, entry->mutable_not_after());
    }
    for (const std::string& name : c.dns_names) entry->add_dns_names(name);
  }
  report.set_protocol(diagnosed.protocol);
  report.set_cipher(diagnosed.cipher);
  for (const std::string& a : diagnosed.addresses) report.add_addresses(a);
  const int64_t elapsed_ms = absl::ToInt64Milliseconds(diagnosed.timings.total);
  report.mutable_elapsed()->set_seconds(elapsed_ms / 1000);
  report.mutable_elapsed()->set_nanos(static_cast<int32_t>(elapsed_ms % 1000) *
                                      1000000);
  return report;
}

absl::StatusOr<v1::DiagnosisReport> DiagnosisApi::DiagnoseBundle(
    const v1::DiagnoseBundleRequest& r) {
  CF_RETURN_IF_ERROR(CheckDomains(r.intended_domains()));
  diagnose::ChainRuleOptions options;
  CF_ASSIGN_OR_RETURN(options.extra_trust_pem,
                      TrustPem(r.trust_bundle_pem(), r.trust_builtin_cas()));
  std::vector<std::string> domains(r.intended_domains().begin(),
                                   r.intended_domains().end());
  v1::DiagnosisReport report;
  switch (r.source_case()) {
    case v1::DiagnoseBundleRequest::kFiles: {
      const std::string& chain = r.files().chain_pem();
      if (chain.empty()) {
        return absl::InvalidArgumentError(
            "files.chain_pem: give the certificate chain (PEM, leaf first)");
      }
      if (chain.size() > config_.max_chain_bytes) {
        return absl::InvalidArgumentError(absl::StrCat(
            "files.chain_pem: larger than ", config_.max_chain_bytes,
            " bytes; give the leaf and its intermediates only"));
      }
      if (r.files().private_key_pem().size() > config_.max_key_bytes) {
        return absl::InvalidArgumentError(
            absl::StrCat("files.private_key_pem: larger than ",
                         config_.max_key_bytes, " bytes"));
      }
      AddFindings(diagnose::DiagnoseBundle(
                      chain, SecretString(r.files().private_key_pem()), domains,
                      options),
                  &report);
      AddChainSummary(chain, &report);
      return report;
    }
    case v1::DiagnoseBundleRequest::kCertificate: {
      if (!IsUuid(r.certificate().id())) {
        return absl::InvalidArgumentError(
            "certificate.id: not a certificate id; use the id "
            "ListCertificates returns (a UUID)");
      }
      struct Stored {
        model::Certificate certificate;
        model::EncryptedPrivateKey key;
      };
      CF_ASSIGN_OR_RETURN(
          Stored stored,
          db_.RunInTransaction<Stored>(
              "get_certificate_for_diagnosis",
              [&](storage::Transaction& tx) -> absl::StatusOr<Stored> {
                Stored out;
                CF_ASSIGN_OR_RETURN(
                    out.certificate,
                    storage::CertificateRepository::Get(
                        tx, r.certificate().id(), r.certificate().version()));
                CF_ASSIGN_OR_RETURN(
                    out.key, storage::CertificateRepository::GetPrivateKey(
                                 tx, r.certificate().id(),
                                 out.certificate.version.version));
                return out;
              }));
      CF_ASSIGN_OR_RETURN(SecretString key,
                          keys_.Open({stored.key.kek_id, stored.key.nonce,
                                      stored.key.ciphertext},
                                     issuers::PrivateKeyAad(stored.key.id)));
      if (domains.empty()) domains = stored.certificate.version.dns_names;
      AddFindings(diagnose::DiagnoseBundle(stored.certificate.version.chain_pem,
                                           key, domains, options),
                  &report);
      AddChainSummary(stored.certificate.version.chain_pem, &report);
      return report;
    }
    case v1::DiagnoseBundleRequest::kFileTarget: {
      CF_RETURN_IF_ERROR(ValidateResourceName("file_target", r.file_target()));
      CF_ASSIGN_OR_RETURN(
          model::Target target,
          db_.RunInTransaction<model::Target>(
              "get_target", [&](storage::Transaction& tx) {
                return storage::DeploymentRepository::GetTargetByName(
                    tx, r.file_target());
              }));
      if (target.kind != "file") {
        return absl::FailedPreconditionError(absl::StrCat(
            "file_target: '", r.file_target(), "' is a ", target.kind,
            " target; its files are not on this host (use DiagnoseEndpoint)"));
      }
      CF_ASSIGN_OR_RETURN(
          targets::FileTargetConfig config,
          targets::FileTargetConfigFromJson(target.config_json));
      diagnose::BundleFiles files;
      files.directory = config.directory;
      files.chain_file = config.chain_file;
      files.key_file = config.key_file;
      if (domains.empty()) domains = target.domains;
      AddFindings(diagnose::DiagnoseBundleFiles(files, domains, options),
                  &report);
      return report;
    }
    case v1::DiagnoseBundleRequest::SOURCE_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError(
      "source: give files (chain_pem and private_key_pem), certificate (id "
      "and version) or file_target (a target name)");
}

}  // namespace certferry::service
