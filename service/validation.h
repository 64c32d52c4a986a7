#pragma once

// Field validators shared by the API classes. Each returns INVALID_ARGUMENT
// with "<field>: <problem>; <fix>" or OK.

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace certferry::service {

// 1-128 characters of [A-Za-z0-9._-], starting with a letter or digit.
absl::Status ValidateResourceName(absl::string_view field,
                                  absl::string_view name);

// Empty (no idempotency) or 1-128 printable ASCII characters.
absl::Status ValidateRequestId(absl::string_view field,
                               absl::string_view request_id);

// A DNS host name (letters, digits, hyphens; labels 1-63; total <= 253),
// optionally with a wildcard first label when `allow_wildcard`.
absl::Status ValidateDnsName(absl::string_view field, absl::string_view name,
                             bool allow_wildcard);

}  // namespace certferry::service
