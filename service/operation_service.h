#pragma once

// gRPC adapters for OperationApi and CertificateAuthorityApi.

#include "certferry/v1/certificate_authority.grpc.pb.h"
#include "certferry/v1/operations.grpc.pb.h"
#include "service/certificate_authority_api.h"
#include "service/operation_api.h"

namespace certferry::service {

class OperationServiceImpl final : public v1::OperationService::Service {
 public:
  explicit OperationServiceImpl(OperationApi& api) : api_(api) {}

  // v1::OperationService::Service
  grpc::Status GetOperation(grpc::ServerContext* context,
                            const v1::GetOperationRequest* request,
                            v1::Operation* response) override;
  grpc::Status ListOperations(grpc::ServerContext* context,
                              const v1::ListOperationsRequest* request,
                              v1::ListOperationsResponse* response) override;
  grpc::Status CancelOperation(grpc::ServerContext* context,
                               const v1::CancelOperationRequest* request,
                               v1::Operation* response) override;
  grpc::Status WaitOperation(grpc::ServerContext* context,
                             const v1::WaitOperationRequest* request,
                             v1::Operation* response) override;

 private:
  OperationApi& api_;
};

class CertificateAuthorityServiceImpl final
    : public v1::CertificateAuthorityService::Service {
 public:
  explicit CertificateAuthorityServiceImpl(CertificateAuthorityApi& api)
      : api_(api) {}

  // v1::CertificateAuthorityService::Service
  grpc::Status CreateCertificateAuthority(
      grpc::ServerContext* context,
      const v1::CreateCertificateAuthorityRequest* request,
      v1::CertificateAuthority* response) override;
  grpc::Status GetCertificateAuthority(
      grpc::ServerContext* context,
      const v1::GetCertificateAuthorityRequest* request,
      v1::CertificateAuthority* response) override;
  grpc::Status ListCertificateAuthorities(
      grpc::ServerContext* context,
      const v1::ListCertificateAuthoritiesRequest* request,
      v1::ListCertificateAuthoritiesResponse* response) override;

 private:
  CertificateAuthorityApi& api_;
};

}  // namespace certferry::service
