#pragma once

// Alibaba signature V3, ACS3-HMAC-SHA256 (ALIBABA_API.md §2.4). Pure
// functions over explicit inputs; the caller adds x-acs-date,
// x-acs-signature-nonce, x-acs-content-sha256 etc. to `headers` first.

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace certferry::cloud {

inline constexpr char kEmptyPayloadSha256[] =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

struct V3Request {
  std::string method;  // "POST", "GET", ...
  std::string path;    // unencoded; empty means "/"
  std::map<std::string, std::string> query;
  // Header names in any case; duplicates allowed. Only host, content-type
  // and x-acs-* are signed.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string hashed_payload;  // lowercase hex SHA-256 of the body
};

struct V3Signature {
  std::string canonical_request;
  std::string signed_headers;  // "host;x-acs-action;..."
  std::string string_to_sign;
  std::string signature;      // lowercase hex
  std::string authorization;  // value of the Authorization header
};

// Lowercase hex SHA-256 of `body`.
std::string HashPayloadV3(absl::string_view body);

// Builds the canonical request and signs it with `access_key_secret` (no
// '&' suffix in V3).
V3Signature SignV3(const V3Request& request, absl::string_view access_key_id,
                   absl::string_view access_key_secret);

}  // namespace certferry::cloud
