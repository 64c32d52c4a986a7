#pragma once

// Private key generation for issuance. OpenSSL only; thread-safe.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/secret_string.h"

// OpenSSL's EVP_PKEY, without its headers.
struct evp_pkey_st;

namespace certferry::pki {

enum class KeyType { kEcdsaP256, kEcdsaP384, kRsa2048, kRsa3072, kRsa4096 };

// Parses the names the API and CLI use: "ecdsa-p256", "ecdsa-p384",
// "rsa-2048", "rsa-3072", "rsa-4096" (case-insensitive). INVALID_ARGUMENT
// prefixed with `field` listing the accepted names otherwise.
absl::StatusOr<KeyType> ParseKeyType(absl::string_view field,
                                     absl::string_view name);

// The canonical name accepted by ParseKeyType.
std::string KeyTypeName(KeyType type);

// A private key held parsed, so that signing for it needs no PEM round trip
// (decoding a PEM key costs OpenSSL 3 hundreds of microseconds). Immutable;
// copies share the key.
class PrivateKey {
 public:
  KeyType type() const { return type_; }
  // Unencrypted PKCS#8 PEM.
  const SecretString& pem() const { return pem_; }
  // The OpenSSL EVP_PKEY, for pki's own use.
  evp_pkey_st* native() const { return key_.get(); }
  // For EC keys, the public point uncompressed (0x04 || X || Y), kept from
  // generation because OpenSSL recomputes it on every query; empty for RSA.
  const std::string& ec_public_point() const { return ec_public_point_; }

 private:
  friend absl::StatusOr<PrivateKey> GenerateKey(KeyType type);
  PrivateKey(KeyType type, std::shared_ptr<evp_pkey_st> key, SecretString pem,
             std::string ec_public_point)
      : type_(type),
        key_(std::move(key)),
        pem_(std::move(pem)),
        ec_public_point_(std::move(ec_public_point)) {}

  KeyType type_;
  std::shared_ptr<evp_pkey_st> key_;
  SecretString pem_;
  std::string ec_public_point_;
};

// A new private key. INTERNAL if OpenSSL fails.
absl::StatusOr<PrivateKey> GenerateKey(KeyType type);

// A new private key as unencrypted PKCS#8 PEM. INTERNAL if OpenSSL fails.
absl::StatusOr<SecretString> GeneratePrivateKey(KeyType type);

}  // namespace certferry::pki
