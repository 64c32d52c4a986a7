#pragma once

// Private key generation for issuance. OpenSSL only; thread-safe.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/secret_string.h"

namespace certferry::pki {

enum class KeyType { kEcdsaP256, kEcdsaP384, kRsa2048, kRsa3072, kRsa4096 };

// Parses the names the API and CLI use: "ecdsa-p256", "ecdsa-p384",
// "rsa-2048", "rsa-3072", "rsa-4096" (case-insensitive). INVALID_ARGUMENT
// prefixed with `field` listing the accepted names otherwise.
absl::StatusOr<KeyType> ParseKeyType(absl::string_view field,
                                     absl::string_view name);

// The canonical name accepted by ParseKeyType.
std::string KeyTypeName(KeyType type);

// A new private key as unencrypted PKCS#8 PEM. INTERNAL if OpenSSL fails.
absl::StatusOr<SecretString> GeneratePrivateKey(KeyType type);

}  // namespace certferry::pki
