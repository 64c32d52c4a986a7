#include "service/operation_service.h"

#include "service/call_context.h"
#include "service/grpc_reply.h"

namespace certferry::service {

grpc::Status OperationServiceImpl::GetOperation(
    grpc::ServerContext* context, const v1::GetOperationRequest* request,
    v1::Operation* response) {
  return Reply(api_.GetOperation(*request), response);
}

grpc::Status OperationServiceImpl::ListOperations(
    grpc::ServerContext* context, const v1::ListOperationsRequest* request,
    v1::ListOperationsResponse* response) {
  return Reply(api_.ListOperations(*request), response);
}

grpc::Status OperationServiceImpl::CancelOperation(
    grpc::ServerContext* context, const v1::CancelOperationRequest* request,
    v1::Operation* response) {
  return Reply(api_.CancelOperation(*request, CallInfoFrom(*context)), response);
}

grpc::Status OperationServiceImpl::WaitOperation(
    grpc::ServerContext* context, const v1::WaitOperationRequest* request,
    v1::Operation* response) {
  return Reply(api_.WaitOperation(*request, CallDeadline(*context)), response);
}

grpc::Status CertificateAuthorityServiceImpl::CreateCertificateAuthority(
    grpc::ServerContext* context,
    const v1::CreateCertificateAuthorityRequest* request,
    v1::CertificateAuthority* response) {
  return Reply(api_.CreateCertificateAuthority(*request, CallInfoFrom(*context)), response);
}

grpc::Status CertificateAuthorityServiceImpl::GetCertificateAuthority(
    grpc::ServerContext* context,
    const v1::GetCertificateAuthorityRequest* request,
    v1::CertificateAuthority* response) {
  return Reply(api_.GetCertificateAuthority(*request), response);
}

grpc::Status CertificateAuthorityServiceImpl::ListCertificateAuthorities(
    grpc::ServerContext* context,
    const v1::ListCertificateAuthoritiesRequest* request,
    v1::ListCertificateAuthoritiesResponse* response) {
  return Reply(api_.ListCertificateAuthorities(*request), response);
}

}  // namespace certferry::service
