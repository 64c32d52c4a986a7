#pragma once

// PKCS#10 certificate signing requests, e.g. for ACME finalize (RFC 8555
// §7.4). OpenSSL only; thread-safe.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "pki/key_generation.h"

namespace certferry::pki {

// A CSR for `dns_names` (DNS names, possibly "*.example.com") signed by
// `key`, DER-encoded: every name a subjectAltName dNSName (lowercased, in
// order); the first, when at most 64 characters, also the subject CN.
// SHA-384 for P-384 keys, SHA-256 otherwise. INVALID_ARGUMENT as
// NormalizeDnsNames("dns_names", ...) reports it; INTERNAL if OpenSSL
// fails.
absl::StatusOr<std::string> CreateCsrDer(
    const PrivateKey& key, const std::vector<std::string>& dns_names);

}  // namespace certferry::pki
