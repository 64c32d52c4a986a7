#include "storage/deployment_repository.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "storage/pg_values.h"
#include "storage/queries/deployment_queries.h"

namespace certferry::storage {
namespace {

using model::DeployedContents;
using model::Deployment;
using model::Target;

Target TargetFromRow(const pqxx::row& row) {
  Target t;
  t.id = row[0].as<std::string>();
  t.name = row[1].as<std::string>();
  t.kind = row[2].as<std::string>();
  t.config_json = row[3].as<std::string>();
  t.domains = FromTextArray(row[4]);
  t.verify_host = row[5].as<std::string>();
  t.verify_port = row[6].as<int>();
  t.verify_sni = row[7].as<std::string>();
  t.create_time = FromEpochMicros(row[8]);
  t.update_time = FromEpochMicros(row[9]);
  return t;
}

Deployment DeploymentFromRow(const pqxx::row& row) {
  Deployment d;
  d.id = row[0].as<int64_t>();
  d.target_id = row[1].as<std::string>();
  d.target_name = row[2].as<std::string>();
  d.kind = row[3].as<std::string>();
  d.rolls_back_id = row[4].as<int64_t>();
  d.contents.certificate_id = row[5].as<std::string>();
  d.contents.certificate_version = row[6].as<int>();
  d.contents.chain_pem = row[7].as<std::string>();
  d.contents.key_id = row[8].as<std::string>();
  d.contents.empty = row[9].as<bool>();
  d.contents.leaf_sha256 = row[10].as<std::string>();
  d.previous_recorded = row[11].as<bool>();
  d.previous.certificate_id = row[12].as<std::string>();
  d.previous.certificate_version = row[13].as<int>();
  d.previous.chain_pem = row[14].as<std::string>();
  d.previous.key_id = row[15].as<std::string>();
  d.previous.empty = row[16].as<bool>();
  d.previous.leaf_sha256 = row[17].as<std::string>();
  d.state = model::ParseDeploymentState(row[18].as<std::string>())
                .value_or(model::DeploymentState::kQueued);
  d.verify = row[19].as<bool>();
  d.auto_rollback = row[20].as<bool>();
  d.auto_rolled_back = row[21].as<bool>();
  d.attempts = row[22].as<int>();
  d.error = row[23].as<std::string>();
  d.evidence = row[24].as<std::string>();
  d.job_id = row[25].as<int64_t>();
  d.actor = row[26].as<std::string>();
  d.request_id = row[27].as<std::string>();
  d.create_time = FromEpochMicros(row[28]);
  if (!row[29].is_null()) d.start_time = FromEpochMicros(row[29]);
  if (!row[30].is_null()) d.end_time = FromEpochMicros(row[30]);
  d.undo_record = row[31].as<std::string>();
  d.findings_json = row[32].as<std::string>();
  return d;
}

std::vector<int64_t> Ids(const pqxx::result& rows) {
  std::vector<int64_t> ids;
  ids.reserve(rows.size());
  for (const auto& row : rows) ids.push_back(row[0].as<int64_t>());
  return ids;
}

}  // namespace

absl::StatusOr<Target> DeploymentRepository::CreateTarget(Transaction& tx,
                                                          const NewTarget& t) {
  const pqxx::result rows =
      tx.pqxx().exec_prepared(queries::kInsertTarget.name, t.name, t.kind,
                              t.config_json, ToTextArrayLiteral(t.domains),
                              t.verify_host, t.verify_port, t.verify_sni);
  return TargetFromRow(rows.at(0));
}

absl::StatusOr<Target> DeploymentRepository::GetTargetByName(
    Transaction& tx, const std::string& name) {
  const pqxx::result rows =
      tx.pqxx().exec_prepared(queries::kGetTargetByName.name, name);
  if (rows.empty()) {
    return absl::NotFoundError(absl::StrCat(
        "target '", name, "' not found; list targets with ListTargets"));
  }
  return TargetFromRow(rows[0]);
}

absl::StatusOr<Target> DeploymentRepository::GetTargetById(
    Transaction& tx, const std::string& id) {
  const pqxx::result rows =
      tx.pqxx().exec_prepared(queries::kGetTargetById.name, id);
  if (rows.empty()) {
    return absl::NotFoundError(absl::StrCat("target ", id, " not found"));
  }
  return TargetFromRow(rows[0]);
}

absl::StatusOr<std::vector<Target>> DeploymentRepository::TargetsServingLeaf(
    Transaction& tx, const std::string& certificate_id,
    const std::string& leaf_sha256) {
  const pqxx::result rows = tx.pqxx().exec_prepared(
      queries::kTargetsServingLeaf.name, certificate_id, leaf_sha256);
  std::vector<Target> out;
  out.reserve(rows.size());
  for (const auto& row : rows) out.push_back(TargetFromRow(row));
  return out;
}

absl::StatusOr<std::vector<Target>> DeploymentRepository::ListTargets(
    Transaction& tx, const std::string& after_name, int limit) {
  const pqxx::result rows =
      tx.pqxx().exec_prepared(queries::kListTargets.name, after_name, limit);
  std::vector<Target> out;
  out.reserve(rows.size());
  for (const auto& row : rows) out.push_back(TargetFromRow(row));
  return out;
}

absl::Status DeploymentRepository::DeleteTarget(Transaction& tx,
                                                const std::string& id) {
  tx.pqxx().exec_prepared0(queries::kDeleteTarget.name, id);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<int64_t>>
DeploymentRepository::UnfinishedDeployments(Transaction& tx,
                                            const std::string& target_id) {
  return Ids(tx.pqxx().exec_prepared(
      queries::kUnfinishedDeploymentsOfTarget.name, target_id));
}

absl::StatusOr<int64_t> DeploymentRepository::ClaimTarget(
    Transaction& tx, const std::string& target_id, int64_t deployment_id,
    absl::Duration hold) {
  const pqxx::result rows =
      tx.pqxx().exec_prepared(queries::kClaimTarget.name, target_id,
                              deployment_id, absl::ToDoubleSeconds(hold));
  if (rows.empty()) {
    return absl::NotFoundError(
        absl::StrCat("target ", target_id, " not found"));
  }
  return rows[0][0].is_null() ? 0 : rows[0][0].as<int64_t>();
}

absl::Status DeploymentRepository::ReleaseTarget(Transaction& tx,
                                                 const std::string& target_id,
                                                 int64_t deployment_id) {
  tx.pqxx().exec_prepared0(queries::kReleaseTarget.name, target_id,
                           deployment_id);
  return absl::OkStatus();
}

absl::StatusOr<int64_t> DeploymentRepository::InsertDeployment(
    Transaction& tx, const NewDeployment& d) {
  const pqxx::result rows = tx.pqxx().exec_prepared(
      queries::kInsertDeployment.name, d.target_id, d.kind, d.rolls_back_id,
      d.contents.certificate_id, d.contents.certificate_version,
      d.contents.chain_pem, d.contents.key_id, d.contents.empty,
      d.contents.leaf_sha256, d.verify, d.auto_rollback, d.job_id, d.actor,
      d.request_id);
  return rows.at(0)[0].as<int64_t>();
}

absl::StatusOr<Deployment> DeploymentRepository::GetDeployment(Transaction& tx,
                                                               int64_t id) {
  const pqxx::result rows =
      tx.pqxx().exec_prepared(queries::kGetDeployment.name, id);
  if (rows.empty()) {
    return absl::NotFoundError(absl::StrCat("deployment ", id, " not found"));
  }
  return DeploymentFromRow(rows[0]);
}

absl::StatusOr<std::vector<Deployment>> DeploymentRepository::DeploymentsOfJob(
    Transaction& tx, int64_t job_id) {
  const pqxx::result rows =
      tx.pqxx().exec_prepared(queries::kDeploymentsOfJob.name, job_id);
  std::vector<Deployment> out;
  for (const auto& row : rows) out.push_back(DeploymentFromRow(row));
  return out;
}

absl::StatusOr<std::vector<Deployment>> DeploymentRepository::ListDeployments(
    Transaction& tx, const DeploymentQuery& q) {
  const pqxx::result rows = tx.pqxx().exec_prepared(
      queries::kListDeployments.name, q.target_id, q.certificate_id,
      q.state ? model::DeploymentStateName(*q.state) : "", q.before_id,
      q.page_size);
  std::vector<Deployment> out;
  for (const auto& row : rows) out.push_back(DeploymentFromRow(row));
  return out;
}

absl::StatusOr<std::vector<int64_t>> DeploymentRepository::LaterDeployments(
    Transaction& tx, const std::string& target_id, int64_t deployment_id) {
  return Ids(tx.pqxx().exec_prepared(queries::kLaterDeploymentsOfTarget.name,
                                     target_id, deployment_id));
}

absl::Status DeploymentRepository::RecordPrevious(Transaction& tx,
                                                  int64_t deployment_id,
                                                  const DeployedContents& p) {
  tx.pqxx().exec_prepared0(queries::kRecordPrevious.name, deployment_id,
                           p.certificate_id, p.certificate_version, p.chain_pem,
                           p.key_id, p.empty, p.leaf_sha256);
  return absl::OkStatus();
}

absl::Status DeploymentRepository::SetState(Transaction& tx,
                                            int64_t deployment_id,
                                            model::DeploymentState state,
                                            const std::string& error,
                                            const std::string& evidence,
                                            bool auto_rolled_back) {
  tx.pqxx().exec_prepared0(queries::kSetDeploymentState.name, deployment_id,
                           model::DeploymentStateName(state), error, evidence,
                           auto_rolled_back);
  return absl::OkStatus();
}

absl::Status DeploymentRepository::SetUndoRecord(Transaction& tx,
                                                 int64_t deployment_id,
                                                 const std::string& record) {
  tx.pqxx().exec_prepared0(queries::kSetUndoRecord.name, deployment_id, record);
  return absl::OkStatus();
}

absl::StatusOr<std::string> DeploymentRepository::LatestServedLeaf(
    Transaction& tx, const std::string& target_id) {
  const pqxx::result rows =
      tx.pqxx().exec_prepared(queries::kLatestServedLeaf.name, target_id);
  if (rows.empty()) return std::string();
  return rows[0][0].as<std::string>();
}

absl::Status DeploymentRepository::SetFindings(
    Transaction& tx, int64_t deployment_id, const std::string& findings_json) {
  tx.pqxx().exec_prepared0(queries::kSetFindings.name, deployment_id,
                           findings_json);
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::pair<std::string, int>>>
DeploymentRepository::FindVersionByFingerprint(Transaction& tx,
                                               const std::string& sha256) {
  const pqxx::result rows =
      tx.pqxx().exec_prepared(queries::kFindVersionByFingerprint.name, sha256);
  if (rows.empty()) return std::nullopt;
  return std::make_pair(rows[0][0].as<std::string>(), rows[0][1].as<int>());
}

}  // namespace certferry::storage
