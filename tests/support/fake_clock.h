#pragma once

#include <atomic>

#include "common/clock.h"

namespace certferry::testing {

// A Clock that stands still until the test moves it. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time now = absl::Now())
      : micros_(absl::ToUnixMicros(now)) {}
  absl::Time Now() const override { return absl::FromUnixMicros(micros_); }
  void Set(absl::Time now) { micros_ = absl::ToUnixMicros(now); }
  void Advance(absl::Duration d) { micros_ += absl::ToInt64Microseconds(d); }

 private:
  std::atomic<int64_t> micros_;
};

}  // namespace certferry::testing
