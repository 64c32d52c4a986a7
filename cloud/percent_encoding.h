#pragma once

// Alibaba's percent-encoding (ALIBABA_API.md §2.1), shared by the RPC V1,
// V3 and ROA signatures: UTF-8 bytes, `A-Z a-z 0-9 - _ . ~` literal, every
// other byte `%XY` with uppercase hex (space → %20, '*' → %2A).

#include <string>

#include "absl/strings/string_view.h"

namespace certferry::cloud {

// Encodes every byte outside the unreserved set, including '/'.
std::string PercentEncode(absl::string_view text);

// As PercentEncode but keeps '/' literal: for V3 canonical URIs.
std::string PercentEncodePath(absl::string_view path);

}  // namespace certferry::cloud
