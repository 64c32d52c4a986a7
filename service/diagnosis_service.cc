#include "service/diagnosis_service.h"

#include "absl/time/clock.h"
#include "service/grpc_reply.h"

namespace certferry::service {

grpc::Status DiagnosticsServiceImpl::DiagnoseEndpoint(
    grpc::ServerContext* context, const v1::DiagnoseEndpointRequest* request,
    v1::DiagnosisReport* response) {
  // The call's own deadline caps the diagnosis, so a report comes back
  // before the client gives up.
  absl::Time deadline = absl::InfiniteFuture();
  const auto call_deadline = context->deadline();
  if (call_deadline != std::chrono::system_clock::time_point::max()) {
    deadline = absl::FromChrono(call_deadline);
  }
  return Reply(api_.DiagnoseEndpoint(*request, deadline), response);
}

grpc::Status DiagnosticsServiceImpl::DiagnoseBundle(
    grpc::ServerContext* context, const v1::DiagnoseBundleRequest* request,
    v1::DiagnosisReport* response) {
  return Reply(api_.DiagnoseBundle(*request), response);
}

}  // namespace certferry::service
