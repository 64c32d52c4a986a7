#pragma once

// The retry loop around HttpClient (after google-cloud-cpp retry_loop.h):
// bounded attempts and a total deadline, truncated exponential backoff with
// jitter, x-acs-retry-after honoured, idempotency decided per call.

#include <functional>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cloud/http_client.h"

namespace certferry::cloud {

struct RetryOptions {
  int max_attempts = 4;
  // Across all attempts and the sleeps between them.
  absl::Duration total_timeout = absl::Seconds(60);
  absl::Duration initial_backoff = absl::Milliseconds(200);
  absl::Duration max_backoff = absl::Seconds(10);
  double multiplier = 2.0;
  // How to wait between attempts; tests inject one that records the delays.
  std::function<void(absl::Duration)> sleep = [](absl::Duration d) {
    absl::SleepFor(d);
  };
};

// Sends the request `make_request` builds (called once per attempt, so each
// attempt can carry a fresh nonce, timestamp and signature) until it gets a
// 2xx response, which is returned.
// Retried: throttling (IsThrottling) and requests that never reached the
// server, always; 5xx and other transport failures (timeouts, resets) only
// when `idempotent`. The delay is the backoff with "equal jitter", at least
// the server's x-acs-retry-after. Nothing is retried past the deadline.
// Errors: an Alibaba error → ApiErrorToStatus (GetApiError() reads it
// back); transport errors as HttpClient::Send reports them. When attempts or
// time run out the last error is returned with "after N attempts" appended.
// Thread-safe if `client` and `make_request` are.
absl::StatusOr<HttpResponse> SendWithRetries(
    HttpClient& client, const std::function<HttpRequest()>& make_request,
    const RetryOptions& options, bool idempotent);

}  // namespace certferry::cloud
