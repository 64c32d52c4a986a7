#pragma once

// The emulator's configuration: access keys, the emulated cloud resources
// and AIRec instances, quotas, prices and fault injection. Read from a JSON
// file (see ParseEmulatorConfig for the format).

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/secret_string.h"

namespace certferry::emulator {

// One CAS deployment target (ListCloudResources item); it terminates TLS
// on its own loopback port.
struct ResourceConfig {
  int64_t id = 0;
  std::string product;  // SLB, CDN, ALB, NLB, WAF, APIGateway, PAI-EAS
  std::string domain;
  std::string region = "cn-hangzhou";
  std::string instance_id;  // defaults to "<product lowercase>-<id>"
};

struct AirecInstanceConfig {
  std::string id;      // instanceId, e.g. "airec-cn-abc123"
  std::string domain;  // the custom domain bound over HTTPS
  std::string region = "cn-hangzhou";
  // How the platform proves the domain is the customer's before serving the
  // certificate: "DNS_CNAME" (a CNAME to the instance) or "HTTP_FILE" (a
  // file under /.well-known/). The status reports it while VALIDATING.
  std::string validation = "DNS_CNAME";
};

struct QuotaConfig {
  // "free" allows 10 uploaded certificates, "paid" 100 (per user).
  std::string tier = "paid";
  int certificate_limit = 100;    // derived from tier unless set explicitly
  int deployment_credits = 1000;  // one consumed per successful worker
};

struct PriceConfig {
  double standard = 0.5;
  double wildcard = 1.5;
  double enterprise = 5.0;
};

struct FaultConfig {
  double throttle_share = 0;  // share of API requests answered Throttling
  std::string throttle_code = "Throttling";  // or "Throttling.User"
  // x-acs-retry-after of a throttled answer; clients wait at least this.
  absl::Duration throttle_retry_after = absl::Seconds(1);
  double server_error_share = 0;  // share answered 503 ServiceUnavailable
  double delay_share = 0;         // share answered after `delay`
  absl::Duration delay = absl::ZeroDuration();
  std::vector<int64_t> failing_resource_ids;  // their workers end "error"
  // CreateCertificateRequest orders for these domains (lowercase, compared
  // with the ordered Domain exactly) end "verify_fail" instead of issuing.
  std::vector<std::string> failing_validation_domains;
  uint64_t seed = 1;  // RNG seed, so a run's fault pattern repeats
};

struct EmulatorConfig {
  std::map<std::string, SecretString> access_keys;  // id -> secret
  std::vector<ResourceConfig> resources;
  std::vector<AirecInstanceConfig> airec_instances;
  QuotaConfig quotas;
  PriceConfig prices;
  FaultConfig faults;
  // How long a worker stays in each of pending and processing (and an AIRec
  // binding in VALIDATING).
  absl::Duration worker_step = absl::Milliseconds(200);
};

// Parses the JSON form:
//   {"access_keys": [{"id": "..", "secret": ".."}],
//    "worker_step_ms": 200,
//    "quotas": {"tier": "free"|"paid", "certificate_limit": 10,
//               "deployment_credits": 1000},
//    "prices": {"Standard": 0.5, "Wildcard": 1.5, "Enterprise": 5.0},
//    "resources": [{"id": 1001, "product": "SLB", "domain": "..",
//                   "region": "cn-hangzhou", "instance_id": "lb-1"}],
//    "airec_instances": [{"id": "airec-cn-1", "domain": "..",
//                         "region": ".."}],
//    "faults": {"throttle_share": 0.3, "throttle_code": "Throttling",
//               "throttle_retry_after_ms": 1000,
//               "server_error_share": 0, "delay_share": 0, "delay_ms": 0,
//               "failing_resource_ids": [1002],
//               "failing_validation_domains": ["bad.example.com"],
//               "seed": 1}}
// INVALID_ARGUMENT naming the bad key (never a secret's value).
absl::StatusOr<EmulatorConfig> ParseEmulatorConfig(absl::string_view json);

// Reads and parses `path`. NOT_FOUND when unreadable.
absl::StatusOr<EmulatorConfig> LoadEmulatorConfig(const std::string& path);

}  // namespace certferry::emulator
