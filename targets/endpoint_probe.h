#pragma once

// Looks at what a TLS endpoint actually serves, to verify a deployment: a
// real handshake that accepts any certificate (the point is to see what is
// served, trusted or not), and a wait for a reload to take effect.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "diagnose/evidence.h"
#include "targets/deploy_target.h"

namespace certferry::targets {

// One certificate as the server presented it (the diagnosis probes' type).
using ServedChainEntry = diagnose::PresentedCertificate;

struct ServedCertificate {
  std::vector<ServedChainEntry> chain;  // in the order presented, leaf first
  std::string leaf_sha256;              // chain[0].sha256
  std::string protocol;                 // e.g. "TLSv1.3"
  std::string cipher;                   // e.g. "TLS_AES_256_GCM_SHA384"
};

// Connects to endpoint.host:endpoint.port (every resolved address in turn),
// sends SNI when endpoint.sni is set, completes a TLS handshake without
// verifying the peer, and returns what was served. `timeout` bounds name
// resolution, connect and handshake together (the diagnosis probes' TLS
// client, diagnose/probe/).
// Errors: INVALID_ARGUMENT for an empty host or a port outside 1..65535;
// UNAVAILABLE when the name does not resolve, the connection is refused or
// reset, or the handshake fails (with OpenSSL's reason); DEADLINE_EXCEEDED
// when `timeout` passes first. Thread-safe.
absl::StatusOr<ServedCertificate> FetchServedCertificate(
    const VerifyEndpoint& endpoint, absl::Duration timeout);

// Fetches repeatedly, `retry_interval` apart, until the served leaf's
// SHA-256 equals `expected_leaf_sha256` (any case) or `deadline` (a
// duration from now) has passed; each attempt gets the remaining time as its
// timeout. Returns the matching ServedCertificate, or at the deadline:
// FAILED_PRECONDITION when the endpoint serves another leaf (the message
// gives the served and expected fingerprints and the served subject), or the
// last attempt's error (UNAVAILABLE / DEADLINE_EXCEEDED) with context.
// INVALID_ARGUMENT as FetchServedCertificate. Thread-safe; blocks up to
// `deadline`.
absl::StatusOr<ServedCertificate> WaitForServedLeaf(
    const VerifyEndpoint& endpoint, const std::string& expected_leaf_sha256,
    absl::Duration deadline, absl::Duration retry_interval);

}  // namespace certferry::targets
