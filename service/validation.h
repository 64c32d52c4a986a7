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

}  // namespace certferry::service
