#pragma once

// The HTTP transport seam of cloud/ (after google-cloud-cpp rest_client.h):
// HttpClient sends one request and returns whatever HTTP response came back;
// CurlHttpClient implements it over libcurl. Retries and Alibaba error
// mapping live above it (retry.h, api_error.h).

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace certferry::cloud {

struct HttpRequest {
  // GET, HEAD (no response body is read), or a method that sends `body`.
  std::string method = "GET";
  std::string url;  // http:// or https://
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct HttpResponse {
  int status_code = 0;
  // Header names lowercased, in arrival order.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // First value of header `name` (case-insensitive); nullopt when absent.
  std::optional<std::string> Header(absl::string_view name) const;
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;

  // Sends `request` and waits at most `timeout` for the whole exchange. Any
  // HTTP status is an OK result. Errors: DEADLINE_EXCEEDED on timeout,
  // UNAVAILABLE when the peer cannot be reached or the connection fails
  // (RequestNotSent() tells whether it can have been processed),
  // FAILED_PRECONDITION for TLS verification failures, INVALID_ARGUMENT for
  // a malformed URL, INTERNAL otherwise. Messages never contain the URL's
  // query (it may carry certificates and keys). Thread-safe.
  virtual absl::StatusOr<HttpResponse> Send(const HttpRequest& request,
                                            absl::Duration timeout) = 0;
};

// True when `status` came from a transport failure that happened before the
// request reached the server (connect or resolve failed), so even a
// non-idempotent call may be retried.
bool RequestNotSent(const absl::Status& status);

struct CurlHttpClientOptions {
  absl::Duration connect_timeout = absl::Seconds(5);
  // Upper bound per request; Send()'s timeout can only shorten it.
  absl::Duration request_timeout = absl::Seconds(30);
  bool verify_tls = true;
  // Extra trust: a PEM CA bundle used instead of the system store (the
  // emulator's own CA). Empty means the system store.
  std::string ca_file;
  // Response bodies beyond this size fail with RESOURCE_EXHAUSTED.
  size_t max_response_bytes = 16 << 20;
  // Idle easy handles kept for connection reuse.
  size_t max_idle_handles = 8;
};

// Thread-safe: each Send() takes an easy handle from a mutex-guarded pool
// (reusing its open connection and TLS session) and returns it afterwards.
// Destroy only after every Send() has returned.
class CurlHttpClient final : public HttpClient {
 public:
  explicit CurlHttpClient(CurlHttpClientOptions options = {});
  ~CurlHttpClient() override;
  CurlHttpClient(const CurlHttpClient&) = delete;
  CurlHttpClient& operator=(const CurlHttpClient&) = delete;

  // HttpClient
  absl::StatusOr<HttpResponse> Send(const HttpRequest& request,
                                    absl::Duration timeout) override;

 private:
  class HandlePool;

  CurlHttpClientOptions options_;
  std::unique_ptr<HandlePool> pool_;
};

}  // namespace certferry::cloud
