#include "service/deployment_service.h"

#include "service/call_context.h"
#include "service/grpc_reply.h"

namespace certferry::service {

grpc::Status TargetServiceImpl::CreateTarget(
    grpc::ServerContext* context, const v1::CreateTargetRequest* request,
    v1::Target* response) {
  return Reply(api_.CreateTarget(*request, CallInfoFrom(*context)), response);
}

grpc::Status TargetServiceImpl::GetTarget(grpc::ServerContext* context,
                                          const v1::GetTargetRequest* request,
                                          v1::Target* response) {
  return Reply(api_.GetTarget(*request), response);
}

grpc::Status TargetServiceImpl::ListTargets(
    grpc::ServerContext* context, const v1::ListTargetsRequest* request,
    v1::ListTargetsResponse* response) {
  return Reply(api_.ListTargets(*request), response);
}

grpc::Status TargetServiceImpl::DeleteTarget(
    grpc::ServerContext* context, const v1::DeleteTargetRequest* request,
    v1::DeleteTargetResponse* response) {
  return Reply(api_.DeleteTarget(*request, CallInfoFrom(*context)), response);
}

grpc::Status DeploymentServiceImpl::DeployCertificate(
    grpc::ServerContext* context, const v1::DeployCertificateRequest* request,
    v1::DeployCertificateResponse* response) {
  return Reply(api_.DeployCertificate(*request, CallInfoFrom(*context)),
               response);
}

grpc::Status DeploymentServiceImpl::BindCertificate(
    grpc::ServerContext* context, const v1::BindCertificateRequest* request,
    v1::BindCertificateResponse* response) {
  return Reply(api_.BindCertificate(*request, CallInfoFrom(*context)),
               response);
}

grpc::Status DeploymentServiceImpl::RollbackDeployment(
    grpc::ServerContext* context, const v1::RollbackDeploymentRequest* request,
    v1::RollbackDeploymentResponse* response) {
  return Reply(api_.RollbackDeployment(*request, CallInfoFrom(*context)),
               response);
}

grpc::Status DeploymentServiceImpl::GetDeployment(
    grpc::ServerContext* context, const v1::GetDeploymentRequest* request,
    v1::Deployment* response) {
  return Reply(api_.GetDeployment(*request), response);
}

grpc::Status DeploymentServiceImpl::ListDeployments(
    grpc::ServerContext* context, const v1::ListDeploymentsRequest* request,
    v1::ListDeploymentsResponse* response) {
  return Reply(api_.ListDeployments(*request), response);
}

}  // namespace certferry::service
