#pragma once

// Stores the built-in CAs. Runs in the caller's Transaction; stateless and
// thread-safe.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "model/certificate.h"
#include "model/certificate_authority.h"
#include "storage/transaction.h"

namespace certferry::storage {

class CertificateAuthorityRepository {
 public:
  // Stores the CA and its sealed key (ca.private_key_id must equal
  // key.id). ALREADY_EXISTS if the name is taken. Returns the stored CA.
  static absl::StatusOr<model::CertificateAuthority> Create(
      Transaction& tx, const model::CertificateAuthority& ca,
      const model::EncryptedPrivateKey& key);

  // Makes `id` the default issuer (and no other CA).
  static absl::Status SetDefault(Transaction& tx, const std::string& id);

  // By id or name. NOT_FOUND if neither matches.
  static absl::StatusOr<model::CertificateAuthority> Get(
      Transaction& tx, const std::string& id_or_name);

  // std::nullopt when no CA is the default.
  static absl::StatusOr<std::optional<model::CertificateAuthority>> GetDefault(
      Transaction& tx);

  static absl::StatusOr<std::vector<model::CertificateAuthority>> List(
      Transaction& tx);

  // The sealed private key of a CA.
  static absl::StatusOr<model::EncryptedPrivateKey> GetPrivateKey(
      Transaction& tx, const std::string& private_key_id);
};

}  // namespace certferry::storage
