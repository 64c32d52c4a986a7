#include "service/audit_service.h"

#include "service/grpc_reply.h"

namespace certferry::service {

grpc::Status AuditServiceImpl::ListAuditEvents(
    grpc::ServerContext*, const v1::ListAuditEventsRequest* request,
    v1::ListAuditEventsResponse* response) {
  return Reply(api_.ListAuditEvents(*request), response);
}

grpc::Status AuditServiceImpl::VerifyAuditLog(
    grpc::ServerContext*, const v1::VerifyAuditLogRequest* request,
    v1::VerifyAuditLogResponse* response) {
  return Reply(api_.VerifyAuditLog(*request), response);
}

}  // namespace certferry::service
