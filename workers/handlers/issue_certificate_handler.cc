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

// What Run leaves for CommitEffects: the versions to store, in job order.
struct IssuedVersions final : JobEffect {
  size_t weight() const override { return inputs.size(); }
  std::vector<storage::NewCertificateVersion> inputs;
};

// Signs one certificate and seals its key: the version to store for item
// `item` of job `job_id`. `ca` caches the last issuer looked up.
absl::StatusOr<storage::NewCertificateVersion> IssueItem(
    issuers::CertificateAuthorities& authorities, const pki::KeyRing& keys,
    model::IssueJobPayload payload, int64_t job_id, int item,
    std::optional<model::CertificateAuthority>& ca) {
  if (!ca || ca->id != payload.issuer_id) {
    CF_ASSIGN_OR_RETURN(ca, authorities.Get(payload.issuer_id));
  }
  CF_ASSIGN_OR_RETURN(pki::KeyType key_type,
                      pki::ParseKeyType("key_type", payload.key_type));
  issuers::IssueParams params;
  params.names = std::move(payload.names);
  params.key_type = key_type;
  params.validity = absl::Seconds(payload.validity_seconds);
  CF_ASSIGN_OR_RETURN(issuers::IssuedCertificate issued,
                      authorities.Issue(*ca, params));
  CF_ASSIGN_OR_RETURN(
      storage::NewCertificateVersion input,
      issuers::BuildNewVersion(payload.name, issued.chain_pem, issued.chain,
                               issued.private_key_pem,
                               model::CertificateSource::kIssued, keys));
  input.issued_by_job_id = job_id;
  input.issued_by_job_item = item;
  input.issuer_ca_id = ca->id;
  return input;
}

// Stores every effect's versions with one AddVersions call; returns, per
// effect, the stored (certificate id, version) of each of its versions.
absl::StatusOr<std::vector<std::vector<storage::StoredVersionRef>>>
StoreVersions(storage::Transaction& tx,
              const std::vector<PendingEffect>& effects) {
  std::vector<const storage::NewCertificateVersion*> inputs;
  for (const PendingEffect& effect : effects) {
    for (const storage::NewCertificateVersion& input :
         static_cast<IssuedVersions*>(effect.effect)->inputs) {
      inputs.push_back(&input);
    }
  }
  CF_ASSIGN_OR_RETURN(std::vector<storage::StoredVersionRef> stored,
                      storage::CertificateRepository::AddVersions(tx, inputs));
  std::vector<std::vector<storage::StoredVersionRef>> per_effect;
  per_effect.reserve(effects.size());
  size_t next = 0;
  for (const PendingEffect& effect : effects) {
    const auto& mine = static_cast<IssuedVersions*>(effect.effect)->inputs;
    per_effect.emplace_back(stored.begin() + next,
                            stored.begin() + next + mine.size());
    for (size_t i = 0; i < mine.size(); ++i) {
      LogInfo(absl::StrCat("issued certificate name=", mine[i].certificate_name,
                           " version=", stored[next + i].version,
                           " sha256=", mine[i].version.sha256_fingerprint,
                           " operation=operations/", effect.job_id));
    }
    next += mine.size();
  }
  return per_effect;
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
      return model::ToJson(
          model::IssueJobResult{existing->id, existing->version.version});
    }
  }

  context.ReportProgress("signing");
  std::optional<model::CertificateAuthority> ca;
  auto effect = std::make_shared<IssuedVersions>();
  CF_ASSIGN_OR_RETURN(
      effect->inputs.emplace_back(),
      IssueItem(authorities_, keys_, std::move(payload), context.id(), 0, ca));
  context.SetEffect(std::move(effect));
  return std::string("{}");  // replaced by CommitEffects
}

absl::Status IssueCertificateHandler::CommitEffects(
    storage::Transaction& tx, std::vector<PendingEffect>& effects) {
  CF_ASSIGN_OR_RETURN(auto stored, StoreVersions(tx, effects));
  for (size_t i = 0; i < effects.size(); ++i) {
    *effects[i].result_json = model::ToJson(model::IssueJobResult{
        stored[i].front().certificate_id, stored[i].front().version});
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> IssueCertificatesBatchHandler::Run(
    JobContext& context) {
  CF_ASSIGN_OR_RETURN(model::IssueBatchJobPayload payload,
                      model::ParseIssueBatchJobPayload(context.payload_json()));
  const size_t total = payload.items.size();
  std::optional<model::CertificateAuthority> ca;
  auto effect = std::make_shared<IssuedVersions>();
  effect->inputs.reserve(total);
  for (size_t i = 0; i < total; ++i) {
    if (context.cancel_requested()) {
      return absl::CancelledError(
          absl::StrCat("cancelled after signing ", i, " of ", total,
                       " certificates; none was stored"));
    }
    if (i % 64 == 0) {
      context.ReportProgress(absl::StrCat("signed ", i, " of ", total));
    }
    absl::StatusOr<storage::NewCertificateVersion> input =
        IssueItem(authorities_, keys_, std::move(payload.items[i]),
                  context.id(), static_cast<int>(i), ca);
    if (!input.ok()) {
      return absl::Status(
          input.status().code(),
          absl::StrCat("requests[", i, "]: ", input.status().message(),
                       "; no certificate of the batch was stored"));
    }
    effect->inputs.push_back(*std::move(input));
  }
  context.ReportProgress(absl::StrCat("signed ", total, " of ", total));
  context.SetEffect(std::move(effect));
  return std::string("{}");  // replaced by CommitEffects
}

absl::Status IssueCertificatesBatchHandler::CommitEffects(
    storage::Transaction& tx, std::vector<PendingEffect>& effects) {
  CF_ASSIGN_OR_RETURN(auto stored, StoreVersions(tx, effects));
  for (size_t i = 0; i < effects.size(); ++i) {
    model::IssueBatchJobResult result;
    for (const storage::StoredVersionRef& ref : stored[i]) {
      result.items.push_back({ref.certificate_id, ref.version});
    }
    *effects[i].result_json = model::ToJson(result);
  }
  return absl::OkStatus();
}

}  // namespace certferry::workers
