#pragma once

// Reads who makes a gRPC call (CallInfo) from its ServerContext. Only the
// gRPC adapters (*_service.cc) call this; the API classes take CallInfo.

#include <grpcpp/server_context.h>

#include "service/call_info.h"

namespace certferry::service {

// The metadata key a caller (or a trusted proxy in front of certferry) may
// set to name itself in the audit log.
inline constexpr char kActorMetadataKey[] = "x-certferry-actor";

// actor: the x-certferry-actor metadata when it is 1-128 printable ASCII
// characters (ignored otherwise), else "peer:" + context.peer(). Not
// authentication: until access control lands, any caller can claim any
// actor name. Thread-safe.
CallInfo CallInfoFrom(const grpc::ServerContext& context);

}  // namespace certferry::service
