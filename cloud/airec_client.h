#pragma once

// AIRec (Airec 2020-11-26, ROA style) — only what ALIBABA_API.md §4.1
// verifies. AIRec has no certificate, TLS or domain API (all 144 actions
// were enumerated), so there is deliberately no "bind certificate" call
// here: binding a certificate to AIRec is a certferry abstraction, not an
// Alibaba request. What the client can do is confirm the instance a target
// names exists and is usable.

#include <nlohmann/json.hpp>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cloud/credentials.h"
#include "cloud/http_client.h"
#include "cloud/retry.h"
#include "common/clock.h"

namespace certferry::cloud {

inline constexpr char kAirecVersion[] = "2020-11-26";

struct AirecClientOptions {
  // "https://airec.cn-hangzhou.aliyuncs.com", or the emulator's http URL.
  std::string endpoint;
  RetryOptions retry;
};

struct AirecInstance {
  std::string instance_id, name, type;
  std::string status;     // Initializing | Ready | Running
  std::string lock_mode;  // Unlock | ManualLock | LockByExpiration
  std::string region_id, industry, scene, charge_type, commodity_code,
      data_set_version, gmt_create, gmt_modified, expired_time;
  std::string request_id;
};

// Signs with ACS3-HMAC-SHA256 over the ROA path (what current SDKs do for
// ROA products; §2.6 notes this is inferred, the legacy "acs" scheme is in
// roa_signature.h if a gateway insists). Thread-safe; `http` and `clock`
// must outlive the client.
class AirecClient {
 public:
  AirecClient(AirecClientOptions options, Credentials credentials,
              HttpClient& http, const Clock& clock);

  // GET /v2/openapi/instances/{instance_id}. NOT_FOUND for InstanceNotFound;
  // other errors as SendWithRetries.
  absl::StatusOr<AirecInstance> DescribeInstance(
      absl::string_view instance_id) const;

  // One signed ROA request (fresh nonce and date); public for tests.
  HttpRequest BuildRequest(absl::string_view action, absl::string_view method,
                           absl::string_view path) const;

 private:
  AirecClientOptions options_;
  Credentials credentials_;
  HttpClient& http_;
  const Clock& clock_;
  std::string host_;
};

}  // namespace certferry::cloud
