#pragma once

// Alibaba Cloud request signatures, recomputed on the server side to verify
// a request: RPC signature V1 (HMAC-SHA1) and V3 (ACS3-HMAC-SHA256), per
// shared/ALIBABA_API.md §2. Written independently of cloud/'s signer on
// purpose, so a signing bug cannot pass on both sides. Pure functions;
// thread-safe.

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace certferry::emulator {

using Params = std::vector<std::pair<std::string, std::string>>;

// RFC 3986 percent-encoding as Alibaba uses it (§2.1): unreserved
// A-Z a-z 0-9 - _ . ~ literal, every other byte %XY with uppercase hex.
std::string AcsPercentEncode(absl::string_view text);

// Decodes %XY escapes; with `plus_is_space` (form bodies and queries), '+'
// becomes a space. Malformed escapes are kept literally.
std::string PercentDecode(absl::string_view text, bool plus_is_space);

// Parses "a=1&b=&c" (query string or form body) into decoded pairs, in order.
Params ParseUrlEncoded(absl::string_view text);

// --- V1 (§2.2) ---

// "METHOD&%2F&enc(canonical query)" over every parameter except Signature.
std::string V1StringToSign(absl::string_view method, const Params& params);

// Base64(HMAC-SHA1(secret + "&", string_to_sign)).
std::string V1Signature(absl::string_view access_key_secret,
                        absl::string_view string_to_sign);

// OK when params' "Signature" equals the signature recomputed with `secret`.
// INVALID_ARGUMENT "IncompleteSignature" when Signature is missing;
// UNAUTHENTICATED when it differs (the message carries the expected
// StringToSign, as Alibaba's gateway does; never the secret).
absl::Status VerifyV1(absl::string_view method, const Params& params,
                      absl::string_view access_key_secret);

// --- V3 (§2.4) ---

struct V3Request {
  std::string method;
  std::string canonical_uri;   // already encoded, e.g. "/" or "/v2/a%20b"
  Params query;                // decoded query parameters
  Params headers;              // every header as received (any name case)
  std::string hashed_payload;  // lowercase hex SHA-256 of the body
};

// Lowercase hex SHA-256 of `data`.
std::string Sha256Hex(absl::string_view data);

// Encodes each '/'-separated segment of a decoded path.
std::string CanonicalUri(absl::string_view decoded_path);

// The canonical request of §2.4 step 1, over the headers named in
// `signed_headers` (";"-separated, lowercase).
std::string V3CanonicalRequest(const V3Request& request,
                               absl::string_view signed_headers);

// Lowercase hex HMAC-SHA256(secret, "ACS3-HMAC-SHA256\n" +
// Sha256Hex(canonical_request)).
std::string V3Signature(absl::string_view access_key_secret,
                        absl::string_view canonical_request);

// The parts of an "ACS3-HMAC-SHA256 Credential=..,SignedHeaders=..,
// Signature=.." header. INVALID_ARGUMENT when malformed.
struct V3Authorization {
  std::string access_key_id;
  std::string signed_headers;
  std::string signature;
};
absl::Status ParseV3Authorization(absl::string_view header,
                                  V3Authorization* out);

// OK when `authorization.signature` matches the recomputed one;
// UNAUTHENTICATED otherwise (message carries the expected canonical
// request). INVALID_ARGUMENT when SignedHeaders omits an x-acs-* header the
// request carries (whether "host" must be signed is the caller's rule).
absl::Status VerifyV3(const V3Request& request,
                      const V3Authorization& authorization,
                      absl::string_view access_key_secret);

}  // namespace certferry::emulator
