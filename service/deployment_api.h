#pragma once

// The DeploymentService RPCs as plain C++: validation, the name-coverage
// preview, idempotency, and the deployment records and job behind each
// operation (run by workers::DeployHandler). Thread-safe.

#include "absl/status/statusor.h"
#include "certferry/v1/deployment_service.pb.h"
#include "model/deployment.h"
#include "service/call_info.h"
#include "service/operation_api.h"
#include "storage/database.h"
#include "storage/job_notifications.h"

namespace certferry::service {

// Job kinds; must match workers::DeployHandler's.
inline constexpr char kDeployJobKind[] = "deploy_certificate";
inline constexpr char kRollbackJobKind[] = "rollback_deployment";

struct DeploymentApiConfig {
  int max_targets_per_call = 100;
  // Deployments wait their turn per target, retrying with backoff.
  int job_max_attempts = 30;
  int default_page_size = 50;
  int max_page_size = 1000;
};

class DeploymentApi {
 public:
  // References must outlive this object.
  DeploymentApi(storage::Database& db, OperationApi& operations,
                storage::JobNotifier& notifier,
                DeploymentApiConfig config = {});

  absl::StatusOr<v1::DeployCertificateResponse> DeployCertificate(
      const v1::DeployCertificateRequest& r, const CallInfo& call = {});
  absl::StatusOr<v1::BindCertificateResponse> BindCertificate(
      const v1::BindCertificateRequest& r, const CallInfo& call = {});
  absl::StatusOr<v1::RollbackDeploymentResponse> RollbackDeployment(
      const v1::RollbackDeploymentRequest& r, const CallInfo& call = {});
  absl::StatusOr<v1::Deployment> GetDeployment(
      const v1::GetDeploymentRequest& r);
  absl::StatusOr<v1::ListDeploymentsResponse> ListDeployments(
      const v1::ListDeploymentsRequest& r);

 private:
  // `method` names the call in the audit log and its request_id claim.
  absl::StatusOr<v1::DeployCertificateResponse> DeployOrRefuse(
      const v1::DeployCertificateRequest& r, const CallInfo& call,
      const std::string& method);
  absl::StatusOr<v1::BindCertificateResponse> BindOrRefuse(
      const v1::BindCertificateRequest& r, const CallInfo& call);
  absl::StatusOr<v1::RollbackDeploymentResponse> RollbackOrRefuse(
      const v1::RollbackDeploymentRequest& r, const CallInfo& call);

  storage::Database& db_;
  OperationApi& operations_;
  storage::JobNotifier& notifier_;
  DeploymentApiConfig config_;
};

v1::Deployment ToProto(const model::Deployment& deployment);

}  // namespace certferry::service
