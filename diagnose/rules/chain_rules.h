#pragma once

// Findings about a certificate chain as a server presents it (or as a
// bundle gives it): trust, order, names, dates, keys and signatures. Pure:
// the only inputs are the certificates and the options (OpenSSL does the
// X.509 work; no network, no files beyond the system trust store).

#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "diagnose/finding.h"

namespace certferry::diagnose {

struct ChainRuleOptions {
  absl::Time now = absl::Now();
  // The name clients use; empty: the name rules are skipped.
  std::string expected_domain;
  // Extra trusted roots (PEM, any number): the built-in CA's root or an
  // enterprise CA.
  std::string extra_trust_pem;
  // Also trust the system store (Debian's /etc/ssl/certs).
  bool use_system_trust = true;
};

// `chain_pem`: the certificates in the order presented, one PEM block each,
// leaf first. Returns every finding, OK ones included (CHAIN_TRUSTED,
// HOSTNAME_MATCH, CERT_VALIDITY_OK), in check order, unsorted. An empty
// chain yields no findings. Thread-safe.
std::vector<Finding> ChainFindings(const std::vector<std::string>& chain_pem,
                                   const ChainRuleOptions& options);

}  // namespace certferry::diagnose
