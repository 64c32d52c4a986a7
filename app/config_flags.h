#pragma once

#include "absl/status/statusor.h"
#include "app/app_config.h"

namespace certferry::app {

// Builds the configuration from parsed command-line flags, then environment
// variables (CERTFERRY_LISTEN, CERTFERRY_DATABASE_URL, CERTFERRY_KEK_FILE,
// CERTFERRY_LOG_LEVEL), then embedded defaults, in that order of precedence.
// `need_kek` is false for commands that never touch keys (migrate).
// INVALID_ARGUMENT naming the flag and its environment variable when a value
// is missing or malformed.
absl::StatusOr<AppConfig> ConfigFromFlags(bool need_kek);

}  // namespace certferry::app
