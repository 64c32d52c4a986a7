#include "service/diagnosis_api.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/status_macros.h"
#include "diagnose/bundle/bundle_diagnosis.h"
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
