#pragma once

// Time as a dependency (STYLE.md §8): anything that checks expiry, validity
// windows or leases takes a Clock& so tests can fix the instant.

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace certferry {

class Clock {
 public:
  virtual ~Clock() = default;
  // The current instant. Thread-safe.
  virtual absl::Time Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

}  // namespace certferry
