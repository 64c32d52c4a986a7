#pragma once

// gRPC adapter for DiagnosisApi.

#include "certferry/v1/diagnosis_service.grpc.pb.h"
#include "service/diagnosis_api.h"

namespace certferry::service {

class DiagnosticsServiceImpl final : public v1::DiagnosticsService::Service {
 public:
  explicit DiagnosticsServiceImpl(DiagnosisApi& api) : api_(api) {}

  grpc::Status DiagnoseEndpoint(grpc::ServerContext* context,
                                const v1::DiagnoseEndpointRequest* request,
                                v1::DiagnosisReport* response) override;
  grpc::Status DiagnoseBundle(grpc::ServerContext* context,
                              const v1::DiagnoseBundleRequest* request,
                              v1::DiagnosisReport* response) override;

 private:
  DiagnosisApi& api_;
};

}  // namespace certferry::service
