#pragma once

#include <string>

#include "absl/time/time.h"
#include "common/secret_string.h"

namespace certferry::storage {

struct DatabaseConfig {
  // libpq connection string or URI, e.g. "postgresql:///certferry?host=/run".
  // Held as a secret: it may carry a password.
  SecretString url;
  // Connections kept open at most; calls beyond wait for a free one.
  int pool_size = 8;
  // How long a call waits for a free connection before UNAVAILABLE.
  absl::Duration acquire_timeout = absl::Seconds(5);
  // Server-side limit per statement (statement_timeout).
  absl::Duration statement_timeout = absl::Seconds(30);
  // Attempts for a transaction that hits a serialization failure/deadlock.
  int max_transaction_attempts = 3;
};

}  // namespace certferry::storage
