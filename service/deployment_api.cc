#include "service/deployment_api.h"

#include <optional>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "diagnose/finding_json.h"
#include "mapping/certificate_info.h"
#include "mapping/certificate_info_xlsx.h"
#include "pki/digest.h"
#include "pki/names.h"
#include "service/audit_trail.h"
#include "service/diagnosis_convert.h"
#include "service/proto_convert.h"
#include "service/revocation_api.h"
#include "service/validation.h"
#include "storage/certificate_repository.h"
#include "storage/deployment_repository.h"
#include "storage/job_repository.h"
#include "storage/request_id_repository.h"
#include "storage/revocation_repository.h"

namespace certferry::service {
namespace {

constexpr char kDeployMethod[] = "DeployCertificate";
constexpr char kRollbackMethod[] = "RollbackDeployment";
constexpr char kBindMethod[] = "BindCertificate";

v1::DeploymentState ToProto(model::DeploymentState s) {
  switch (s) {
    case model::DeploymentState::kQueued:
      return v1::DEPLOYMENT_STATE_QUEUED;
    case model::DeploymentState::kRunning:
      return v1::DEPLOYMENT_STATE_RUNNING;
    case model::DeploymentState::kVerifying:
      return v1::DEPLOYMENT_STATE_VERIFYING;
    case model::DeploymentState::kSucceeded:
      return v1::DEPLOYMENT_STATE_SUCCEEDED;
    case model::DeploymentState::kFailed:
      return v1::DEPLOYMENT_STATE_FAILED;
    case model::DeploymentState::kRolledBack:
      return v1::DEPLOYMENT_STATE_ROLLED_BACK;
  }
  return v1::DEPLOYMENT_STATE_UNSPECIFIED;
}

std::optional<model::DeploymentState> FromProto(v1::DeploymentState s) {
  switch (s) {
    case v1::DEPLOYMENT_STATE_QUEUED:
      return model::DeploymentState::kQueued;
    case v1::DEPLOYMENT_STATE_RUNNING:
      return model::DeploymentState::kRunning;
    case v1::DEPLOYMENT_STATE_VERIFYING:
      return model::DeploymentState::kVerifying;
    case v1::DEPLOYMENT_STATE_SUCCEEDED:
      return model::DeploymentState::kSucceeded;
    case v1::DEPLOYMENT_STATE_FAILED:
      return model::DeploymentState::kFailed;
    case v1::DEPLOYMENT_STATE_ROLLED_BACK:
      return model::DeploymentState::kRolledBack;
    default:
      return std::nullopt;
  }
}

// The target domains the certificate's names cover, and those they do not.
v1::DeploymentPreview Preview(const model::Target& target,
                              const model::Certificate& certificate) {
  v1::DeploymentPreview preview;
  preview.set_target(target.name);
  for (const std::string& domain : target.domains) {
    bool covered = false;
    for (const auto* names :
         {&certificate.version.dns_names, &certificate.version.ip_addresses}) {
      for (const std::string& name : *names) {
        covered = covered || pki::CertificateNameCovers(name, domain);
      }
    }
    (covered ? preview.add_matching_domains() : preview.add_unmatched_domains())
        ->assign(domain);
  }
  preview.set_matching_certificates(preview.unmatched_domains().empty() ? 1
                                                                        : 0);
  return preview;
}

}  // namespace

v1::Deployment ToProto(const model::Deployment& d) {
  v1::Deployment out;
  out.set_id(d.id);
  out.set_target(d.target_name);
  out.set_kind(d.kind);
  out.set_rolls_back(d.rolls_back_id);
  out.set_certificate_id(d.contents.certificate_id);
  out.set_certificate_version(d.contents.certificate_version);
  out.set_leaf_sha256(d.contents.leaf_sha256);
  out.set_previous_certificate_id(d.previous.certificate_id);
  out.set_previous_version(d.previous.certificate_version);
  out.set_previous_leaf_sha256(d.previous.leaf_sha256);
  out.set_previous_empty(d.previous_recorded && d.previous.empty);
  out.set_state(ToProto(d.state));
  out.set_auto_rolled_back(d.auto_rolled_back);
  out.set_attempts(d.attempts);
  out.set_error(d.error);
  out.set_evidence(d.evidence);
  out.set_operation(OperationApi::OperationName(d.job_id));
  out.set_actor(d.actor);
  out.set_request_id(d.request_id);
  service::ToProto(d.create_time, out.mutable_create_time());
  if (d.start_time) service::ToProto(*d.start_time, out.mutable_start_time());
  if (d.end_time) service::ToProto(*d.end_time, out.mutable_end_time());
  // Stored worst first; an unreadable column shows as no findings rather
  // than failing the read of the deployment itself.
  absl::StatusOr<std::vector<diagnose::Finding>> findings =
      diagnose::FindingsFromJson(d.findings_json);
  if (findings.ok()) {
    for (const diagnose::Finding& f : *findings) {
      *out.add_findings() = service::ToProto(f);
    }
  }
  return out;
}

DeploymentApi::DeploymentApi(storage::Database& db, OperationApi& operations,
                             storage::JobNotifier& notifier,
                             DeploymentApiConfig config)
    : db_(db), operations_(operations), notifier_(notifier), config_(config) {
  auto respond =
      [this](const model::Job& job) -> absl::StatusOr<google::protobuf::Any> {
    CF_ASSIGN_OR_RETURN(
        std::vector<model::Deployment> deployments,
        db_.RunInTransaction<std::vector<model::Deployment>>(
            "deployments_of_job", [&](storage::Transaction& tx) {
              return storage::DeploymentRepository::DeploymentsOfJob(tx,
                                                                     job.id);
            }));
    v1::DeploymentOperationResult result;
    for (const auto& d : deployments) *result.add_deployments() = ToProto(d);
    google::protobuf::Any any;
    any.PackFrom(result);
    return any;
  };
  operations_.RegisterResponse(kDeployJobKind, respond);
  operations_.RegisterResponse(kRollbackJobKind, respond);
}

absl::StatusOr<v1::DeployCertificateResponse> DeploymentApi::DeployCertificate(
    const v1::DeployCertificateRequest& r, const CallInfo& call) {
  absl::StatusOr<v1::DeployCertificateResponse> result =
      DeployOrRefuse(r, call, kDeployMethod);
  if (!result.ok() && !r.validate_only()) {
    RecordRefusedCall(db_, call, kDeployMethod,
                      absl::StrCat("certificates/", r.certificate_id()),
                      r.request_id(), result.status());
  }
  return result;
}

absl::StatusOr<v1::DeployCertificateResponse> DeploymentApi::DeployOrRefuse(
    const v1::DeployCertificateRequest& r, const CallInfo& call,
    const std::string& method) {
  CF_RETURN_IF_ERROR(ValidateRequestId("request_id", r.request_id()));
  CF_RETURN_IF_ERROR(ValidateCertificateVersion(
      "certificate_id", r.certificate_id(), r.version()));
  if (r.targets().empty()) {
    return absl::InvalidArgumentError("targets: give at least one target name");
  }
  if (r.targets_size() > config_.max_targets_per_call) {
    return absl::InvalidArgumentError(absl::StrCat(
        "targets: at most ", config_.max_targets_per_call, " per call"));
  }
  std::set<std::string> seen;
  for (int i = 0; i < r.targets_size(); ++i) {
    CF_RETURN_IF_ERROR(
        ValidateResourceName(absl::StrCat("targets[", i, "]"), r.targets(i)));
    if (!seen.insert(r.targets(i)).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "targets[", i, "]: '", r.targets(i), "' is listed twice"));
    }
  }
  const std::string digest =
      pki::Sha256Hex(absl::StrCat(method, "\n", r.SerializeAsString()));

  struct Outcome {
    std::vector<v1::DeploymentPreview> previews;
    std::optional<model::Job> job;
    std::vector<model::Deployment> deployments;
  };
  CF_ASSIGN_OR_RETURN(
      Outcome outcome,
      db_.RunInTransaction<Outcome>(
          "deploy_certificate",
          [&](storage::Transaction& tx) -> absl::StatusOr<Outcome> {
            Outcome out;
            if (!r.request_id().empty() && !r.validate_only()) {
              CF_ASSIGN_OR_RETURN(auto earlier,
                                  storage::RequestIdRepository::Claim(
                                      tx, r.request_id(), method, digest));
              if (earlier) {
                CF_RETURN_IF_ERROR(CheckSameRequest(*earlier, method, digest));
                int64_t job_id = 0;
                if (!absl::SimpleAtoi(earlier->resource_id, &job_id)) {
                  return absl::InternalError("request_id: bad stored record");
                }
                CF_ASSIGN_OR_RETURN(out.job,
                                    storage::JobRepository::Get(tx, job_id));
                CF_ASSIGN_OR_RETURN(
                    out.deployments,
                    storage::DeploymentRepository::DeploymentsOfJob(tx,
                                                                    job_id));
                return out;
              }
            }
            CF_ASSIGN_OR_RETURN(model::Certificate certificate,
                                storage::CertificateRepository::Get(
                                    tx, r.certificate_id(), r.version()));
            CF_ASSIGN_OR_RETURN(
                std::optional<model::Revocation> revoked,
                storage::RevocationRepository::Find(
                    tx, certificate.id, certificate.version.version));
            if (revoked) {
              return absl::FailedPreconditionError(
                  RevokedVersionMessage(certificate.name, *revoked));
            }
            std::vector<model::Target> targets;
            std::vector<std::string> problems;
            for (const std::string& name : r.targets()) {
              CF_ASSIGN_OR_RETURN(
                  targets.emplace_back(),
                  storage::DeploymentRepository::GetTargetByName(tx, name));
              v1::DeploymentPreview preview =
                  Preview(targets.back(), certificate);
              if (!preview.unmatched_domains().empty()) {
                problems.push_back(absl::StrCat(
                    "target '", name,
                    "': ", absl::StrJoin(preview.unmatched_domains(), ", "),
                    targets.back().kind == "cas"
                        ? " (Number of matching certificates is 0)"
                        : ""));
              }
              out.previews.push_back(std::move(preview));
            }
            if (r.validate_only()) return out;
            if (!problems.empty()) {
              return absl::FailedPreconditionError(absl::StrCat(
                  "certificate ", certificate.name, " version ",
                  certificate.version.version,
                  " does not cover these target domains (",
                  absl::StrJoin(problems, "; "),
                  "); issue a certificate that names them or fix the "
                  "target's domains"));
            }
            storage::NewJob job;
            job.kind = kDeployJobKind;
            job.max_attempts = config_.job_max_attempts;
            CF_ASSIGN_OR_RETURN(std::vector<model::Job> jobs,
                                storage::JobRepository::EnqueueMany(tx, {job}));
            out.job = jobs.front();
            for (const model::Target& target : targets) {
              storage::NewDeployment d;
              d.target_id = target.id;
              d.kind = "deploy";
              d.contents.certificate_id = certificate.id;
              d.contents.certificate_version = certificate.version.version;
              d.contents.leaf_sha256 = certificate.version.sha256_fingerprint;
              d.verify = !r.has_verify() || r.verify();
              d.auto_rollback = !r.has_auto_rollback() || r.auto_rollback();
              d.job_id = out.job->id;
              d.actor = call.actor;
              d.request_id = r.request_id();
              CF_ASSIGN_OR_RETURN(
                  int64_t id,
                  storage::DeploymentRepository::InsertDeployment(tx, d));
              CF_ASSIGN_OR_RETURN(
                  out.deployments.emplace_back(),
                  storage::DeploymentRepository::GetDeployment(tx, id));
            }
            if (!r.request_id().empty()) {
              CF_RETURN_IF_ERROR(storage::RequestIdRepository::Complete(
                  tx, r.request_id(), absl::StrCat(out.job->id), 0));
            }
            CF_RETURN_IF_ERROR(storage::AuditRepository::Append(
                tx,
                {AuditEventFor(
                    call, method, absl::StrCat("operations/", out.job->id),
                    r.request_id(), absl::OkStatus(),
                    absl::StrCat("certificate ", certificate.name, " (",
                                 certificate.id, ") version ",
                                 certificate.version.version, " to targets ",
                                 absl::StrJoin(r.targets(), ",")))}));
            return out;
          }));
  v1::DeployCertificateResponse response;
  for (auto& p : outcome.previews) *response.add_previews() = std::move(p);
  if (outcome.job) {
    notifier_.JobsEnqueued();
    CF_ASSIGN_OR_RETURN(*response.mutable_operation(),
                        operations_.ToOperation(*outcome.job));
    LogInfo(absl::StrCat("deploy queued certificate=", r.certificate_id(),
                         " targets=", absl::StrJoin(r.targets(), ","),
                         " operation=operations/", outcome.job->id,
                         " actor=", call.actor));
  }
  for (const auto& d : outcome.deployments) {
    *response.add_deployments() = ToProto(d);
  }
  return response;
}

absl::StatusOr<v1::BindCertificateResponse> DeploymentApi::BindCertificate(
    const v1::BindCertificateRequest& r, const CallInfo& call) {
  absl::StatusOr<v1::BindCertificateResponse> result = BindOrRefuse(r, call);
  if (!result.ok() && !r.validate_only()) {
    RecordRefusedCall(db_, call, kBindMethod,
                      absl::StrCat("certificates/", r.certificate_id()),
                      r.request_id(), result.status());
  }
  return result;
}

absl::StatusOr<v1::BindCertificateResponse> DeploymentApi::BindOrRefuse(
    const v1::BindCertificateRequest& r, const CallInfo& call) {
  if (r.target().empty()) {
    return absl::InvalidArgumentError(
        "target: give the name of an AIRec target (kind \"airec\")");
  }
  CF_RETURN_IF_ERROR(ValidateResourceName("target", r.target()));
  CF_RETURN_IF_ERROR(ValidateCertificateVersion(
      "certificate_id", r.certificate_id(), r.version()));
  struct Looked {
    model::Target target;
    model::Certificate certificate;
  };
  CF_ASSIGN_OR_RETURN(
      Looked looked,
      db_.RunInTransaction<Looked>(
          "bind_certificate_lookup",
          [&](storage::Transaction& tx) -> absl::StatusOr<Looked> {
            Looked out;
            CF_ASSIGN_OR_RETURN(
                out.target,
                storage::DeploymentRepository::GetTargetByName(tx, r.target()));
            CF_ASSIGN_OR_RETURN(out.certificate,
                                storage::CertificateRepository::Get(
                                    tx, r.certificate_id(), r.version()));
            return out;
          }));
  if (looked.target.kind != "airec") {
    return absl::FailedPreconditionError(
        absl::StrCat("target: '", r.target(), "' is a ", looked.target.kind,
                     " target; BindCertificate binds AIRec instances, use "
                     "DeployCertificate for it"));
  }
  // The rows are checked here, before anything is queued, so a bad row is
  // refused loudly instead of being dropped by the platform.
  absl::StatusOr<std::vector<mapping::MappingRow>> rows = mapping::BindingRows(
      looked.certificate.version.chain_pem, looked.target.domains);
  if (!rows.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "certificate ", looked.certificate.name, " version ",
        looked.certificate.version.version, " cannot be bound to target '",
        r.target(), "': ", rows.status().message(),
        "\nissue a certificate that names these domains or fix the "
        "target's domains"));
  }
  v1::BindCertificateResponse response;
  for (const mapping::MappingRow& row : *rows) {
    v1::CertificateInfoRow* out = response.add_mapping();
    out->set_row(row.row);
    out->set_domain(row.domain);
    out->set_certificate_id(row.certificate_id);
    out->set_protocol(row.protocol);
    int port = 0;
    out->set_port(absl::SimpleAtoi(row.port, &port) ? port : 0);
  }
  if (r.validate_only()) {
    CF_ASSIGN_OR_RETURN(*response.mutable_mapping_file(),
                        mapping::WriteCertificateInfoXlsx(*rows));
  }

  v1::DeployCertificateRequest deploy;
  deploy.set_certificate_id(r.certificate_id());
  deploy.set_version(looked.certificate.version.version);
  deploy.add_targets(r.target());
  deploy.set_request_id(r.request_id());
  deploy.set_validate_only(r.validate_only());
  if (r.has_verify()) deploy.set_verify(r.verify());
  CF_ASSIGN_OR_RETURN(v1::DeployCertificateResponse deployed,
                      DeployOrRefuse(deploy, call, kBindMethod));
  if (deployed.has_operation()) {
    *response.mutable_operation() = std::move(*deployed.mutable_operation());
  }
  if (!deployed.previews().empty()) {
    *response.mutable_preview() = std::move(*deployed.mutable_previews(0));
  }
  if (!deployed.deployments().empty()) {
    *response.mutable_deployment() =
        std::move(*deployed.mutable_deployments(0));
  }
  return response;
}

absl::StatusOr<v1::RollbackDeploymentResponse>
DeploymentApi::RollbackDeployment(const v1::RollbackDeploymentRequest& r,
                                  const CallInfo& call) {
  absl::StatusOr<v1::RollbackDeploymentResponse> result =
      RollbackOrRefuse(r, call);
  if (!result.ok()) {
    RecordRefusedCall(db_, call, kRollbackMethod,
                      absl::StrCat("deployments/", r.deployment()),
                      r.request_id(), result.status());
  }
  return result;
}

absl::StatusOr<v1::RollbackDeploymentResponse> DeploymentApi::RollbackOrRefuse(
    const v1::RollbackDeploymentRequest& r, const CallInfo& call) {
  CF_RETURN_IF_ERROR(ValidateRequestId("request_id", r.request_id()));
  if (r.deployment() <= 0) {
    return absl::InvalidArgumentError(
        "deployment: give the id of the deployment to undo");
  }
  const std::string digest = pki::Sha256Hex(
      absl::StrCat(kRollbackMethod, "\n", r.SerializeAsString()));
  struct Outcome {
    model::Job job;
    model::Deployment deployment;
  };
  CF_ASSIGN_OR_RETURN(
      Outcome outcome,
      db_.RunInTransaction<Outcome>(
          "rollback_deployment",
          [&](storage::Transaction& tx) -> absl::StatusOr<Outcome> {
            Outcome out;
            if (!r.request_id().empty()) {
              CF_ASSIGN_OR_RETURN(
                  auto earlier,
                  storage::RequestIdRepository::Claim(tx, r.request_id(),
                                                      kRollbackMethod, digest));
              if (earlier) {
                CF_RETURN_IF_ERROR(
                    CheckSameRequest(*earlier, kRollbackMethod, digest));
                int64_t id = 0;
                if (!absl::SimpleAtoi(earlier->resource_id, &id)) {
                  return absl::InternalError("request_id: bad stored record");
                }
                CF_ASSIGN_OR_RETURN(
                    out.deployment,
                    storage::DeploymentRepository::GetDeployment(tx, id));
                CF_ASSIGN_OR_RETURN(out.job, storage::JobRepository::Get(
                                                 tx, out.deployment.job_id));
                return out;
              }
            }
            CF_ASSIGN_OR_RETURN(model::Deployment undone,
                                storage::DeploymentRepository::GetDeployment(
                                    tx, r.deployment()));
            if (undone.state != model::DeploymentState::kSucceeded) {
              return absl::FailedPreconditionError(absl::StrCat(
                  "deployment ", undone.id, " is ",
                  model::DeploymentStateName(undone.state),
                  "; only a succeeded deployment can be rolled back"));
            }
            CF_ASSIGN_OR_RETURN(std::vector<int64_t> later,
                                storage::DeploymentRepository::LaterDeployments(
                                    tx, undone.target_id, undone.id));
            if (!later.empty()) {
              return absl::FailedPreconditionError(absl::StrCat(
                  "deployment ", undone.id, " is not the latest on target '",
                  undone.target_name, "': deployment ", later.back(),
                  " came after it; roll that one back first (or deploy what "
                  "you want directly)"));
            }
            const model::DeployedContents& restored = undone.previous;
            if (!restored.certificate_id.empty()) {
              CF_ASSIGN_OR_RETURN(std::optional<model::Revocation> revoked,
                                  storage::RevocationRepository::Find(
                                      tx, restored.certificate_id,
                                      restored.certificate_version));
              if (revoked) {
                CF_ASSIGN_OR_RETURN(model::Certificate certificate,
                                    storage::CertificateRepository::Get(
                                        tx, restored.certificate_id,
                                        restored.certificate_version));
                return absl::FailedPreconditionError(absl::StrCat(
                    "rolling back deployment ", undone.id,
                    " would put back what target '", undone.target_name,
                    "' had before: ",
                    RevokedVersionMessage(certificate.name, *revoked)));
              }
            }
            storage::NewJob job;
            job.kind = kRollbackJobKind;
            job.max_attempts = config_.job_max_attempts;
            CF_ASSIGN_OR_RETURN(std::vector<model::Job> jobs,
                                storage::JobRepository::EnqueueMany(tx, {job}));
            out.job = jobs.front();
            storage::NewDeployment d;
            d.target_id = undone.target_id;
            d.kind = "rollback";
            d.rolls_back_id = undone.id;
            d.contents = undone.previous;
            d.verify = undone.verify;
            // Undoing a rollback's failure would re-apply what the user
            // asked to remove; a failed rollback is left to them.
            d.auto_rollback = false;
            d.job_id = out.job.id;
            d.actor = call.actor;
            d.request_id = r.request_id();
            CF_ASSIGN_OR_RETURN(
                int64_t id,
                storage::DeploymentRepository::InsertDeployment(tx, d));
            CF_ASSIGN_OR_RETURN(
                out.deployment,
                storage::DeploymentRepository::GetDeployment(tx, id));
            if (!r.request_id().empty()) {
              CF_RETURN_IF_ERROR(storage::RequestIdRepository::Complete(
                  tx, r.request_id(), absl::StrCat(id), 0));
            }
            CF_RETURN_IF_ERROR(storage::AuditRepository::Append(
                tx, {AuditEventFor(
                        call, kRollbackMethod,
                        absl::StrCat("deployments/", undone.id), r.request_id(),
                        absl::OkStatus(),
                        absl::StrCat("undo on target ", undone.target_name,
                                     " by deployment ", id, ", operations/",
                                     out.job.id))}));
            return out;
          }));
  notifier_.JobsEnqueued();
  v1::RollbackDeploymentResponse response;
  CF_ASSIGN_OR_RETURN(*response.mutable_operation(),
                      operations_.ToOperation(outcome.job));
  *response.mutable_deployment() = ToProto(outcome.deployment);
  LogInfo(absl::StrCat("rollback queued deployment=", r.deployment(),
                       " operation=operations/", outcome.job.id,
                       " actor=", call.actor));
  return response;
}

absl::StatusOr<v1::Deployment> DeploymentApi::GetDeployment(
    const v1::GetDeploymentRequest& r) {
  if (r.id() <= 0) {
    return absl::InvalidArgumentError("id: give a deployment id");
  }
  CF_ASSIGN_OR_RETURN(model::Deployment d,
                      db_.RunInTransaction<model::Deployment>(
                          "get_deployment", [&](storage::Transaction& tx) {
                            return storage::DeploymentRepository::GetDeployment(
                                tx, r.id());
                          }));
  return ToProto(d);
}

absl::StatusOr<v1::ListDeploymentsResponse> DeploymentApi::ListDeployments(
    const v1::ListDeploymentsRequest& r) {
  if (r.page_size() < 0 || r.page_size() > config_.max_page_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size: must be between 1 and ", config_.max_page_size,
                     " (0 means ", config_.default_page_size, ")"));
  }
  if (!r.certificate_id().empty() && !IsUuid(r.certificate_id())) {
    return absl::InvalidArgumentError(
        "certificate_id: not a certificate id (a UUID)");
  }
  if (!r.target().empty()) {
    CF_RETURN_IF_ERROR(ValidateResourceName("target", r.target()));
  }
  // The token carries the last id and the filters it was issued for.
  const std::string filter_key = pki::Sha256Hex(absl::StrCat(
      r.target(), "\n", r.certificate_id(), "\n", static_cast<int>(r.state())));
  storage::DeploymentQuery query;
  query.certificate_id = r.certificate_id();
  query.state = FromProto(r.state());
  query.page_size =
      (r.page_size() == 0 ? config_.default_page_size : r.page_size()) + 1;
  if (!r.page_token().empty()) {
    std::string raw;
    std::vector<std::string> parts;
    if (absl::WebSafeBase64Unescape(r.page_token(), &raw)) {
      parts = absl::StrSplit(raw, '\n');
    }
    if (parts.size() != 2 || parts[0] != filter_key.substr(0, 16) ||
        !absl::SimpleAtoi(parts[1], &query.before_id)) {
      return absl::InvalidArgumentError(
          "page_token: not from ListDeployments with these filters; repeat "
          "the first call's filters or start without page_token");
    }
  }
  CF_ASSIGN_OR_RETURN(
      std::vector<model::Deployment> rows,
      db_.RunInTransaction<std::vector<model::Deployment>>(
          "list_deployments",
          [&](storage::Transaction& tx)
              -> absl::StatusOr<std::vector<model::Deployment>> {
            if (!r.target().empty()) {
              CF_ASSIGN_OR_RETURN(
                  model::Target target,
                  storage::DeploymentRepository::GetTargetByName(tx,
                                                                 r.target()));
              query.target_id = target.id;
            }
            return storage::DeploymentRepository::ListDeployments(tx, query);
          }));
  v1::ListDeploymentsResponse out;
  const size_t page = static_cast<size_t>(query.page_size - 1);
  for (size_t i = 0; i < rows.size() && i < page; ++i) {
    *out.add_deployments() = ToProto(rows[i]);
  }
  if (rows.size() > page) {
    out.set_next_page_token(absl::WebSafeBase64Escape(
        absl::StrCat(filter_key.substr(0, 16), "\n", rows[page - 1].id)));
  }
  return out;
}

}  // namespace certferry::service
