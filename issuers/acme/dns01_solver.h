#pragma once

// dns-01 (RFC 8555 §8.4): a TXT record at _acme-challenge.<domain>, set
// through a pluggable DnsProvider. HookDnsProvider runs a configured
// command, so any DNS API can be driven by a small script.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "issuers/acme/challenge_solver.h"

namespace certferry::issuers::acme {

// "_acme-challenge." + `domain` without a leading "*." (no trailing dot).
std::string Dns01RecordName(absl::string_view domain);

// Adds and removes TXT record values in the zones certferry validates.
class DnsProvider {
 public:
  virtual ~DnsProvider() = default;

  // Adds `value` to the TXT record `record_name` (no trailing dot), keeping
  // other values there: a wildcard and its base name share a record name.
  // Returns once the CA can see it (or the provider's own wait is over).
  // Thread-safe.
  virtual absl::Status Present(const std::string& record_name,
                               const std::string& value) = 0;
  // Removes `value` from `record_name`. Thread-safe.
  virtual absl::Status CleanUp(const std::string& record_name,
                               const std::string& value) = 0;
};

struct HookDnsProviderConfig {
  // The program and its leading arguments; the provider appends
  // "present" or "cleanup", the record name and the value, e.g.
  //   /etc/certferry/dns-hook present _acme-challenge.example.com VALUE
  // The hook exits 0 once the record is served; anything else fails the
  // step, with the hook's output in the error.
  std::vector<std::string> command{};
  absl::Duration timeout = absl::Minutes(2);
};

// Runs the hook without a shell (common/command_runner.h). Thread-safe;
// concurrent orders run the hook concurrently.
class HookDnsProvider final : public DnsProvider {
 public:
  // INVALID_ARGUMENT for an empty command or a non-positive timeout;
  // NOT_FOUND / FAILED_PRECONDITION when the program is missing or not
  // executable.
  static absl::StatusOr<std::unique_ptr<HookDnsProvider>> Create(
      HookDnsProviderConfig config);

  // DnsProvider. FAILED_PRECONDITION when the hook fails (exit status and
  // output in the message), DEADLINE_EXCEEDED when it runs out of time.
  absl::Status Present(const std::string& record_name,
                       const std::string& value) override;
  absl::Status CleanUp(const std::string& record_name,
                       const std::string& value) override;

 private:
  explicit HookDnsProvider(HookDnsProviderConfig config)
      : config_(std::move(config)) {}
  absl::Status Run(const std::string& action, const std::string& record_name,
                   const std::string& value);

  const HookDnsProviderConfig config_;
};

// Answers dns-01 through `provider`, which must outlive it. Thread-safe if
// the provider is.
class Dns01Solver final : public ChallengeSolver {
 public:
  explicit Dns01Solver(DnsProvider& provider) : provider_(provider) {}

  // ChallengeSolver
  std::string type() const override { return "dns-01"; }
  absl::Status Present(const AcmeChallenge& challenge) override;
  absl::Status CleanUp(const AcmeChallenge& challenge) override;

 private:
  DnsProvider& provider_;
};

}  // namespace certferry::issuers::acme
