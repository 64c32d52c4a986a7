#pragma once

// Legacy ROA "acs" signature (ALIBABA_API.md §2.6). Kept for ROA products
// whose gateways still take it; current SDKs sign ROA with V3 too.

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace certferry::cloud {

struct RoaRequest {
  std::string method;
  std::string path;  // e.g. "/v2/openapi/instances/abc"
  std::map<std::string, std::string> query;
  // Header names in any case: Accept, Content-MD5, Content-Type, Date and
  // x-acs-* are used.
  std::vector<std::pair<std::string, std::string>> headers;
};

// VERB\nAccept\nContent-MD5\nContent-Type\nDate\n + x-acs-* headers +
// resource (query values not encoded; an empty value gives a bare name).
std::string StringToSignRoa(const RoaRequest& request);

// Base64(HMAC-SHA1(secret, string_to_sign)); the key has no '&' suffix.
std::string SignStringRoa(absl::string_view string_to_sign,
                          absl::string_view access_key_secret);

// "acs <AccessKeyId>:<signature>".
std::string AuthorizationRoa(const RoaRequest& request,
                             absl::string_view access_key_id,
                             absl::string_view access_key_secret);

// Base64 MD5 of `body`, for the Content-MD5 header.
std::string ContentMd5(absl::string_view body);

}  // namespace certferry::cloud
