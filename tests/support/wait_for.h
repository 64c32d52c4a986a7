#pragma once

// Polls `predicate` until it returns true or `timeout` passes. Returns the
// last result. Tests use this instead of sleeping for a fixed time.

#include <chrono>
#include <functional>
#include <thread>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace certferry::testing {

inline bool WaitFor(const std::function<bool()>& predicate,
                    absl::Duration timeout = absl::Seconds(20),
                    absl::Duration poll_interval = absl::Milliseconds(20)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    if (predicate()) return true;
    if (absl::Now() >= deadline) return false;
    std::this_thread::sleep_for(absl::ToChronoMilliseconds(poll_interval));
  }
}

}  // namespace certferry::testing
