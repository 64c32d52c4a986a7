#pragma once

// Plain value types for the certificate inventory, shared by storage/ and
// service/. No I/O, no secrets: private keys live in EncryptedPrivateKey only
// as ciphertext.

#include <string>
#include <vector>

#include "absl/time/time.h"

namespace certferry::model {

enum class CertificateSource { kImported, kIssued };

// One immutable version of a logical certificate.
struct CertificateVersion {
  int version = 0;
  std::string chain_pem;
  int chain_length = 0;
  std::string serial_number;
  std::string sha256_fingerprint;
  std::string subject;
  std::string issuer;
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;
  absl::Time not_before;
  absl::Time not_after;
  std::string key_type;
  int key_bits = 0;
  CertificateSource source = CertificateSource::kImported;
  absl::Time create_time;
};

// A logical certificate with one of its versions (normally the latest).
struct Certificate {
  std::string id;
  std::string name;
  std::vector<std::string> domains;
  int version_count = 0;
  absl::Time create_time;
  absl::Time update_time;
  CertificateVersion version;
};

// A private key sealed under a key-encryption key (see pki/key_envelope.h).
struct EncryptedPrivateKey {
  std::string id;  // UUID; also the associated data of the seal
  std::string kek_id;
  std::string nonce;       // raw bytes
  std::string ciphertext;  // raw bytes, GCM tag at the end
};

}  // namespace certferry::model
