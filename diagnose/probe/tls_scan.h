#pragma once

// Which protocol versions and weak cipher-suite classes a server accepts:
// handshakes that offer exactly one version, or only one class of suites.
// What this host's OpenSSL cannot offer is reported untestable (found at
// run time, so a build that still has, say, RC4 tests it).

#include <string>

#include "absl/time/time.h"
#include "diagnose/evidence.h"
#include "diagnose/probe/tls_client.h"

namespace certferry::diagnose {

// One handshake offering only `version` (security level 0, OpenSSL's
// default suites): accepted, refused, untestable (this OpenSSL cannot speak
// it), timed out, or failed. Thread-safe.
ProtocolEvidence ProbeProtocolVersion(const ProbeTarget& target,
                                      const std::string& sni,
                                      TlsVersion version, absl::Time deadline);

// Handshakes (TLS 1.0..1.2) offering only `cipher_class`'s suites, each
// next one without the suites accepted so far, until the server refuses,
// the class is exhausted, `max_suites` were accepted (then
// accepted_suites_truncated) or the deadline passes. Untestable when this
// OpenSSL has no suite of the class. Thread-safe.
CipherClassEvidence ProbeCipherClass(const ProbeTarget& target,
                                     const std::string& sni,
                                     CipherClass cipher_class,
                                     absl::Time deadline, int max_suites = 8);

// The OpenSSL cipher string that selects `cipher_class` and nothing of the
// classes before it in CipherClass order that would overlap (NULL suites
// without authentication count as NULL, not anonymous).
std::string CipherClassRule(CipherClass cipher_class);

}  // namespace certferry::diagnose
