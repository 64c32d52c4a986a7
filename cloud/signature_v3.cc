#include "cloud/signature_v3.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cloud/crypto.h"
#include "cloud/percent_encoding.h"

namespace certferry::cloud {

std::string HashPayloadV3(absl::string_view body) {
  return LowerHex(Sha256(body));
}

V3Signature SignV3(const V3Request& request, absl::string_view access_key_id,
                   absl::string_view access_key_secret) {
  std::string query;
  for (const auto& [name, value] : request.query) {
    if (!query.empty()) query.push_back('&');
    // The doc's form: a parameter without a value still gets '='.
    absl::StrAppend(&query, PercentEncode(name), "=", PercentEncode(value));
  }

  std::map<std::string, std::vector<std::string>> signed_values;
  for (const auto& [raw_name, raw_value] : request.headers) {
    const std::string name = absl::AsciiStrToLower(raw_name);
    if (name != "host" && name != "content-type" &&
        !absl::StartsWith(name, "x-acs-")) {
      continue;
    }
    signed_values[name].emplace_back(absl::StripAsciiWhitespace(raw_value));
  }
  std::string canonical_headers;
  std::vector<std::string> names;
  for (auto& [name, values] : signed_values) {
    std::sort(values.begin(), values.end());
    absl::StrAppend(&canonical_headers, name, ":", absl::StrJoin(values, ","),
                    "\n");
    names.push_back(name);
  }

  V3Signature out;
  out.signed_headers = absl::StrJoin(names, ";");
  const std::string path = request.path.empty() ? "/" : request.path;
  out.canonical_request =
      absl::StrCat(request.method, "\n", PercentEncodePath(path), "\n", query,
                   "\n", canonical_headers, "\n", out.signed_headers, "\n",
                   request.hashed_payload);
  out.string_to_sign = absl::StrCat("ACS3-HMAC-SHA256\n",
                                    LowerHex(Sha256(out.canonical_request)));
  out.signature = LowerHex(HmacSha256(access_key_secret, out.string_to_sign));
  out.authorization = absl::StrCat(
      "ACS3-HMAC-SHA256 Credential=", access_key_id,
      ",SignedHeaders=", out.signed_headers, ",Signature=", out.signature);
  return out;
}

}  // namespace certferry::cloud
