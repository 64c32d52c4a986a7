#pragma once

// One call that diagnoses a live HTTPS endpoint: the probes' evidence
// (probe/endpoint_probe.h) judged by the endpoint rules and, for the chain
// the server presented, the chain rules; findings worst first, with a
// summary of what was served and how long each part took.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "diagnose/evidence.h"
#include "diagnose/finding.h"
#include "diagnose/probe/endpoint_probe.h"
#include "diagnose/rules/endpoint_rules.h"

namespace certferry::diagnose {

struct EndpointDiagnosisRequest {
  // Host, port, SNI, expected address and the overall deadline.
  EndpointProbeRequest endpoint;
  // The name clients use; empty: the SNI name sent (the host when none is).
  std::string expected_domain;
  // Extra trusted roots (PEM, any number): the built-in CA's root or an
  // enterprise CA.
  std::string extra_trust_pem;
  // Also trust the system store (Debian's /etc/ssl/certs).
  bool use_system_trust = true;
  // The leaf that should be served, and how to name a known one.
  EndpointRuleOptions served;
  // What certificate dates are checked against; nullopt: the time the
  // probes finished.
  std::optional<absl::Time> now;
};

struct DiagnosisTimings {
  absl::Duration dns;
  absl::Duration connect;
  absl::Duration handshake;
  absl::Duration protocol_scan;  // the slowest protocol-version probe
  absl::Duration cipher_scan;    // the slowest cipher-class probe
  absl::Duration hsts;
  absl::Duration total;  // the probes run concurrently: not the sum
};

struct DiagnosisReport {
  std::vector<Finding> findings;  // worst first
  Severity worst = Severity::kInfo;
  std::vector<PresentedCertificate> chain;  // as presented, leaf first
  std::string protocol;                     // negotiated, e.g. "TLSv1.3"
  std::string cipher;
  std::vector<std::string> addresses;  // what the host resolved to
  DiagnosisTimings timings;
};

// Collects the evidence, applies EndpointFindings and, when the handshake
// completed, ChainFindings to the presented chain (expected domain, extra
// trust and `now` from the request), and sorts everything worst first.
// An endpoint that cannot be reached is a finding, not an error; returns
// by the request's deadline plus a little. INVALID_ARGUMENT as
// CollectEndpointEvidence. Thread-safe if request.served.name_certificate
// is.
absl::StatusOr<DiagnosisReport> DiagnoseEndpoint(
    const EndpointDiagnosisRequest& request);

}  // namespace certferry::diagnose
