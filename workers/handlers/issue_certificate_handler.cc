#include "workers/handlers/issue_certificate_handler.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "issuers/stored_versions.h"
#include "model/issue_job.h"
#include "pki/certificate_bundle.h"
#include "pki/key_generation.h"
#include "storage/certificate_repository.h"

namespace certferry::workers {
namespace {

// What Run leaves for CommitEffects.
struct IssuedVersion final : JobEffect {
  explicit IssuedVersion(storage::NewCertificateVersion input)
      : input(std::move(input)) {}
  storage::NewCertificateVersion input;
};

std::string ResultJson(const std::string& certificate_id, int version) {
  return model::ToJson(model::IssueJobResult{certificate_id, version});
}

}  // namespace

absl::StatusOr<std::string> IssueCertificateHandler::Run(JobContext& context) {
  CF_ASSIGN_OR_RETURN(model::IssueJobPayload payload,
                      model::ParseIssueJobPayload(context.payload_json()));
  // The version commits with the job's completion, so a re-run finds none;
  // the lookup guards versions stored by older releases, which stored
  // before completing.
  if (context.attempt() > 1) {
    CF_ASSIGN_OR_RETURN(
        std::optional<model::Certificate> existing,
        db_.RunAutocommit<std::optional<model::Certificate>>(
            "find_issued_version", [&](storage::Transaction& tx) {
              return storage::CertificateRepository::FindIssuedByJob(
                  tx, context.id());
            }));
    if (existing) {
      return ResultJson(existing->id, existing->version.version);
    }
  }

  context.ReportProgress("signing");
  CF_ASSIGN_OR_RETURN(model::CertificateAuthority ca,
                      authorities_.Get(payload.issuer_id));
  CF_ASSIGN_OR_RETURN(pki::KeyType key_type,
                      pki::ParseKeyType("key_type", payload.key_type));
  issuers::IssueParams params;
  params.names = std::move(payload.names);
  params.key_type = key_type;
  params.validity = absl::Seconds(payload.validity_seconds);
  CF_ASSIGN_OR_RETURN(issuers::IssuedCertificate issued,
                      authorities_.Issue(ca, params));
  CF_ASSIGN_OR_RETURN(
      storage::NewCertificateVersion input,
      issuers::BuildNewVersion(payload.name, issued.chain_pem, issued.chain,
                               issued.private_key_pem,
                               model::CertificateSource::kIssued, keys_));
  input.issued_by_job_id = context.id();
  input.issuer_ca_id = ca.id;
  context.SetEffect(std::make_shared<IssuedVersion>(std::move(input)));
  return std::string("{}");  // replaced by CommitEffects
}

absl::Status IssueCertificateHandler::CommitEffects(
    storage::Transaction& tx, std::vector<PendingEffect>& effects) {
  std::vector<const storage::NewCertificateVersion*> inputs;
  inputs.reserve(effects.size());
  for (const PendingEffect& effect : effects) {
    inputs.push_back(&static_cast<IssuedVersion*>(effect.effect)->input);
  }
  CF_ASSIGN_OR_RETURN(std::vector<storage::StoredVersionRef> stored,
                      storage::CertificateRepository::AddVersions(tx, inputs));
  for (size_t i = 0; i < effects.size(); ++i) {
    *effects[i].result_json =
        ResultJson(stored[i].certificate_id, stored[i].version);
    LogInfo(absl::StrCat(
        "issued certificate name=", inputs[i]->certificate_name, " version=",
        stored[i].version, " sha256=", inputs[i]->version.sha256_fingerprint,
        " operation=operations/", effects[i].job_id));
  }
  return absl::OkStatus();
}

}  // namespace certferry::workers
