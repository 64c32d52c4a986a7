#include "pki/key_generation.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <map>
#include <memory>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
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

// DER: tag, definite length, contents.
void AppendDer(std::string& out, unsigned char tag, const std::string& body) {
  out.push_back(static_cast<char>(tag));
  const size_t n = body.size();
  if (n < 0x80) {
    out.push_back(static_cast<char>(n));
  } else if (n < 0x100) {
    out.push_back(static_cast<char>(0x81));
    out.push_back(static_cast<char>(n));
  } else {
    out.push_back(static_cast<char>(0x82));
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xff));
  }
  out += body;
}

std::string Der(unsigned char tag, const std::string& body) {
  std::string out;
  AppendDer(out, tag, body);
  return out;
}

// PKCS#8 PEM of an EC key on P-256/P-384, byte for byte what OpenSSL's
// PEM_write_bio_PrivateKey writes (RFC 5208 around the RFC 5915
// ECPrivateKey, curve in the algorithm only, public key included), built
// directly because OpenSSL 3's encoder framework costs more than
// generating the key. Also returns the public point it encodes. nullopt:
// not such a key; the caller uses OpenSSL.
struct EcKeyEncoding {
  SecretString pem;
  std::string public_point;
};
std::optional<EcKeyEncoding> EcPkcs8Pem(EVP_PKEY* key, KeyType type) {
  const size_t scalar_bytes = type == KeyType::kEcdsaP256   ? 32
                              : type == KeyType::kEcdsaP384 ? 48
                                                            : 0;
  if (scalar_bytes == 0) return std::nullopt;
  // 1.2.840.10045.3.1.7 (prime256v1), 1.3.132.0.34 (secp384r1).
  const std::string curve_oid =
      type == KeyType::kEcdsaP256
          ? std::string("\x2a\x86\x48\xce\x3d\x03\x01\x07", 8)
          : std::string("\x2b\x81\x04\x00\x22", 5);
  // 1.2.840.10045.2.1 (id-ecPublicKey).
  const std::string ec_public_key_oid("\x2a\x86\x48\xce\x3d\x02\x01", 7);

  BIGNUM* scalar = nullptr;
  if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &scalar) != 1) {
    return std::nullopt;
  }
  std::string private_octets(scalar_bytes, '\0');
  const int padded = BN_bn2binpad(
      scalar, reinterpret_cast<unsigned char*>(private_octets.data()),
      static_cast<int>(scalar_bytes));
  BN_clear_free(scalar);
  unsigned char point[1 + 2 * 66];
  size_t point_length = 0;
  if (padded != static_cast<int>(scalar_bytes) ||
      EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                      point, sizeof(point),
                                      &point_length) != 1 ||
      point_length != 1 + 2 * scalar_bytes || point[0] != 0x04) {
    OPENSSL_cleanse(private_octets.data(), private_octets.size());
    return std::nullopt;
  }
  std::string public_bits(1, '\0');  // no unused bits
  public_bits.append(reinterpret_cast<const char*>(point), point_length);

  std::string ec_private_key_body = Der(0x02, std::string(1, '\x01'));
  AppendDer(ec_private_key_body, 0x04, private_octets);
  AppendDer(ec_private_key_body, 0xa1, Der(0x03, public_bits));
  std::string algorithm = Der(0x06, ec_public_key_oid);
  AppendDer(algorithm, 0x06, curve_oid);
  std::string pkcs8_body = Der(0x02, std::string(1, '\0'));
  AppendDer(pkcs8_body, 0x30, algorithm);
  AppendDer(pkcs8_body, 0x04, Der(0x30, ec_private_key_body));
  std::string der = Der(0x30, pkcs8_body);

  std::string base64 = absl::Base64Escape(der);
  // OpenSSL's own PEM label for unencrypted PKCS#8.
  std::string pem = absl::StrCat("-----BEGIN ", PEM_STRING_PKCS8INF, "-----\n");
  for (size_t i = 0; i < base64.size(); i += 64) {
    pem.append(base64, i, 64);
    pem.push_back('\n');
  }
  absl::StrAppend(&pem, "-----END ", PEM_STRING_PKCS8INF, "-----\n");
  for (std::string* secret :
       {&private_octets, &ec_private_key_body, &pkcs8_body, &der, &base64}) {
    OPENSSL_cleanse(secret->data(), secret->size());
  }
  return EcKeyEncoding{
      SecretString(std::move(pem)),
      std::string(reinterpret_cast<const char*>(point), point_length)};
}

// An EC key on `curve` ("P-256", "P-384"). Each thread keeps one prepared
// context per curve: EVP_PKEY_Q_keygen looks the algorithm up in the
// provider store on every call, which costs as much as the key itself.
EVP_PKEY* GenerateEcKey(const char* curve) {
  using CtxPtr = std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)>;
  thread_local std::map<std::string, CtxPtr> contexts;
  auto it = contexts.find(curve);
  if (it == contexts.end()) {
    CtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr),
               EVP_PKEY_CTX_free);
    if (ctx == nullptr || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
        EVP_PKEY_CTX_set_group_name(ctx.get(), curve) != 1) {
      return nullptr;
    }
    it = contexts.emplace(curve, std::move(ctx)).first;
  }
  EVP_PKEY* key = nullptr;
  if (EVP_PKEY_keygen(it->second.get(), &key) != 1) return nullptr;
  return key;
}

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
      raw = GenerateEcKey("P-256");
      break;
    case KeyType::kEcdsaP384:
      raw = GenerateEcKey("P-384");
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
  if (std::optional<EcKeyEncoding> ec = EcPkcs8Pem(key.get(), type)) {
    return PrivateKey(type, std::move(key), std::move(ec->pem),
                      std::move(ec->public_point));
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
                    SecretString(std::string(mem->data, mem->length)), "");
}

}  // namespace certferry::pki
