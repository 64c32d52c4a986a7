#include "service/certificate_service.h"

#include "service/call_context.h"
#include "service/grpc_reply.h"

namespace certferry::service {

grpc::Status CertificateServiceImpl::ImportCertificate(
    grpc::ServerContext* context, const v1::ImportCertificateRequest* request,
    v1::Certificate* response) {
  return Reply(api_.ImportCertificate(*request, CallInfoFrom(*context)), response);
}

grpc::Status CertificateServiceImpl::IssueCertificate(
    grpc::ServerContext* context, const v1::IssueCertificateRequest* request,
    v1::Operation* response) {
  return Reply(api_.IssueCertificate(*request, CallInfoFrom(*context)), response);
}

grpc::Status CertificateServiceImpl::BatchIssueCertificates(
    grpc::ServerContext* context,
    const v1::BatchIssueCertificatesRequest* request,
    v1::BatchIssueCertificatesResponse* response) {
  return Reply(api_.BatchIssueCertificates(*request, CallInfoFrom(*context)), response);
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

grpc::Status CertificateServiceImpl::RevokeCertificate(
    grpc::ServerContext* context, const v1::RevokeCertificateRequest* request,
    v1::RevokeCertificateResponse* response) {
  return Reply(revocations_.RevokeCertificate(*request, CallInfoFrom(*context)),
               response);
}

grpc::Status CertificateServiceImpl::UpdateRenewalPolicy(
    grpc::ServerContext* context, const v1::UpdateRenewalPolicyRequest* request,
    v1::Certificate* response) {
  return Reply(api_.UpdateRenewalPolicy(*request, CallInfoFrom(*context)),
               response);
}

}  // namespace certferry::service
