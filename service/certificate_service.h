#pragma once

// gRPC adapter for CertificateApi and RevocationApi: each method copies the
// request to the API and the result or status back. Thread-safe like them.

#include "certferry/v1/certificate_service.grpc.pb.h"
#include "service/certificate_api.h"
#include "service/revocation_api.h"

namespace certferry::service {

class CertificateServiceImpl final : public v1::CertificateService::Service {
 public:
  // The APIs must outlive the service.
  CertificateServiceImpl(CertificateApi& api, RevocationApi& revocations)
      : api_(api), revocations_(revocations) {}

  // v1::CertificateService::Service
  grpc::Status ImportCertificate(grpc::ServerContext* context,
                                 const v1::ImportCertificateRequest* request,
                                 v1::Certificate* response) override;
  grpc::Status IssueCertificate(grpc::ServerContext* context,
                                const v1::IssueCertificateRequest* request,
                                v1::Operation* response) override;
  grpc::Status BatchIssueCertificates(
      grpc::ServerContext* context,
      const v1::BatchIssueCertificatesRequest* request,
      v1::BatchIssueCertificatesResponse* response) override;
  grpc::Status GetCertificate(grpc::ServerContext* context,
                              const v1::GetCertificateRequest* request,
                              v1::Certificate* response) override;
  grpc::Status ListCertificates(
      grpc::ServerContext* context, const v1::ListCertificatesRequest* request,
      v1::ListCertificatesResponse* response) override;
  grpc::Status RevokeCertificate(
      grpc::ServerContext* context, const v1::RevokeCertificateRequest* request,
      v1::RevokeCertificateResponse* response) override;
  grpc::Status UpdateRenewalPolicy(
      grpc::ServerContext* context,
      const v1::UpdateRenewalPolicyRequest* request,
      v1::Certificate* response) override;

 private:
  CertificateApi& api_;
  RevocationApi& revocations_;
};

}  // namespace certferry::service
