#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace certferry::pki {

// Lowercase hex SHA-256 of `data`. Thread-safe.
std::string Sha256Hex(absl::string_view data);

// The 32 raw bytes of SHA-256 of `data`. Thread-safe.
std::string Sha256(absl::string_view data);

}  // namespace certferry::pki
