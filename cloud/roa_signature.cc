#include "cloud/roa_signature.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cloud/crypto.h"

namespace certferry::cloud {

std::string StringToSignRoa(const RoaRequest& request) {
  std::map<std::string, std::string> standard;
  std::map<std::string, std::string> acs;
  for (const auto& [raw_name, value] : request.headers) {
    const std::string name = absl::AsciiStrToLower(raw_name);
    if (absl::StartsWith(name, "x-acs-")) {
      acs[name] = value;
    } else {
      standard[name] = value;
    }
  }
  // Missing standard headers still contribute an (empty) line.
  std::string out = absl::StrCat(
      request.method, "\n", standard["accept"], "\n", standard["content-md5"],
      "\n", standard["content-type"], "\n", standard["date"], "\n");
  for (const auto& [name, value] : acs) {
    absl::StrAppend(&out, name, ":", value, "\n");
  }
  out += request.path;
  char separator = '?';
  for (const auto& [name, value] : request.query) {
    out.push_back(separator);
    separator = '&';
    out += name;
    if (!value.empty()) absl::StrAppend(&out, "=", value);
  }
  return out;
}

std::string SignStringRoa(absl::string_view string_to_sign,
                          absl::string_view access_key_secret) {
  return Base64(HmacSha1(access_key_secret, string_to_sign));
}

std::string AuthorizationRoa(const RoaRequest& request,
                             absl::string_view access_key_id,
                             absl::string_view access_key_secret) {
  return absl::StrCat(
      "acs ", access_key_id, ":",
      SignStringRoa(StringToSignRoa(request), access_key_secret));
}

std::string ContentMd5(absl::string_view body) { return Base64(Md5(body)); }

}  // namespace certferry::cloud
