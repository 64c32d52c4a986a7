#include "workers/handlers/renew_certificate_handler.h"

#include <algorithm>
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "model/renewal.h"
#include "storage/audit_repository.h"
#include "storage/certificate_repository.h"
#include "storage/deployment_repository.h"
#include "storage/job_repository.h"
#include "workers/backoff.h"
#include "workers/handlers/deploy_handler.h"
#include "workers/handlers/issued_versions.h"

namespace certferry::workers {
namespace {

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

// What Run leaves for CommitEffects.
struct RenewedVersion final : JobEffect {
  std::string certificate_id;
  std::string certificate_name;
  int renewed_from = 0;
  std::string renewed_leaf_sha256;
  std::vector<storage::NewCertificateVersion> inputs;  // exactly one
};

// The renewed version and its issuance record, read in one transaction.
struct Previous {
  model::Certificate certificate;  // with the version to renew
  int latest_version = 0;
  std::optional<model::IssuanceRecord> issuance;
};

}  // namespace

RenewCertificateHandler::RenewCertificateHandler(
    storage::Database& db, const Clock& clock,
    const std::vector<issuers::Issuer*>& issuers, RenewHandlerConfig config)
    : db_(db), clock_(clock), config_(config) {
  for (issuers::Issuer* issuer : issuers) issuers_[issuer->kind()] = issuer;
}

absl::StatusOr<std::string> RenewCertificateHandler::Run(JobContext& context) {
  CF_ASSIGN_OR_RETURN(model::RenewJobPayload payload,
                      model::ParseRenewJobPayload(context.payload_json()));
  CF_ASSIGN_OR_RETURN(
      Previous previous,
      db_.RunAutocommit<Previous>(
          "load_renewed_version",
          [&](storage::Transaction& tx) -> absl::StatusOr<Previous> {
            Previous p;
            CF_ASSIGN_OR_RETURN(
                p.certificate,
                storage::CertificateRepository::Get(tx, payload.certificate_id,
                                                    payload.version));
            p.latest_version = p.certificate.version_count;
            CF_ASSIGN_OR_RETURN(
                p.issuance, storage::CertificateRepository::GetIssuance(
                                tx, payload.certificate_id, payload.version));
            return p;
          }));
  const model::CertificateVersion& version = previous.certificate.version;
  const std::string what = absl::StrCat(
      "certificate ", previous.certificate.name, " version ", payload.version);
  if (previous.latest_version != payload.version) {
    context.ReportProgress(
        absl::StrCat("superseded by version ", previous.latest_version));
    return model::ToJson(
        model::RenewJobResult{payload.certificate_id, payload.version, 0, {}});
  }
  if (clock_.Now() >= version.not_after) {
    return absl::FailedPreconditionError(absl::StrCat(
        what, " expired at ", Rfc3339(version.not_after),
        " before it could be renewed; renewal stopped. Issue a new version "
        "(IssueCertificate) and deploy it"));
  }
  if (!previous.issuance) {
    return absl::FailedPreconditionError(absl::StrCat(
        what, " was imported; certferry renews only what it issued"));
  }
  auto issuer = issuers_.find(previous.issuance->issuer_kind);
  if (issuer == issuers_.end()) {
    return absl::FailedPreconditionError(
        absl::StrCat(what, " was issued by a '", previous.issuance->issuer_kind,
                     "' issuer, which this certferry cannot renew from"));
  }

  context.ReportProgress(
      absl::StrCat("issuing the successor of version ", payload.version));
  absl::StatusOr<storage::NewCertificateVersion> issued =
      issuer->second->Reissue(previous.certificate.name, *previous.issuance);
  if (!issued.ok()) {
    // Retried until the version expires, whatever the code: the cause is
    // usually fixed by someone meanwhile, and giving up lets it expire.
    const absl::Status& s = issued.status();
    std::string message = absl::StrCat(
        "renewing ", what, ": ", absl::StatusCodeToString(s.code()), ": ",
        s.message(), "; retried with backoff until it expires at ",
        Rfc3339(version.not_after));
    return IsRetryable(s) ? absl::Status(s.code(), message)
                          : absl::UnavailableError(message);
  }
  auto effect = std::make_shared<RenewedVersion>();
  effect->certificate_id = payload.certificate_id;
  effect->certificate_name = previous.certificate.name;
  effect->renewed_from = payload.version;
  effect->renewed_leaf_sha256 = version.sha256_fingerprint;
  issued->issued_by_job_id = context.id();
  issued->issued_by_job_item = 0;
  effect->inputs.push_back(*std::move(issued));
  context.SetEffect(std::move(effect));
  return std::string("{}");  // replaced by CommitEffects
}

absl::Status RenewCertificateHandler::CommitEffects(
    storage::Transaction& tx, std::vector<PendingEffect>& effects) {
  // Lock the certificates in one order (no deadlock between completers),
  // then store only versions that are still the latest.
  std::vector<PendingEffect*> sorted;
  for (PendingEffect& effect : effects) sorted.push_back(&effect);
  std::sort(sorted.begin(), sorted.end(),
            [](const PendingEffect* a, const PendingEffect* b) {
              return static_cast<RenewedVersion*>(a->effect)->certificate_id <
                     static_cast<RenewedVersion*>(b->effect)->certificate_id;
            });
  std::vector<PendingEffect*> current;
  std::vector<VersionsOfJob> to_store;
  for (PendingEffect* effect : sorted) {
    auto* renewed = static_cast<RenewedVersion*>(effect->effect);
    CF_ASSIGN_OR_RETURN(int latest,
                        storage::CertificateRepository::LockLatestVersion(
                            tx, renewed->certificate_id));
    if (latest != renewed->renewed_from) {
      *effect->result_json = model::ToJson(model::RenewJobResult{
          renewed->certificate_id, renewed->renewed_from, 0, {}});
      continue;
    }
    current.push_back(effect);
    to_store.push_back({effect->job_id, &renewed->inputs});
  }
  if (current.empty()) return absl::OkStatus();
  CF_ASSIGN_OR_RETURN(auto stored, StoreIssuedVersions(tx, to_store));

  bool deploying = false;
  std::vector<storage::NewAuditEvent> events;
  for (size_t i = 0; i < current.size(); ++i) {
    auto* renewed = static_cast<RenewedVersion*>(current[i]->effect);
    const storage::StoredVersionRef& ref = stored[i].front();
    model::RenewJobResult result{
        ref.certificate_id, renewed->renewed_from, ref.version, {}};
    CF_ASSIGN_OR_RETURN(
        std::vector<model::Target> targets,
        storage::DeploymentRepository::TargetsServingLeaf(
            tx, ref.certificate_id, renewed->renewed_leaf_sha256));
    if (!targets.empty()) {
      // One job per target: each target's deployment retries and ends on
      // its own, as one operation.
      storage::NewJob job;
      job.kind = DeployHandler::kDeployKind;
      job.max_attempts = config_.deploy_max_attempts;
      CF_ASSIGN_OR_RETURN(
          std::vector<model::Job> jobs,
          storage::JobRepository::EnqueueMany(
              tx, std::vector<storage::NewJob>(targets.size(), job)));
      for (size_t t = 0; t < targets.size(); ++t) {
        storage::NewDeployment d;
        d.target_id = targets[t].id;
        d.kind = "deploy";
        d.contents.certificate_id = ref.certificate_id;
        d.contents.certificate_version = ref.version;
        d.contents.leaf_sha256 =
            renewed->inputs.front().version.sha256_fingerprint;
        d.verify = true;
        d.auto_rollback = true;
        d.job_id = jobs[t].id;
        d.actor = "system";
        CF_ASSIGN_OR_RETURN(
            int64_t id, storage::DeploymentRepository::InsertDeployment(tx, d));
        result.deployments.push_back({targets[t].name, id, jobs[t].id});
      }
      deploying = true;
    }
    std::vector<std::string> names;
    for (const model::Target& t : targets) names.push_back(t.name);
    storage::NewAuditEvent event;
    event.actor = "system";
    event.action = "certificate.renewed";
    event.resource = absl::StrCat("certificates/", renewed->certificate_name);
    event.outcome = "ok";
    event.summary = absl::StrCat(
        "version ", renewed->renewed_from, " renewed as version ", ref.version,
        " by operations/", current[i]->job_id,
        targets.empty()
            ? "; served by no target"
            : absl::StrCat("; deploying to ", absl::StrJoin(names, ",")));
    events.push_back(std::move(event));
    LogInfo(absl::StrCat("renewed certificate name=", renewed->certificate_name,
                         " from=", renewed->renewed_from, " version=",
                         ref.version, " targets=", absl::StrJoin(names, ",")));
    *current[i]->result_json = model::ToJson(result);
  }
  CF_RETURN_IF_ERROR(storage::AuditRepository::Append(tx, events));
  // Deploy workers learn of the jobs at commit rather than at their next
  // poll; renewals are rare, so the notify lock costs nothing here.
  if (deploying) CF_RETURN_IF_ERROR(storage::JobRepository::NotifyWorkers(tx));
  return absl::OkStatus();
}

}  // namespace certferry::workers
