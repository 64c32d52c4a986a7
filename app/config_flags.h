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

// Checks config->crl_base_url (http://, ASCII, no query; a trailing slash
// is removed) and that it is given when config->crl_listen binds every
// address. INVALID_ARGUMENT naming the flag.
absl::Status ValidateCrlFlags(AppConfig* config);

}  // namespace certferry::app
