#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace certferry {

// A random (version 4) UUID in canonical lowercase text form. Thread-safe.
std::string NewUuid();

// True for a canonical UUID text ("8-4-4-4-12" hex digits, any case).
bool IsUuid(absl::string_view text);

}  // namespace certferry
