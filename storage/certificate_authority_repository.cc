#include "storage/certificate_authority_repository.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "storage/pg_values.h"
#include "storage/private_key_repository.h"
#include "storage/queries/certificate_authority_queries.h"

namespace certferry::storage {
namespace {

model::CertificateAuthority FromRow(const pqxx::row& row) {
  model::CertificateAuthority ca;
  ca.id = row[0].as<std::string>();
  ca.name = row[1].as<std::string>();
  ca.parent_id = row[2].as<std::string>();
  ca.chain_pem = row[3].as<std::string>();
  ca.subject = row[4].as<std::string>();
  ca.sha256_fingerprint = row[5].as<std::string>();
  ca.key_type = row[6].as<std::string>();
  ca.not_before = FromEpochMicros(row[7]);
  ca.not_after = FromEpochMicros(row[8]);
  ca.private_key_id = row[9].as<std::string>();
  ca.is_default = row[10].as<bool>();
  ca.create_time = FromEpochMicros(row[11]);
  return ca;
}

}  // namespace

absl::StatusOr<model::CertificateAuthority>
CertificateAuthorityRepository::Create(Transaction& tx,
                                       const model::CertificateAuthority& ca,
                                       const model::EncryptedPrivateKey& key) {
  CF_RETURN_IF_ERROR(PrivateKeyRepository::Insert(tx, key));
  const pqxx::result rows = tx.pqxx().exec_prepared(
      queries::kInsertCertificateAuthority.name, ca.name, ca.parent_id,
      ca.chain_pem, ca.subject, ca.sha256_fingerprint, ca.key_type,
      ToTimestampText(ca.not_before), ToTimestampText(ca.not_after), key.id);
  if (rows.empty()) {
    return absl::AlreadyExistsError(
        absl::StrCat("name: a certificate authority named '", ca.name,
                     "' exists already; choose another name"));
  }
  return Get(tx, rows[0][0].as<std::string>());
}

absl::Status CertificateAuthorityRepository::SetDefault(Transaction& tx,
                                                        const std::string& id) {
  tx.pqxx().exec_prepared0(queries::kClearDefaultCertificateAuthority.name);
  tx.pqxx().exec_prepared0(queries::kSetDefaultCertificateAuthority.name, id);
  return absl::OkStatus();
}

absl::StatusOr<model::CertificateAuthority> CertificateAuthorityRepository::Get(
    Transaction& tx, const std::string& id_or_name) {
  const pqxx::result rows = tx.pqxx().exec_prepared(
      queries::kGetCertificateAuthority.name, id_or_name);
  if (rows.empty()) {
    return absl::NotFoundError(
        absl::StrCat("certificate authority '", id_or_name,
                     "' not found; list them with ListCertificateAuthorities"));
  }
  return FromRow(rows[0]);
}

absl::StatusOr<std::optional<model::CertificateAuthority>>
CertificateAuthorityRepository::GetDefault(Transaction& tx) {
  const pqxx::result rows =
      tx.pqxx().exec_prepared(queries::kGetDefaultCertificateAuthority.name);
  if (rows.empty()) return std::nullopt;
  return FromRow(rows[0]);
}

absl::StatusOr<std::vector<model::CertificateAuthority>>
CertificateAuthorityRepository::List(Transaction& tx) {
  std::vector<model::CertificateAuthority> out;
  for (const auto& row :
       tx.pqxx().exec_prepared(queries::kListCertificateAuthorities.name)) {
    out.push_back(FromRow(row));
  }
  return out;
}

absl::StatusOr<model::EncryptedPrivateKey>
CertificateAuthorityRepository::GetPrivateKey(
    Transaction& tx, const std::string& private_key_id) {
  return PrivateKeyRepository::Get(tx, private_key_id);
}

}  // namespace certferry::storage
