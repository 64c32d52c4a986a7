#include "storage/certificate_repository.h"

#include <algorithm>
#include <map>
#include <pqxx/pqxx>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "storage/pg_values.h"
#include "storage/private_key_repository.h"
#include "storage/queries/certificate_queries.h"

namespace certferry::storage {
namespace {

using model::Certificate;
using model::CertificateSource;

constexpr size_t kMaxVersionsPerStatement = 256;

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
  CF_ASSIGN_OR_RETURN(std::vector<StoredVersionRef> stored,
                      AddVersions(tx, {&input}));
  return Get(tx, stored.front().certificate_id, stored.front().version);
}

absl::StatusOr<std::vector<StoredVersionRef>>
CertificateRepository::AddVersions(
    Transaction& tx, const std::vector<const NewCertificateVersion*>& inputs) {
  std::vector<StoredVersionRef> stored(inputs.size());
  // Round r takes each name's r-th occurrence: one upsert may touch a row
  // only once per statement.
  std::map<std::string, int> occurrences;
  std::vector<std::vector<size_t>> rounds;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const size_t round =
        static_cast<size_t>(occurrences[inputs[i]->certificate_name]++);
    if (rounds.size() <= round) rounds.resize(round + 1);
    rounds[round].push_back(i);
  }
  // At most kMaxVersionsPerStatement rows per statement: past a few hundred
  // the parameters (a chain each) and the CTEs' tuplestores outgrow
  // work_mem, and the cost per row rises (bench/run_issuance_bench).
  std::vector<std::vector<size_t>> statements;
  for (const std::vector<size_t>& round : rounds) {
    for (size_t first = 0; first < round.size();
         first += kMaxVersionsPerStatement) {
      const size_t last =
          std::min(round.size(), first + kMaxVersionsPerStatement);
      statements.emplace_back(round.begin() + first, round.begin() + last);
    }
  }
  for (const std::vector<size_t>& round : statements) {
    std::vector<std::string> ord, name, key_id, kek_id, nonce, ciphertext,
        chain_pem, chain_length, serial, fingerprint, subject, dns_names,
        ip_addresses, not_before, not_after, key_type, key_bits, source, job_id,
        issuer_ca_id, issuer, job_item, issuer_kind, issue_params;
    for (size_t i : round) {
      const NewCertificateVersion& in = *inputs[i];
      const model::CertificateVersion& v = in.version;
      ord.push_back(absl::StrCat(i));
      name.push_back(in.certificate_name);
      key_id.push_back(in.private_key.id);
      kek_id.push_back(in.private_key.kek_id);
      nonce.push_back(absl::BytesToHexString(in.private_key.nonce));
      ciphertext.push_back(absl::BytesToHexString(in.private_key.ciphertext));
      chain_pem.push_back(v.chain_pem);
      chain_length.push_back(absl::StrCat(v.chain_length));
      serial.push_back(v.serial_number);
      fingerprint.push_back(v.sha256_fingerprint);
      subject.push_back(v.subject);
      dns_names.push_back(ToTextArrayLiteral(v.dns_names));
      ip_addresses.push_back(ToTextArrayLiteral(v.ip_addresses));
      not_before.push_back(ToTimestampText(v.not_before));
      not_after.push_back(ToTimestampText(v.not_after));
      key_type.push_back(v.key_type);
      key_bits.push_back(absl::StrCat(v.key_bits));
      source.push_back(SourceText(v.source));
      job_id.push_back(absl::StrCat(in.issued_by_job_id));
      issuer_ca_id.push_back(in.issuer_ca_id);
      issuer.push_back(v.issuer);
      job_item.push_back(absl::StrCat(in.issued_by_job_item));
      issuer_kind.push_back(in.issuance.issuer_kind);
      issue_params.push_back(
          in.issuance.issuer_kind.empty() ? "" : in.issuance.params_json);
    }
    const pqxx::result rows = tx.pqxx().exec_prepared(
        queries::kAddVersionsBulk.name, ToTextArrayLiteral(ord),
        ToTextArrayLiteral(name), ToTextArrayLiteral(key_id),
        ToTextArrayLiteral(kek_id), ToTextArrayLiteral(nonce),
        ToTextArrayLiteral(ciphertext), ToTextArrayLiteral(chain_pem),
        ToTextArrayLiteral(chain_length), ToTextArrayLiteral(serial),
        ToTextArrayLiteral(fingerprint), ToTextArrayLiteral(subject),
        ToTextArrayLiteral(dns_names), ToTextArrayLiteral(ip_addresses),
        ToTextArrayLiteral(not_before), ToTextArrayLiteral(not_after),
        ToTextArrayLiteral(key_type), ToTextArrayLiteral(key_bits),
        ToTextArrayLiteral(source), ToTextArrayLiteral(job_id),
        ToTextArrayLiteral(issuer_ca_id), ToTextArrayLiteral(issuer),
        ToTextArrayLiteral(job_item), ToTextArrayLiteral(issuer_kind),
        ToTextArrayLiteral(issue_params));
    if (rows.size() != round.size()) {
      return absl::InternalError("storing versions: row count mismatch");
    }
    for (const auto& row : rows) {
      StoredVersionRef& ref = stored[row[0].as<size_t>()];
      ref.certificate_id = row[1].as<std::string>();
      ref.version = row[2].as<int>();
    }
  }
  return stored;
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
  const std::string& wildcard =
      query.domain_wildcard.empty() ? query.domain : query.domain_wildcard;
  const pqxx::result rows =
      query.by_expiry
          ? tx.pqxx().exec_prepared(
                queries::kListCertificatesByExpiry.name, query.after_name,
                query.domain, wildcard, expiring_before, query.page_size,
                query.after_not_after ? ToTimestampText(*query.after_not_after)
                                      : "")
          : tx.pqxx().exec_prepared(queries::kListCertificates.name,
                                    query.after_name, query.domain, wildcard,
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

absl::StatusOr<std::optional<model::IssuanceRecord>>
CertificateRepository::GetIssuance(Transaction& tx,
                                   const std::string& certificate_id,
                                   int version) {
  const pqxx::result rows = tx.pqxx().exec_prepared(queries::kGetIssuance.name,
                                                    certificate_id, version);
  if (rows.empty()) {
    return absl::NotFoundError(absl::StrCat(
        "certificate ", certificate_id, " version ", version, " not found"));
  }
  model::IssuanceRecord record;
  record.issuer_kind = rows[0][0].as<std::string>();
  if (record.issuer_kind.empty()) return std::nullopt;
  record.params_json = rows[0][1].as<std::string>();
  return record;
}

absl::StatusOr<int> CertificateRepository::LockLatestVersion(
    Transaction& tx, const std::string& certificate_id) {
  const pqxx::result rows =
      tx.pqxx().exec_prepared(queries::kLockLatestVersion.name, certificate_id);
  if (rows.empty()) {
    return absl::NotFoundError(
        absl::StrCat("certificate ", certificate_id, " not found"));
  }
  return rows[0][0].as<int>();
}

absl::StatusOr<std::optional<Certificate>>
CertificateRepository::FindIssuedByJob(Transaction& tx, int64_t job_id) {
  const pqxx::result rows =
      tx.pqxx().exec_prepared(queries::kFindVersionByJob.name, job_id);
  if (rows.empty()) return std::nullopt;
  return Get(tx, rows[0][0].as<std::string>(), rows[0][1].as<int>());
}

}  // namespace certferry::storage
