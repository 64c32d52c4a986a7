#include "cloud/rpc_signature_v1.h"

#include "absl/strings/str_cat.h"
#include "cloud/crypto.h"
#include "cloud/percent_encoding.h"

namespace certferry::cloud {

std::string CanonicalizedQueryV1(const RpcParams& params) {
  std::string out;
  for (const auto& [name, value] : params) {
    if (name == "Signature") continue;
    if (!out.empty()) out.push_back('&');
    absl::StrAppend(&out, PercentEncode(name), "=", PercentEncode(value));
  }
  return out;
}

std::string StringToSignV1(absl::string_view method, const RpcParams& params) {
  return absl::StrCat(method, "&", PercentEncode("/"), "&",
                      PercentEncode(CanonicalizedQueryV1(params)));
}

std::string SignStringV1(absl::string_view string_to_sign,
                         absl::string_view access_key_secret) {
  return Base64(HmacSha1(absl::StrCat(access_key_secret, "&"), string_to_sign));
}

std::string RpcSignatureV1(absl::string_view method, const RpcParams& params,
                           absl::string_view access_key_secret) {
  return SignStringV1(StringToSignV1(method, params), access_key_secret);
}

}  // namespace certferry::cloud
