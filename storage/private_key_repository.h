#pragma once

// Sealed private keys (ciphertext only; see pki/key_envelope.h), shared by
// certificate versions and CAs. Runs in the caller's Transaction.

#include <string>

#include "absl/status/statusor.h"
#include "model/certificate.h"
#include "storage/transaction.h"

namespace certferry::storage {

class PrivateKeyRepository {
 public:
  static absl::Status Insert(Transaction& tx,
                             const model::EncryptedPrivateKey& key);
  // NOT_FOUND if no key has this id.
  static absl::StatusOr<model::EncryptedPrivateKey> Get(Transaction& tx,
                                                        const std::string& id);
};

}  // namespace certferry::storage
