#pragma once

// Alibaba RPC signature V1 (HMAC-SHA1, SignatureVersion=1.0; ALIBABA_API.md
// §2.2). Pure functions: the caller supplies every parameter, including
// Timestamp and SignatureNonce, so results are reproducible.

#include <map>
#include <string>

#include "absl/strings/string_view.h"

namespace certferry::cloud {

// Request parameters (query and form body together), sorted by name in
// plain byte order as the signature requires.
using RpcParams = std::map<std::string, std::string>;

// `enc(name)=enc(value)` joined by '&'; empty values give `name=`. Any
// "Signature" entry is skipped.
std::string CanonicalizedQueryV1(const RpcParams& params);

// METHOD + "&%2F&" + enc(CanonicalizedQueryV1(params)).
std::string StringToSignV1(absl::string_view method, const RpcParams& params);

// Base64(HMAC-SHA1(secret + "&", StringToSignV1(method, params))).
std::string RpcSignatureV1(absl::string_view method, const RpcParams& params,
                           absl::string_view access_key_secret);

// The signature over an already built string-to-sign.
std::string SignStringV1(absl::string_view string_to_sign,
                         absl::string_view access_key_secret);

}  // namespace certferry::cloud
