#include "notify/webhook_signature.h"

#include "absl/strings/str_cat.h"
#include "cloud/crypto.h"

namespace certferry::notify {

std::string WebhookSignature(const SecretString& secret, int64_t unix_seconds,
                             absl::string_view body) {
  const std::string signed_material = absl::StrCat(unix_seconds, ".", body);
  return absl::StrCat("sha256=", cloud::LowerHex(cloud::HmacSha256(
                                     secret.Reveal(), signed_material)));
}

}  // namespace certferry::notify
