#pragma once

// LISTENs for "jobs were enqueued" notifications on its own connection, so
// idle workers wake at once instead of waiting for their next poll. Not
// thread-safe: one thread calls Wait.

#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/secret_string.h"

namespace certferry::storage {

class JobNotificationListener {
 public:
  // UNAVAILABLE if the database cannot be reached.
  static absl::StatusOr<std::unique_ptr<JobNotificationListener>> Open(
      const SecretString& url);
  ~JobNotificationListener();

  // Blocks up to `timeout`; true if at least one notification arrived. On a
  // broken connection it reconnects (on a later call) and returns false, so
  // callers that also poll lose nothing.
  bool Wait(absl::Duration timeout);

 private:
  struct State;
  explicit JobNotificationListener(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace certferry::storage
