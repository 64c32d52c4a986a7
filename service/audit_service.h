#pragma once

// gRPC adapter for AuditApi.

#include "certferry/v1/audit.grpc.pb.h"
#include "service/audit_api.h"

namespace certferry::service {

class AuditServiceImpl final : public v1::AuditService::Service {
 public:
  explicit AuditServiceImpl(AuditApi& api) : api_(api) {}

  // v1::AuditService::Service
  grpc::Status ListAuditEvents(grpc::ServerContext* context,
                               const v1::ListAuditEventsRequest* request,
                               v1::ListAuditEventsResponse* response) override;
  grpc::Status VerifyAuditLog(grpc::ServerContext* context,
                              const v1::VerifyAuditLogRequest* request,
                              v1::VerifyAuditLogResponse* response) override;

 private:
  AuditApi& api_;
};

}  // namespace certferry::service
