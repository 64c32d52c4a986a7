#pragma once

// Truncated exponential backoff with jitter for retried jobs.

#include "absl/random/bit_gen_ref.h"
#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/time/time.h"

namespace certferry::workers {

struct BackoffPolicy {
  absl::Duration initial = absl::Seconds(1);
  absl::Duration maximum = absl::Minutes(5);
  double multiplier = 2.0;
};

// The delay before attempt `attempt + 1` after `attempt` failed (attempt >=
// 1): initial * multiplier^(attempt-1), capped at maximum, then scaled by a
// uniform factor in [0.5, 1.0] ("equal jitter") so that jobs failing
// together do not retry together.
absl::Duration RetryDelay(const BackoffPolicy& policy, int attempt,
                          absl::BitGenRef random);

// Whether a handler's status is worth retrying (see job_handler.h).
bool IsRetryable(const absl::Status& status);

}  // namespace certferry::workers
