#pragma once

// AIRec (Airec 2020-11-26, ROA style). DescribeInstance is the published
// API (ALIBABA_API.md §4.1). AIRec publishes no certificate, TLS or domain
// API (all 144 actions were enumerated); the certificate calls below follow
// the seed workflows' binding contract under the same ROA prefix
// (`/v2/openapi/instances/{id}/certificates/...`): upload
// certificate_info.xlsx with the chain and key, follow domain validation,
// then enforce HTTPS. certferry-cloud-emulator serves the same contract.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cloud/credentials.h"
#include "cloud/http_client.h"
#include "cloud/retry.h"
#include "common/clock.h"
#include "common/secret_string.h"

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

// Where a certificate binding stands.
struct AirecCertificateStatus {
  // NONE (never bound), VALIDATING, SUCCESS or FAILED.
  std::string status;
  std::vector<std::string> domains;  // from the last mapping file
  std::string certificate_sha256;    // the bound leaf (lowercase hex)
  std::string failure_reason;        // when FAILED
  bool https_enforced = false;
  std::string validation_method;  // DNS_CNAME or HTTP_FILE
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

  // POST .../certificates/bind: multipart `mapping_file`
  // (certificate_info.xlsx bytes), `cert` (chain PEM) and `key` (PEM).
  // Starts validation; returns the status it reports (VALIDATING).
  // INVALID_ARGUMENT when the platform refuses the parts, NOT_FOUND for an
  // unknown instance. The key only travels in the body.
  absl::StatusOr<std::string> BindCertificate(
      absl::string_view instance_id, const std::string& mapping_xlsx,
      const std::string& chain_pem, const SecretString& key_pem) const;

  // GET .../certificates/status.
  absl::StatusOr<AirecCertificateStatus> GetCertificateStatus(
      absl::string_view instance_id) const;

  // POST .../certificates/enforce-https: plain HTTP is redirected from now
  // on. FAILED_PRECONDITION unless the binding reached SUCCESS.
  absl::Status EnforceHttps(absl::string_view instance_id) const;

  // One signed ROA request (fresh nonce and date); public for tests.
  // `content_type` and `body` are signed too (x-acs-content-sha256).
  HttpRequest BuildRequest(absl::string_view action, absl::string_view method,
                           absl::string_view path,
                           absl::string_view content_type = "",
                           std::string body = "") const;

 private:
  AirecClientOptions options_;
  Credentials credentials_;
  HttpClient& http_;
  const Clock& clock_;
  std::string host_;

  // Sends one request with retries and returns the parsed `result` object
  // (and the request id) or the error, naming `action`.
  absl::StatusOr<nlohmann::json> Call(absl::string_view action,
                                      absl::string_view instance_id,
                                      absl::string_view method,
                                      absl::string_view suffix,
                                      absl::string_view content_type,
                                      const std::string& body,
                                      std::string* request_id) const;
};

}  // namespace certferry::cloud
