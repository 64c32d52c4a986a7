#include "workers/handlers/issue_certificate_handler.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "model/issue_job.h"
#include "storage/certificate_repository.h"
#include "workers/handlers/issued_versions.h"

namespace certferry::workers {
namespace {

// What Run leaves for CommitEffects: the versions to store, in job order.
struct IssuedVersions final : JobEffect {
  size_t weight() const override { return inputs.size(); }
  std::vector<storage::NewCertificateVersion> inputs;
};

// Every effect's versions, for StoreIssuedVersions.
std::vector<VersionsOfJob> VersionsOf(
    const std::vector<PendingEffect>& effects) {
  std::vector<VersionsOfJob> jobs;
  jobs.reserve(effects.size());
  for (const PendingEffect& effect : effects) {
    jobs.push_back(
        {effect.job_id, &static_cast<IssuedVersions*>(effect.effect)->inputs});
  }
  return jobs;
}

// The version to store for item `item` of job `job_id`.
absl::StatusOr<storage::NewCertificateVersion> IssueItem(
    issuers::OwnCaIssuer& issuer, model::IssueJobPayload payload,
    int64_t job_id, int item, std::optional<model::CertificateAuthority>& ca) {
  CF_ASSIGN_OR_RETURN(storage::NewCertificateVersion input,
                      issuer.Issue(std::move(payload), ca));
  input.issued_by_job_id = job_id;
  input.issued_by_job_item = item;
  return input;
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
      IssueItem(issuer_, std::move(payload), context.id(), 0, ca));
  context.SetEffect(std::move(effect));
  return std::string("{}");  // replaced by CommitEffects
}

absl::Status IssueCertificateHandler::CommitEffects(
    storage::Transaction& tx, std::vector<PendingEffect>& effects) {
  CF_ASSIGN_OR_RETURN(auto stored,
                      StoreIssuedVersions(tx, VersionsOf(effects)));
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
        IssueItem(issuer_, std::move(payload.items[i]), context.id(),
                  static_cast<int>(i), ca);
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
  CF_ASSIGN_OR_RETURN(auto stored,
                      StoreIssuedVersions(tx, VersionsOf(effects)));
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
