#include "storage/certificate_repository.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "storage/pg_values.h"
#include "storage/private_key_repository.h"
#include "storage/queries/certificate_queries.h"

namespace certferry::storage {
namespace {

using model::Certificate;
using model::CertificateSource;

const char* SourceText(CertificateSource source) {
  return source == CertificateSource::kIssued ? "issued" : "imported";
}

// Reads a row selected with CERTFERRY_CERTIFICATE_COLUMNS.
Certificate CertificateFromRow(const pqxx::row& row) {
  Certificate c;
  c.id = row[0].as<std::string>();
  c.name = row[1].as<std::string>();
  c.domains = FromTextArray(row[2]);
  c.version_count = row[3].as<int>();
  c.create_time = FromEpochMicros(row[4]);
  c.update_time = FromEpochMicros(row[5]);
  model::CertificateVersion& v = c.version;
  v.version = row[6].as<int>();
  v.chain_pem = row[7].as<std::string>();
  v.chain_length = row[8].as<int>();
  v.serial_number = row[9].as<std::string>();
  v.sha256_fingerprint = row[10].as<std::string>();
  v.subject = row[11].as<std::string>();
  v.issuer = row[12].as<std::string>();
  v.dns_names = FromTextArray(row[13]);
  v.ip_addresses = FromTextArray(row[14]);
  v.not_before = FromEpochMicros(row[15]);
  v.not_after = FromEpochMicros(row[16]);
  v.key_type = row[17].as<std::string>();
  v.key_bits = row[18].as<int>();
  v.source = row[19].as<std::string>() == "issued"
                 ? CertificateSource::kIssued
                 : CertificateSource::kImported;
  v.create_time = FromEpochMicros(row[20]);
  return c;
}

}  // namespace

absl::StatusOr<Certificate> CertificateRepository::AddVersion(
    Transaction& tx, const NewCertificateVersion& input) {
  pqxx::transaction_base& t = tx.pqxx();
  const pqxx::row certificate = t.exec_prepared1(
      queries::kUpsertCertificateByName.name, input.certificate_name);
  const std::string id = certificate[0].as<std::string>();
  const int version = certificate[1].as<int>() + 1;

  const model::EncryptedPrivateKey& key = input.private_key;
  CF_RETURN_IF_ERROR(PrivateKeyRepository::Insert(tx, key));

  const model::CertificateVersion& v = input.version;
  t.exec_prepared0(
      queries::kInsertCertificateVersion.name, id, version, v.chain_pem,
      v.chain_length, v.serial_number, v.sha256_fingerprint, v.subject,
      v.issuer, ToTextArrayLiteral(v.dns_names),
      ToTextArrayLiteral(v.ip_addresses), ToTimestampText(v.not_before),
      ToTimestampText(v.not_after), v.key_type, v.key_bits,
      SourceText(v.source), key.id, input.issued_by_job_id, input.issuer_ca_id);
  t.exec_prepared0(queries::kSetLatestVersion.name, id, version,
                   ToTextArrayLiteral(v.dns_names),
                   ToTimestampText(v.not_after));
  return Get(tx, id, version);
}

absl::StatusOr<Certificate> CertificateRepository::Get(Transaction& tx,
                                                       const std::string& id,
                                                       int version) {
  const pqxx::result rows =
      tx.pqxx().exec_prepared(queries::kGetCertificate.name, id, version);
  if (rows.empty()) {
    if (version == 0) {
      return absl::NotFoundError(
          absl::StrCat("certificate ", id, " not found"));
    }
    return absl::NotFoundError(
        absl::StrCat("certificate ", id, " version ", version, " not found"));
  }
  return CertificateFromRow(rows[0]);
}

absl::StatusOr<std::vector<Certificate>> CertificateRepository::List(
    Transaction& tx, const CertificateListQuery& query) {
  const std::string expiring_before =
      query.expiring_before ? ToTimestampText(*query.expiring_before) : "";
  const pqxx::result rows = tx.pqxx().exec_prepared(
      queries::kListCertificates.name, query.after_name, query.domain,
      query.domain_wildcard.empty() ? query.domain : query.domain_wildcard,
      expiring_before, query.page_size);
  std::vector<Certificate> out;
  out.reserve(rows.size());
  for (const auto& row : rows) out.push_back(CertificateFromRow(row));
  return out;
}

absl::StatusOr<model::EncryptedPrivateKey> CertificateRepository::GetPrivateKey(
    Transaction& tx, const std::string& certificate_id, int version) {
  const pqxx::result rows = tx.pqxx().exec_prepared(
      queries::kGetVersionKeyId.name, certificate_id, version);
  if (rows.empty()) {
    return absl::NotFoundError(absl::StrCat(
        "certificate ", certificate_id, " version ", version, " not found"));
  }
  return PrivateKeyRepository::Get(tx, rows[0][0].as<std::string>());
}

absl::StatusOr<std::optional<Certificate>>
CertificateRepository::FindIssuedByJob(Transaction& tx, int64_t job_id) {
  const pqxx::result rows =
      tx.pqxx().exec_prepared(queries::kFindVersionByJob.name, job_id);
  if (rows.empty()) return std::nullopt;
  return Get(tx, rows[0][0].as<std::string>(), rows[0][1].as<int>());
}

}  // namespace certferry::storage
