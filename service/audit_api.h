#pragma once

// The AuditService RPCs as plain C++ (see certferry.v1.AuditService for the
// contract). No grpc:: types; service/audit_service.h adapts it to gRPC.
// Thread-safe.

#include "absl/status/statusor.h"
#include "certferry/v1/audit.pb.h"
#include "storage/database.h"

namespace certferry::service {

struct AuditApiConfig {
  int default_page_size = 50;
  int max_page_size = 1000;
  size_t max_filter_length = 256;  // resource and actor filters
};

class AuditApi {
 public:
  // `db` must outlive this object.
  explicit AuditApi(storage::Database& db, AuditApiConfig config = {})
      : db_(db), config_(config) {}

  // INVALID_ARGUMENT naming the field for a bad filter, page_size or
  // page_token.
  absl::StatusOr<v1::ListAuditEventsResponse> ListAuditEvents(
      const v1::ListAuditEventsRequest& request);

  // Walks the whole log; see storage::AuditRepository::Verify.
  absl::StatusOr<v1::VerifyAuditLogResponse> VerifyAuditLog(
      const v1::VerifyAuditLogRequest& request);

 private:
  storage::Database& db_;
  AuditApiConfig config_;
};

}  // namespace certferry::service
