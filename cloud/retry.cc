#include "cloud/retry.h"

#include <algorithm>
#include <cmath>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "cloud/api_error.h"

namespace certferry::cloud {
namespace {

absl::Status AfterAttempts(const absl::Status& status, int attempts,
                           absl::string_view why) {
  absl::Status out(status.code(),
                   absl::StrCat(status.message(), " (after ", attempts,
                                " attempts; ", why, ")"));
  status.ForEachPayload([&](absl::string_view url, const absl::Cord& payload) {
    out.SetPayload(url, payload);
  });
  return out;
}

}  // namespace

absl::StatusOr<HttpResponse> SendWithRetries(
    HttpClient& client, const std::function<HttpRequest()>& make_request,
    const RetryOptions& options, bool idempotent) {
  const absl::Time deadline = absl::Now() + options.total_timeout;
  absl::BitGen random;
  absl::Duration backoff = options.initial_backoff;
  for (int attempt = 1;; ++attempt) {
    absl::StatusOr<HttpResponse> response =
        client.Send(make_request(), deadline - absl::Now());

    absl::Status error;
    bool retryable = false;
    absl::Duration server_delay = absl::ZeroDuration();
    if (response.ok()) {
      std::optional<ApiError> api_error = ParseApiError(*response);
      if (!api_error.has_value()) return response;
      error = ApiErrorToStatus(*api_error);
      retryable = IsThrottling(*api_error) ||
                  (idempotent && api_error->http_status >= 500);
      server_delay = absl::Milliseconds(api_error->retry_after_ms);
    } else {
      error = response.status();
      retryable = RequestNotSent(error) ||
                  (idempotent && (absl::IsUnavailable(error) ||
                                  absl::IsDeadlineExceeded(error)));
    }
    if (!retryable) return error;
    if (attempt >= options.max_attempts) {
      return AfterAttempts(error, attempt, "attempt limit reached");
    }

    // Equal jitter: half fixed, half random, so clients throttled together
    // do not come back together.
    const absl::Duration jittered =
        backoff / 2 + absl::Uniform(random, 0.0, 1.0) * (backoff / 2);
    const absl::Duration delay = std::max(jittered, server_delay);
    if (absl::Now() + delay >= deadline) {
      return AfterAttempts(error, attempt, "deadline reached");
    }
    options.sleep(delay);
    backoff = std::min(backoff * options.multiplier, options.max_backoff);
  }
}

}  // namespace certferry::cloud
