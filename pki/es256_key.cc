#include "pki/es256_key.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "pki/internal/openssl_handles.h"

namespace certferry::pki {
namespace {

using internal::BignumPtr;
using internal::ErrorQueueGuard;

constexpr int kCoordinateBytes = 32;

int RefusePassphrase(char*, int, int, void*) { return -1; }

bool CoordinateBytes(EVP_PKEY* key, const char* param, std::string* out) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, param, &raw) != 1) return false;
  BignumPtr value(raw);
  out->assign(kCoordinateBytes, '\0');
  return BN_bn2binpad(value.get(),
                      reinterpret_cast<unsigned char*>(out->data()),
                      kCoordinateBytes) == kCoordinateBytes;
}

}  // namespace

absl::StatusOr<Es256Key> Es256Key::Parse(absl::string_view field,
                                         const SecretString& pem) {
  ErrorQueueGuard guard;
  internal::BioPtr bio = internal::MemBio(pem.Reveal());
  if (bio == nullptr) return absl::InternalError("out of memory");
  std::shared_ptr<EVP_PKEY> key(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, RefusePassphrase, nullptr),
      EVP_PKEY_free);
  if (key == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": not an unencrypted PEM private key"));
  }
  char group[64] = {0};
  size_t group_length = 0;
  if (!EVP_PKEY_is_a(key.get(), "EC") ||
      EVP_PKEY_get_utf8_string_param(key.get(), OSSL_PKEY_PARAM_GROUP_NAME,
                                     group, sizeof(group),
                                     &group_length) != 1 ||
      std::strcmp(group, SN_X9_62_prime256v1) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": not an ECDSA P-256 key; ES256 needs one"));
  }
  std::string x;
  std::string y;
  if (!CoordinateBytes(key.get(), OSSL_PKEY_PARAM_EC_PUB_X, &x) ||
      !CoordinateBytes(key.get(), OSSL_PKEY_PARAM_EC_PUB_Y, &y)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": the key's public point cannot be read"));
  }
  return Es256Key(std::move(key), std::move(x), std::move(y));
}

absl::StatusOr<std::string> Es256Key::Sign(absl::string_view data) const {
  ErrorQueueGuard guard;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                              EVP_MD_CTX_free);
  size_t der_length = 0;
  if (ctx == nullptr ||
      EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr,
                         key_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &der_length,
                     reinterpret_cast<const unsigned char*>(data.data()),
                     data.size()) != 1) {
    return absl::InternalError("ES256 signing failed");
  }
  std::string der(der_length, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(der.data()),
                     &der_length,
                     reinterpret_cast<const unsigned char*>(data.data()),
                     data.size()) != 1) {
    return absl::InternalError("ES256 signing failed");
  }
  // OpenSSL signs in DER (SEQUENCE of r, s); JWS wants fixed-width r || s.
  const unsigned char* cursor =
      reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> signature(
      d2i_ECDSA_SIG(nullptr, &cursor,
                    static_cast<long>(der_length)),  // NOLINT: OpenSSL API
      ECDSA_SIG_free);
  if (signature == nullptr) return absl::InternalError("ES256 signing failed");
  std::string raw(2 * kCoordinateBytes, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  if (BN_bn2binpad(ECDSA_SIG_get0_r(signature.get()), out, kCoordinateBytes) !=
          kCoordinateBytes ||
      BN_bn2binpad(ECDSA_SIG_get0_s(signature.get()), out + kCoordinateBytes,
                   kCoordinateBytes) != kCoordinateBytes) {
    return absl::InternalError("ES256 signing failed");
  }
  return raw;
}

}  // namespace certferry::pki
