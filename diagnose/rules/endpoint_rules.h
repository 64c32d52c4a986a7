#pragma once

// Findings about a live endpoint from the evidence the probes collected
// (probe/endpoint_probe.h): DNS, TCP, the handshake, protocol versions,
// weak cipher classes, OCSP stapling, HSTS, and whether the served leaf is
// the deployed one. Pure: no I/O; every rule is testable on evidence built
// by hand.

#include <functional>
#include <string>
#include <vector>

#include "diagnose/evidence.h"
#include "diagnose/finding.h"

namespace certferry::diagnose {

struct EndpointRuleOptions {
  // SHA-256 of the leaf that should be served (hex, any case, colons
  // allowed); empty: SERVED_AS_DEPLOYED / SERVED_NOT_DEPLOYED are skipped.
  std::string expected_leaf_sha256;
  // Names a certificate certferry knows by its leaf SHA-256 (lowercase
  // hex), e.g. "web-prod version 3", or returns "" for an unknown one. Used
  // to say what is served instead; may be empty.
  std::function<std::string(const std::string& sha256)> name_certificate;
};

// Every finding the evidence supports, OK ones included (DNS_RESOLVED,
// PORT_REACHABLE, OCSP_STAPLED, HSTS_PRESENT, SERVED_AS_DEPLOYED), in check
// order, unsorted. Stops after the first blocking failure: no address
// (DNS_NO_ADDRESS), no connection (PORT_REFUSED / PORT_UNREACHABLE) or no
// handshake (TLS_HANDSHAKE_FAILED) is the last finding, since everything
// after it would only repeat it. Probes that timed out or failed locally
// are listed in one CHECK_INCOMPLETE; what this host's OpenSSL cannot
// offer in one PROTOCOL_UNTESTABLE and one CIPHER_CLASS_UNTESTABLE.
// Thread-safe if `options.name_certificate` is.
std::vector<Finding> EndpointFindings(const EndpointEvidence& evidence,
                                      const EndpointRuleOptions& options);

}  // namespace certferry::diagnose
