#pragma once

// An ECDSA P-256 private key used to sign JWS with ES256 (RFC 7518 §3.4),
// e.g. an ACME account key. OpenSSL only.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/secret_string.h"

// OpenSSL's EVP_PKEY, without its headers.
struct evp_pkey_st;

namespace certferry::pki {

// Immutable after Parse; copies share the key. Thread-safe: Sign() uses a
// fresh signing context per call.
class Es256Key {
 public:
  // Parses an unencrypted PEM private key (PKCS#8 or SEC1 "EC PRIVATE
  // KEY"). INVALID_ARGUMENT, prefixed with `field`, when it does not parse,
  // is encrypted or is not on P-256; the message never contains the key.
  static absl::StatusOr<Es256Key> Parse(absl::string_view field,
                                        const SecretString& pem);

  // The public point's affine coordinates, 32 big-endian bytes each (the
  // JWK "x" and "y" before base64url).
  const std::string& x() const { return x_; }
  const std::string& y() const { return y_; }

  // The ES256 signature of `data`: SHA-256, ECDSA, then r and s as 32
  // big-endian bytes each (64 bytes, not DER). INTERNAL if OpenSSL fails.
  absl::StatusOr<std::string> Sign(absl::string_view data) const;

 private:
  Es256Key(std::shared_ptr<evp_pkey_st> key, std::string x, std::string y)
      : key_(std::move(key)), x_(std::move(x)), y_(std::move(y)) {}

  std::shared_ptr<evp_pkey_st> key_;
  std::string x_;
  std::string y_;
};

}  // namespace certferry::pki
