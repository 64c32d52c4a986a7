#include "storage/revocation_repository.h"

#include <pqxx/pqxx>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "storage/certificate_repository.h"
#include "storage/pg_values.h"
#include "storage/queries/revocation_queries.h"

namespace certferry::storage {
namespace {

model::RevocationReason ReasonFromCode(int code) {
  return model::RevocationReasonFromCode(code).value_or(
      model::RevocationReason::kUnspecified);
}

// Reads a row selected with CERTFERRY_REVOCATION_COLUMNS.
model::Revocation RevocationFromRow(const pqxx::row& row) {
  model::Revocation r;
  r.certificate_id = row[0].as<std::string>();
  r.version = row[1].as<int>();
  r.serial_number = row[2].as<std::string>();
  r.issuer_ca_id = row[3].as<std::string>();
  r.reason = ReasonFromCode(row[4].as<int>());
  r.revoke_time = FromEpochMicros(row[5]);
  r.actor = row[6].as<std::string>();
  r.request_id = row[7].as<std::string>();
  return r;
}

model::CertificateRevocationList CrlFromRow(const pqxx::row& row) {
  model::CertificateRevocationList crl;
  crl.ca_id = row[0].as<std::string>();
  crl.crl_number = row[1].as<int64_t>();
  crl.this_update = FromEpochMicros(row[2]);
  crl.next_update = FromEpochMicros(row[3]);
  crl.der = absl::HexStringToBytes(row[4].as<std::string>());
  return crl;
}

}  // namespace

absl::StatusOr<std::vector<RevocationCandidate>>
RevocationRepository::Candidates(Transaction& tx,
                                 const std::string& certificate_id, int version,
                                 bool all_versions) {
  const pqxx::result rows =
      tx.pqxx().exec_prepared(queries::kRevocationCandidates.name,
                              certificate_id, version, all_versions);
  if (rows.empty()) {
    // Says which of the certificate and the version is missing.
    CF_RETURN_IF_ERROR(
        CertificateRepository::Get(tx, certificate_id, version).status());
    return absl::NotFoundError(
        absl::StrCat("certificate ", certificate_id, " has no versions"));
  }
  std::vector<RevocationCandidate> out;
  out.reserve(rows.size());
  for (const auto& row : rows) {
    RevocationCandidate& c = out.emplace_back();
    c.certificate_name = row[0].as<std::string>();
    c.version = row[1].as<int>();
    c.serial_number = row[2].as<std::string>();
    c.source = row[3].as<std::string>() == "issued"
                   ? model::CertificateSource::kIssued
                   : model::CertificateSource::kImported;
    c.issuer_ca_id = row[4].as<std::string>();
    c.issuer = row[5].as<std::string>();
    if (row[6].as<bool>()) {
      model::Revocation& r = c.revocation.emplace();
      r.certificate_id = certificate_id;
      r.version = c.version;
      r.serial_number = c.serial_number;
      r.issuer_ca_id = row[7].as<std::string>();
      r.reason = ReasonFromCode(row[8].as<int>());
      r.revoke_time = FromEpochMicros(row[9]);
      r.actor = row[10].as<std::string>();
      r.request_id = row[11].as<std::string>();
    }
  }
  return out;
}

absl::StatusOr<bool> RevocationRepository::Insert(Transaction& tx,
                                                  const model::Revocation& r) {
  const pqxx::result rows = tx.pqxx().exec_prepared(
      queries::kInsertRevocation.name, r.certificate_id, r.version,
      r.serial_number, r.issuer_ca_id, static_cast<int>(r.reason),
      ToTimestampText(r.revoke_time), r.actor, r.request_id);
  return !rows.empty();
}

absl::StatusOr<std::optional<model::Revocation>> RevocationRepository::Find(
    Transaction& tx, const std::string& certificate_id, int version) {
  const pqxx::result rows = tx.pqxx().exec_prepared(
      queries::kFindRevocation.name, certificate_id, version);
  if (rows.empty()) return std::nullopt;
  return RevocationFromRow(rows[0]);
}

absl::StatusOr<std::vector<model::Revocation>>
RevocationRepository::ListByRequestId(Transaction& tx,
                                      const std::string& request_id) {
  std::vector<model::Revocation> out;
  for (const auto& row : tx.pqxx().exec_prepared(
           queries::kRevocationsByRequestId.name, request_id)) {
    out.push_back(RevocationFromRow(row));
  }
  return out;
}

absl::StatusOr<std::vector<model::Revocation>> RevocationRepository::ListByCa(
    Transaction& tx, const std::string& ca_id) {
  std::vector<model::Revocation> out;
  for (const auto& row :
       tx.pqxx().exec_prepared(queries::kRevocationsOfCa.name, ca_id)) {
    out.push_back(RevocationFromRow(row));
  }
  return out;
}

absl::StatusOr<model::CertificateRevocationList> RevocationRepository::LockCrl(
    Transaction& tx, const std::string& ca_id) {
  const pqxx::result rows =
      tx.pqxx().exec_prepared(queries::kLockCrl.name, ca_id);
  if (rows.empty()) {
    return absl::InternalError("locking the CRL row returned nothing");
  }
  return CrlFromRow(rows[0]);
}

absl::Status RevocationRepository::StoreCrl(
    Transaction& tx, const model::CertificateRevocationList& crl) {
  const pqxx::result rows = tx.pqxx().exec_prepared(
      queries::kStoreCrl.name, crl.ca_id, crl.crl_number,
      ToTimestampText(crl.this_update), ToTimestampText(crl.next_update),
      absl::BytesToHexString(crl.der));
  if (rows.affected_rows() != 1) {
    return absl::InternalError(absl::StrCat("storing the CRL of CA ", crl.ca_id,
                                            ": no row; lock it "
                                            "with LockCrl first"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<model::CertificateRevocationList>>
RevocationRepository::GetCrl(Transaction& tx, const std::string& ca_id) {
  const pqxx::result rows =
      tx.pqxx().exec_prepared(queries::kGetCrl.name, ca_id);
  if (rows.empty()) return std::nullopt;
  return CrlFromRow(rows[0]);
}

absl::StatusOr<std::vector<std::string>> RevocationRepository::CasWithDueCrls(
    Transaction& tx, absl::Time now, absl::Time due_before) {
  std::vector<std::string> out;
  for (const auto& row : tx.pqxx().exec_prepared(queries::kCasWithDueCrls.name,
                                                 ToTimestampText(now),
                                                 ToTimestampText(due_before))) {
    out.push_back(row[0].as<std::string>());
  }
  return out;
}

}  // namespace certferry::storage
