#pragma once

// JSON Web Signature for ACME requests (RFC 8555 §6.2): the flattened JSON
// serialization (RFC 7515 §7.2.2) signed with ES256, the account key as a
// JWK (RFC 7517) and its thumbprint (RFC 7638), and the key authorizations
// that challenges are answered with (RFC 8555 §8.1, §8.3, §8.4). Pure
// functions over an Es256Key; thread-safe.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "pki/es256_key.h"

namespace certferry::issuers::acme {

// base64url without padding (RFC 7515 §2).
std::string Base64Url(absl::string_view data);

// The public JWK of `key` in RFC 7638's canonical form: members in
// lexicographic order, no whitespace:
// {"crv":"P-256","kty":"EC","x":"...","y":"..."}.
std::string PublicJwk(const pki::Es256Key& key);

// base64url(SHA-256(PublicJwk(key))) (RFC 7638 §3).
std::string JwkThumbprint(const pki::Es256Key& key);

// token || "." || thumbprint (RFC 8555 §8.1).
std::string KeyAuthorization(absl::string_view token,
                             absl::string_view thumbprint);

// The TXT record value for dns-01: base64url(SHA-256(key_authorization))
// (RFC 8555 §8.4).
std::string Dns01RecordValue(absl::string_view key_authorization);

// Who signs: with `kid` empty the header carries the JWK (newAccount and
// account lookup, RFC 8555 §6.2); otherwise the account URL as "kid".
struct JwsHeader {
  std::string url;
  std::string nonce;
  std::string kid;
};

// The request body of an ACME POST: {"protected":...,"payload":...,
// "signature":...}. `payload` is the JSON text to send, or empty for
// POST-as-GET (RFC 8555 §6.3), which signs an empty payload. INTERNAL if
// signing fails.
absl::StatusOr<std::string> SignJws(const pki::Es256Key& key,
                                    const JwsHeader& header,
                                    absl::string_view payload);

}  // namespace certferry::issuers::acme
