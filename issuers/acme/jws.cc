#include "issuers/acme/jws.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"
#include "pki/digest.h"

namespace certferry::issuers::acme {

std::string Base64Url(absl::string_view data) {
  // Abseil's web-safe alphabet without padding is exactly base64url.
  return absl::WebSafeBase64Escape(data);
}

std::string PublicJwk(const pki::Es256Key& key) {
  // Built by hand: the thumbprint hashes these exact bytes.
  return absl::StrCat(R"({"crv":"P-256","kty":"EC","x":")", Base64Url(key.x()),
                      R"(","y":")", Base64Url(key.y()), R"("})");
}

std::string JwkThumbprint(const pki::Es256Key& key) {
  return Base64Url(pki::Sha256(PublicJwk(key)));
}

std::string KeyAuthorization(absl::string_view token,
                             absl::string_view thumbprint) {
  return absl::StrCat(token, ".", thumbprint);
}

std::string Dns01RecordValue(absl::string_view key_authorization) {
  return Base64Url(pki::Sha256(key_authorization));
}

absl::StatusOr<std::string> SignJws(const pki::Es256Key& key,
                                    const JwsHeader& header,
                                    absl::string_view payload) {
  nlohmann::json protected_header = {
      {"alg", "ES256"}, {"nonce", header.nonce}, {"url", header.url}};
  if (header.kid.empty()) {
    protected_header["jwk"] = nlohmann::json::parse(PublicJwk(key));
  } else {
    protected_header["kid"] = header.kid;
  }
  // The nonce and URLs come from the server: replace rather than throw on
  // invalid UTF-8 (the server then rejects the request).
  constexpr auto kReplace = nlohmann::json::error_handler_t::replace;
  const std::string encoded_header =
      Base64Url(protected_header.dump(-1, ' ', false, kReplace));
  const std::string encoded_payload = Base64Url(payload);
  CF_ASSIGN_OR_RETURN(
      std::string signature,
      key.Sign(absl::StrCat(encoded_header, ".", encoded_payload)));
  return nlohmann::json{{"protected", encoded_header},
                        {"payload", encoded_payload},
                        {"signature", Base64Url(signature)}}
      .dump(-1, ' ', false, kReplace);
}

}  // namespace certferry::issuers::acme
