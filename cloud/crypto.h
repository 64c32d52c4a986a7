#pragma once

// Digest and MAC helpers the Alibaba signatures need (OpenSSL stays private
// to cloud/). All functions are pure and thread-safe.

#include <string>

#include "absl/strings/string_view.h"

namespace certferry::cloud {

// Raw (binary) digests and MACs.
std::string HmacSha1(absl::string_view key, absl::string_view data);
std::string HmacSha256(absl::string_view key, absl::string_view data);
std::string Sha256(absl::string_view data);
std::string Md5(absl::string_view data);

// Lowercase hex of `bytes`.
std::string LowerHex(absl::string_view bytes);
// Standard Base64 alphabet with padding.
std::string Base64(absl::string_view bytes);

}  // namespace certferry::cloud
