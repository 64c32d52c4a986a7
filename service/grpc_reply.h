#pragma once

#include <grpcpp/server_context.h>

#include <chrono>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "service/grpc_status.h"

namespace certferry::service {

// Copies an API result into a gRPC response, or its status into the reply.
template <typename T>
grpc::Status Reply(absl::StatusOr<T> result, T* response) {
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = *std::move(result);
  return grpc::Status::OK;
}

// The call's deadline as an absl::Time (InfiniteFuture when none).
inline absl::Time CallDeadline(const grpc::ServerContext& context) {
  const auto deadline = context.deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) {
    return absl::InfiniteFuture();
  }
  return absl::FromChrono(deadline);
}

}  // namespace certferry::service
