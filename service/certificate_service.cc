#include "service/certificate_service.h"

#include "service/grpc_status.h"

namespace certferry::service {
namespace {

template <typename T>
grpc::Status Reply(absl::StatusOr<T> result, T* response) {
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = *std::move(result);
  return grpc::Status::OK;
}

}  // namespace

grpc::Status CertificateServiceImpl::ImportCertificate(
    grpc::ServerContext* context, const v1::ImportCertificateRequest* request,
    v1::Certificate* response) {
  return Reply(api_.ImportCertificate(*request), response);
}

grpc::Status CertificateServiceImpl::GetCertificate(
    grpc::ServerContext* context, const v1::GetCertificateRequest* request,
    v1::Certificate* response) {
  return Reply(api_.GetCertificate(*request), response);
}

grpc::Status CertificateServiceImpl::ListCertificates(
    grpc::ServerContext* context, const v1::ListCertificatesRequest* request,
    v1::ListCertificatesResponse* response) {
  return Reply(api_.ListCertificates(*request), response);
}

}  // namespace certferry::service
