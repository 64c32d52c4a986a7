#include "storage/private_key_repository.h"

#include <pqxx/pqxx>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "storage/queries/certificate_queries.h"

namespace certferry::storage {

absl::Status PrivateKeyRepository::Insert(
    Transaction& tx, const model::EncryptedPrivateKey& key) {
  tx.pqxx().exec_prepared0(queries::kInsertPrivateKey.name, key.id, key.kek_id,
                           absl::BytesToHexString(key.nonce),
                           absl::BytesToHexString(key.ciphertext));
  return absl::OkStatus();
}

absl::StatusOr<model::EncryptedPrivateKey> PrivateKeyRepository::Get(
    Transaction& tx, const std::string& id) {
  const pqxx::result rows =
      tx.pqxx().exec_prepared(queries::kGetPrivateKeyById.name, id);
  if (rows.empty()) {
    return absl::NotFoundError(absl::StrCat("private key ", id, " not found"));
  }
  model::EncryptedPrivateKey key;
  key.id = rows[0][0].as<std::string>();
  key.kek_id = rows[0][1].as<std::string>();
  key.nonce = absl::HexStringToBytes(rows[0][2].as<std::string>());
  key.ciphertext = absl::HexStringToBytes(rows[0][3].as<std::string>());
  return key;
}

}  // namespace certferry::storage
