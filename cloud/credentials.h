#pragma once

// Alibaba Cloud AccessKey credentials: from the standard environment
// variables or the credentials ini file (~/.alibabacloud/credentials).

#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/secret_string.h"

namespace certferry::cloud {

struct Credentials {
  std::string access_key_id;
  SecretString access_key_secret;
  // Set for STS credentials; sent as SecurityToken / x-acs-security-token.
  std::optional<SecretString> security_token;
};

// Looks up an environment variable; nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(const char* name)>;

// The process environment (getenv).
std::optional<std::string> ProcessEnv(const char* name);

// ALIBABA_CLOUD_ACCESS_KEY_ID + ALIBABA_CLOUD_ACCESS_KEY_SECRET (and optional
// ALIBABA_CLOUD_SECURITY_TOKEN). NOT_FOUND when neither is set;
// INVALID_ARGUMENT naming the missing one when only one is set.
absl::StatusOr<Credentials> CredentialsFromEnvironment(
    const EnvLookup& env = ProcessEnv);

// Parses the ini format of the Alibaba credentials file:
//   [default]
//   type = access_key            (or "sts", with security_token = ...)
//   access_key_id = ...
//   access_key_secret = ...
// INVALID_ARGUMENT naming the profile and key when something is missing or
// the type is unsupported; NOT_FOUND when the profile does not exist.
// `origin` names the file in messages.
absl::StatusOr<Credentials> ParseCredentialsIni(absl::string_view content,
                                                absl::string_view profile,
                                                absl::string_view origin);

// Reads and parses `path`; NOT_FOUND when the file does not exist.
absl::StatusOr<Credentials> CredentialsFromFile(const std::string& path,
                                                absl::string_view profile);

// Environment first, then $HOME/.alibabacloud/credentials with `profile`
// (ALIBABA_CLOUD_PROFILE, else "default", when `profile` is empty). The
// NOT_FOUND message names both places looked at.
absl::StatusOr<Credentials> LoadDefaultCredentials(
    absl::string_view profile = "", const EnvLookup& env = ProcessEnv);

}  // namespace certferry::cloud
