#pragma once

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace certferry::service {

// Copies code and message; the enums share google.rpc.Code numbering.
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace certferry::service
