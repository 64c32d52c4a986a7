#pragma once

// How certferry answers ACME challenges (RFC 8555 §8): one solver per
// challenge type, chosen per authorization by AcmeClient.

#include <string>

#include "absl/status/status.h"

namespace certferry::issuers::acme {

// One challenge the CA offered, with the answer AcmeClient computed.
struct AcmeChallenge {
  std::string type;  // "http-01", "dns-01"
  // The authorization's identifier as ordered: "www.example.com", or
  // "*.example.com" for a wildcard.
  std::string identifier;
  // The name the CA validates: the identifier without "*.".
  std::string domain;
  std::string token;
  std::string key_authorization;  // token "." account key thumbprint
  std::string url;                // the challenge's URL at the CA
};

class ChallengeSolver {
 public:
  virtual ~ChallengeSolver() = default;

  // The challenge type this solver answers ("http-01", "dns-01").
  virtual std::string type() const = 0;

  // Makes the answer to `challenge` visible to the CA and returns once it
  // is; AcmeClient then tells the CA to validate. Errors are returned to
  // the order's caller with the identifier added. Thread-safe: orders run
  // concurrently.
  virtual absl::Status Present(const AcmeChallenge& challenge) = 0;

  // Takes down what Present put up, once the authorization is finished
  // (valid or not). Called once per successful Present; an error is logged
  // and does not fail the order. Thread-safe.
  virtual absl::Status CleanUp(const AcmeChallenge& challenge) = 0;
};

}  // namespace certferry::issuers::acme
