#pragma once

// Calls Alibaba RPC-style APIs (CAS 2020-04-07 and the like): builds the
// common parameters, signs with V1 or V3, sends every parameter in the query
// of a POST (ALIBABA_API.md §0) and parses the JSON answer.

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cloud/credentials.h"
#include "cloud/http_client.h"
#include "cloud/retry.h"
#include "cloud/rpc_signature_v1.h"
#include "common/clock.h"

namespace certferry::cloud {

enum class SignatureVersion {
  kV1,  // HMAC-SHA1 over the query, Signature parameter (§2.2)
  kV3,  // ACS3-HMAC-SHA256, Authorization header (§2.4)
};

struct RpcClientOptions {
  // Scheme, host and optional port: "https://cas.aliyuncs.com", or
  // "http://127.0.0.1:8080" for the emulator.
  std::string endpoint;
  std::string version;    // API version, e.g. "2020-04-07"
  std::string region_id;  // sent as RegionId when non-empty
  SignatureVersion signature_version = SignatureVersion::kV1;
  RetryOptions retry;
};

// Thread-safe; `http` and `clock` must outlive the client.
class RpcClient {
 public:
  RpcClient(RpcClientOptions options, Credentials credentials, HttpClient& http,
            const Clock& clock);

  // Calls `action` with business `params` and returns the response body.
  // `idempotent` = false for create-type calls without a client token: they
  // are then retried only when the server certainly did not process them
  // (throttling, connection refused). Errors as SendWithRetries, plus
  // INTERNAL when a 2xx body is not a JSON object. Never logs; error
  // messages do not contain parameter values.
  absl::StatusOr<nlohmann::json> Call(absl::string_view action,
                                      const RpcParams& params,
                                      bool idempotent = true) const;

  // The signed request for one attempt (fresh nonce and timestamp); public
  // so tests can inspect exactly what is sent.
  HttpRequest BuildRequest(absl::string_view action,
                           const RpcParams& params) const;

 private:
  RpcClientOptions options_;
  Credentials credentials_;
  HttpClient& http_;
  const Clock& clock_;
  std::string host_;  // host[:port] from the endpoint, for V3's host header
};

// Alibaba's timestamp form, UTC "yyyy-MM-ddTHH:mm:ssZ" (no fraction).
std::string AlibabaTimestamp(absl::Time time);

}  // namespace certferry::cloud
