#pragma once

// Who makes an API call, for the audit log. The gRPC layer fills it from
// the call (until access control lands: the `x-certferry-actor` metadata
// if given, else "peer:" and the peer address); the API layer records it.

#include <string>

namespace certferry::service {

struct CallInfo {
  std::string actor = "internal";
};

}  // namespace certferry::service
