#include "workers/backoff.h"

#include <algorithm>
#include <cmath>

namespace certferry::workers {

absl::Duration RetryDelay(const BackoffPolicy& policy, int attempt,
                          absl::BitGenRef random) {
  const double exponent = std::max(0, attempt - 1);
  const double factor = std::pow(policy.multiplier, std::min(exponent, 60.0));
  absl::Duration delay = policy.initial * factor;
  if (delay > policy.maximum || delay < absl::ZeroDuration()) {
    delay = policy.maximum;
  }
  return delay * absl::Uniform(random, 0.5, 1.0);
}

bool IsRetryable(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
      return true;
    default:
      return false;
  }
}

}  // namespace certferry::workers
