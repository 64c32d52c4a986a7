#pragma once

// The TargetService RPCs as plain C++ over storage::DeploymentRepository.
// Thread-safe.

#include "absl/status/statusor.h"
#include "certferry/v1/deployment_service.pb.h"
#include "model/deployment.h"
#include "service/call_info.h"
#include "storage/database.h"

namespace certferry::service {

class TargetApi {
 public:
  explicit TargetApi(storage::Database& db) : db_(db) {}

  absl::StatusOr<v1::Target> CreateTarget(const v1::CreateTargetRequest& r,
                                          const CallInfo& call = {});
  absl::StatusOr<v1::Target> GetTarget(const v1::GetTargetRequest& r);
  absl::StatusOr<v1::ListTargetsResponse> ListTargets(
      const v1::ListTargetsRequest& r);
  absl::StatusOr<v1::DeleteTargetResponse> DeleteTarget(
      const v1::DeleteTargetRequest& r, const CallInfo& call = {});

 private:
  absl::StatusOr<v1::Target> CreateOrRefuse(const v1::CreateTargetRequest& r,
                                            const CallInfo& call);
  absl::StatusOr<v1::DeleteTargetResponse> DeleteOrRefuse(
      const v1::DeleteTargetRequest& r, const CallInfo& call);

  storage::Database& db_;
};

v1::Target ToProto(const model::Target& target);

}  // namespace certferry::service
