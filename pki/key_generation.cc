#include "pki/key_generation.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace certferry::pki {
namespace {

struct KeyTypeEntry {
  KeyType type;
  const char* name;
};
constexpr KeyTypeEntry kKeyTypes[] = {
    {KeyType::kEcdsaP256, "ecdsa-p256"}, {KeyType::kEcdsaP384, "ecdsa-p384"},
    {KeyType::kRsa2048, "rsa-2048"},     {KeyType::kRsa3072, "rsa-3072"},
    {KeyType::kRsa4096, "rsa-4096"},
};

}  // namespace

absl::StatusOr<KeyType> ParseKeyType(absl::string_view field,
                                     absl::string_view name) {
  const std::string lower = absl::AsciiStrToLower(name);
  for (const KeyTypeEntry& entry : kKeyTypes) {
    if (lower == entry.name) return entry.type;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      field, ": '", name,
      "' is not a supported key type; use ecdsa-p256, ecdsa-p384, rsa-2048, "
      "rsa-3072 or rsa-4096"));
}

std::string KeyTypeName(KeyType type) {
  for (const KeyTypeEntry& entry : kKeyTypes) {
    if (entry.type == type) return entry.name;
  }
  return "ecdsa-p256";
}

absl::StatusOr<SecretString> GeneratePrivateKey(KeyType type) {
  CF_ASSIGN_OR_RETURN(PrivateKey key, GenerateKey(type));
  return key.pem();
}

absl::StatusOr<PrivateKey> GenerateKey(KeyType type) {
  EVP_PKEY* raw = nullptr;
  switch (type) {
    case KeyType::kEcdsaP256:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
      break;
    case KeyType::kEcdsaP384:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
      break;
    case KeyType::kRsa2048:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048});
      break;
    case KeyType::kRsa3072:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{3072});
      break;
    case KeyType::kRsa4096:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{4096});
      break;
  }
  std::shared_ptr<EVP_PKEY> key(raw, EVP_PKEY_free);
  if (key == nullptr) {
    ERR_clear_error();
    return absl::InternalError(
        absl::StrCat("generating a ", KeyTypeName(type), " key failed"));
  }
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_secmem()),
                                                BIO_free);
  if (bio == nullptr ||
      PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0,
                               nullptr, nullptr) != 1) {
    ERR_clear_error();
    return absl::InternalError("encoding a generated key failed");
  }
  BUF_MEM* mem = nullptr;
  BIO_get_mem_ptr(bio.get(), &mem);
  return PrivateKey(type, std::move(key),
                    SecretString(std::string(mem->data, mem->length)));
}

}  // namespace certferry::pki
