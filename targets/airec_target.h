#pragma once

// An AIRec recommendation instance serving HTTPS on custom domains: the
// certificate is bound with certificate_info.xlsx (one row per domain,
// written here and checked row by row before anything is sent), the chain
// and the key; the platform validates the domains (DNS CNAME or HTTP file),
// then certferry enforces HTTPS on the instance.
//
// Not thread-safe (see DeployTarget); `airec` must outlive the target.

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "cloud/airec_client.h"
#include "targets/deploy_target.h"

namespace certferry::targets {

struct AirecTargetConfig {
  std::string instance_id;  // e.g. "airec-cn-abc123"
  // The custom domains, one certificate_info.xlsx row each (exact FQDNs;
  // the target's domains).
  std::vector<std::string> domains;
  // Redirect plain HTTP to HTTPS once the binding succeeded.
  bool enforce_https = true;
  absl::Duration validation_timeout = absl::Minutes(10);
  absl::Duration poll_interval = absl::Seconds(2);
};

class AirecTarget final : public DeployTarget {
 public:
  AirecTarget(const cloud::AirecClient& airec, AirecTargetConfig config)
      : airec_(airec), config_(std::move(config)) {}

  // The bound leaf's fingerprint, or empty when nothing is bound. The
  // platform does not hand back the chain or key, so contents certferry did
  // not put there can be recorded but not restored.
  absl::StatusOr<TargetContents> ReadCurrent() override;

  // Builds certificate_info.xlsx for config.domains, uploads it with the
  // chain and key, follows validation to SUCCESS and enforces HTTPS.
  // FAILED_PRECONDITION for empty contents, for mapping rows the
  // certificate does not cover (row, column and fix; nothing is sent), and
  // for a binding the platform fails (with its reason); DEADLINE_EXCEEDED
  // when validation outlasts validation_timeout.
  absl::StatusOr<ApplyOutcome> Apply(const TargetContents& contents) override;

 private:
  const cloud::AirecClient& airec_;
  AirecTargetConfig config_;
};

}  // namespace certferry::targets
