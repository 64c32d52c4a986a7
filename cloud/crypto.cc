#include "cloud/crypto.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "absl/strings/escaping.h"

namespace certferry::cloud {
namespace {

std::string Mac(const EVP_MD* md, absl::string_view key,
                absl::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(md, key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out,
       &length);
  return std::string(reinterpret_cast<const char*>(out), length);
}

std::string Digest(const EVP_MD* md, absl::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), out, &length, md, nullptr);
  return std::string(reinterpret_cast<const char*>(out), length);
}

}  // namespace

std::string HmacSha1(absl::string_view key, absl::string_view data) {
  return Mac(EVP_sha1(), key, data);
}
std::string HmacSha256(absl::string_view key, absl::string_view data) {
  return Mac(EVP_sha256(), key, data);
}
std::string Sha256(absl::string_view data) {
  return Digest(EVP_sha256(), data);
}
std::string Md5(absl::string_view data) { return Digest(EVP_md5(), data); }

std::string LowerHex(absl::string_view bytes) {
  return absl::BytesToHexString(bytes);
}
std::string Base64(absl::string_view bytes) {
  return absl::Base64Escape(bytes);
}

}  // namespace certferry::cloud
