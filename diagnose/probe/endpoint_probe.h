#pragma once

// Collects the live evidence about one TLS endpoint for a diagnosis: DNS,
// TCP, the handshake (chain, OCSP stapling), protocol versions, weak cipher
// classes and HSTS, under one overall deadline.

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "diagnose/evidence.h"

namespace certferry::diagnose {

struct EndpointProbeRequest {
  std::string host;  // name or IP literal
  int port = 443;
  // Sent as SNI and used as the Host header; empty: `host`, unless that is
  // an IP literal (SNI carries names only; none is sent then).
  std::string sni;
  // Where `host` should resolve to (e.g. the load balancer's address);
  // empty: not checked.
  std::string expected_address;
  // For everything together; each probe gets what is left.
  absl::Duration timeout = absl::Seconds(10);
};

// Resolves the host, connects to its first address, and then, concurrently
// on a few threads, handshakes (capturing the chain and any stapled OCSP
// response), offers each protocol version and each weak cipher class on
// its own, and fetches / for the HSTS header. Probes that need an address
// or an open port are not run without one (state kNotRun); probes still
// waiting at the deadline are cut off (kTimedOut). Returns by the deadline
// plus a little; failures of the endpoint are evidence, not errors.
// INVALID_ARGUMENT for an empty host, a port outside 1..65535 or a
// non-positive timeout. Thread-safe.
absl::StatusOr<EndpointEvidence> CollectEndpointEvidence(
    const EndpointProbeRequest& request);

}  // namespace certferry::diagnose
