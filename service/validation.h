#pragma once

// Field validators shared by the API classes. Each returns INVALID_ARGUMENT
// with "<field>: <problem>; <fix>" or OK.

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "storage/request_id_repository.h"

namespace certferry::service {

// 1-128 characters of [A-Za-z0-9._-], starting with a letter or digit.
absl::Status ValidateResourceName(absl::string_view field,
                                  absl::string_view name);

// Empty (no idempotency) or 1-128 printable ASCII characters.
absl::Status ValidateRequestId(absl::string_view field,
                               absl::string_view request_id);

// A stored certificate version: `id_field` holds its certificate's id (a
// UUID) and `version` is 0 (the latest) or a version number.
absl::Status ValidateCertificateVersion(absl::string_view id_field,
                                        absl::string_view id, int version);

// OK when the request recorded under a request_id is the same call
// (`method`, content digest) as the one repeating it; ALREADY_EXISTS
// naming request_id otherwise.
absl::Status CheckSameRequest(const storage::RequestRecord& earlier,
                              const std::string& method,
                              const std::string& digest);

}  // namespace certferry::service
