#pragma once

// Deploy targets and deployments (see migration 0005). Every method runs in
// the caller's Transaction. Stateless and thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "model/deployment.h"
#include "storage/transaction.h"

namespace certferry::storage {

struct NewTarget {
  std::string name;
  std::string kind;
  std::string config_json;
  std::vector<std::string> domains;
  std::string verify_host;
  int verify_port = 0;
  std::string verify_sni;
};

struct NewDeployment {
  std::string target_id;
  std::string kind;  // "deploy" or "rollback"
  int64_t rolls_back_id = 0;
  model::DeployedContents contents;
  bool verify = true;
  bool auto_rollback = true;
  int64_t job_id = 0;
  std::string actor;
  std::string request_id;
};

struct DeploymentQuery {
  std::string target_id;       // empty: any
  std::string certificate_id;  // empty: any
  std::optional<model::DeploymentState> state;
  int64_t before_id = 0;  // keyset cursor; 0: newest first
  int page_size = 50;
};

class DeploymentRepository {
 public:
  // ALREADY_EXISTS when a live target has the name.
  static absl::StatusOr<model::Target> CreateTarget(Transaction& tx,
                                                    const NewTarget& target);
  // NOT_FOUND naming the target.
  static absl::StatusOr<model::Target> GetTargetByName(Transaction& tx,
                                                       const std::string& name);
  static absl::StatusOr<model::Target> GetTargetById(Transaction& tx,
                                                     const std::string& id);
  static absl::StatusOr<std::vector<model::Target>> ListTargets(
      Transaction& tx, const std::string& after_name, int limit);
  // Soft delete; history stays.
  static absl::Status DeleteTarget(Transaction& tx, const std::string& id);
  // Ids of the target's queued, running or verifying deployments.
  static absl::StatusOr<std::vector<int64_t>> UnfinishedDeployments(
      Transaction& tx, const std::string& target_id);

  // Claims the target for `deployment_id` for `hold`; returns the holder
  // (== deployment_id when claimed; another id when busy).
  static absl::StatusOr<int64_t> ClaimTarget(Transaction& tx,
                                             const std::string& target_id,
                                             int64_t deployment_id,
                                             absl::Duration hold);
  static absl::Status ReleaseTarget(Transaction& tx,
                                    const std::string& target_id,
                                    int64_t deployment_id);

  static absl::StatusOr<int64_t> InsertDeployment(Transaction& tx,
                                                  const NewDeployment& d);
  static absl::StatusOr<model::Deployment> GetDeployment(Transaction& tx,
                                                         int64_t id);
  static absl::StatusOr<std::vector<model::Deployment>> DeploymentsOfJob(
      Transaction& tx, int64_t job_id);
  static absl::StatusOr<std::vector<model::Deployment>> ListDeployments(
      Transaction& tx, const DeploymentQuery& query);
  // Deployments of the target after `deployment_id` that changed it or may
  // still: not failed ones, and not a rolled-back deployment together with
  // the rollback that undid it.
  static absl::StatusOr<std::vector<int64_t>> LaterDeployments(
      Transaction& tx, const std::string& target_id, int64_t deployment_id);

  // Records what the target held before; only the first call counts (a
  // re-run after a crash must not record its own half-applied contents).
  static absl::Status RecordPrevious(Transaction& tx, int64_t deployment_id,
                                     const model::DeployedContents& previous);
  static absl::Status SetState(Transaction& tx, int64_t deployment_id,
                               model::DeploymentState state,
                               const std::string& error,
                               const std::string& evidence,
                               bool auto_rolled_back = false);

  // Records how the target can undo this deployment (DeployTarget::Undo).
  static absl::Status SetUndoRecord(Transaction& tx, int64_t deployment_id,
                                    const std::string& record);

  // The leaf SHA-256 the target should serve: that of its latest finished
  // successful deployment; "" when it has none.
  static absl::StatusOr<std::string> LatestServedLeaf(
      Transaction& tx, const std::string& target_id);

  // The live targets that serve `leaf_sha256` of certificate
  // `certificate_id` now: their latest succeeded deployment put that leaf
  // there. By name.
  static absl::StatusOr<std::vector<model::Target>> TargetsServingLeaf(
      Transaction& tx, const std::string& certificate_id,
      const std::string& leaf_sha256);

  // The diagnosis of what the verifying handshake saw (a JSON array of
  // findings, diagnose/finding_json.h).
  static absl::Status SetFindings(Transaction& tx, int64_t deployment_id,
                                  const std::string& findings_json);

  // (certificate id, version) of a stored version whose leaf has this
  // SHA-256 fingerprint.
  static absl::StatusOr<std::optional<std::pair<std::string, int>>>
  FindVersionByFingerprint(Transaction& tx, const std::string& sha256);
};

}  // namespace certferry::storage
