#pragma once

// gRPC adapters for TargetApi and DeploymentApi.

#include "certferry/v1/deployment_service.grpc.pb.h"
#include "service/deployment_api.h"
#include "service/target_api.h"

namespace certferry::service {

class TargetServiceImpl final : public v1::TargetService::Service {
 public:
  explicit TargetServiceImpl(TargetApi& api) : api_(api) {}

  grpc::Status CreateTarget(grpc::ServerContext* context,
                            const v1::CreateTargetRequest* request,
                            v1::Target* response) override;
  grpc::Status GetTarget(grpc::ServerContext* context,
                         const v1::GetTargetRequest* request,
                         v1::Target* response) override;
  grpc::Status ListTargets(grpc::ServerContext* context,
                           const v1::ListTargetsRequest* request,
                           v1::ListTargetsResponse* response) override;
  grpc::Status DeleteTarget(grpc::ServerContext* context,
                            const v1::DeleteTargetRequest* request,
                            v1::DeleteTargetResponse* response) override;

 private:
  TargetApi& api_;
};

class DeploymentServiceImpl final : public v1::DeploymentService::Service {
 public:
  explicit DeploymentServiceImpl(DeploymentApi& api) : api_(api) {}

  grpc::Status DeployCertificate(
      grpc::ServerContext* context, const v1::DeployCertificateRequest* request,
      v1::DeployCertificateResponse* response) override;
  grpc::Status BindCertificate(grpc::ServerContext* context,
                               const v1::BindCertificateRequest* request,
                               v1::BindCertificateResponse* response) override;
  grpc::Status RollbackDeployment(
      grpc::ServerContext* context,
      const v1::RollbackDeploymentRequest* request,
      v1::RollbackDeploymentResponse* response) override;
  grpc::Status GetDeployment(grpc::ServerContext* context,
                             const v1::GetDeploymentRequest* request,
                             v1::Deployment* response) override;
  grpc::Status ListDeployments(grpc::ServerContext* context,
                               const v1::ListDeploymentsRequest* request,
                               v1::ListDeploymentsResponse* response) override;

 private:
  DeploymentApi& api_;
};

}  // namespace certferry::service
