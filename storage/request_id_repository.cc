#include "storage/request_id_repository.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "storage/queries/request_id_queries.h"

namespace certferry::storage {

absl::StatusOr<std::optional<RequestRecord>> RequestIdRepository::Claim(
    Transaction& tx, const std::string& request_id, const std::string& method,
    const std::string& request_sha256) {
  pqxx::transaction_base& t = tx.pqxx();
  if (!t.exec_prepared(queries::kClaimRequestId.name, request_id, method,
                       request_sha256)
           .empty()) {
    return std::nullopt;
  }
  CF_ASSIGN_OR_RETURN(std::optional<RequestRecord> earlier,
                      Find(tx, request_id));
  if (!earlier) {
    // Only possible if the conflicting row vanished in between.
    return absl::AbortedError(absl::StrCat("request_id ", request_id,
                                           ": changed concurrently; retry"));
  }
  return earlier;
}

absl::StatusOr<std::optional<RequestRecord>> RequestIdRepository::Find(
    Transaction& tx, const std::string& request_id) {
  const pqxx::result rows =
      tx.pqxx().exec_prepared(queries::kGetRequestId.name, request_id);
  if (rows.empty()) return std::nullopt;
  RequestRecord record;
  record.method = rows[0][0].as<std::string>();
  record.request_sha256 = rows[0][1].as<std::string>();
  record.resource_id = rows[0][2].as<std::string>();
  record.resource_version = rows[0][3].as<int>();
  return record;
}

absl::Status RequestIdRepository::Complete(Transaction& tx,
                                           const std::string& request_id,
                                           const std::string& resource_id,
                                           int resource_version) {
  tx.pqxx().exec_prepared0(queries::kCompleteRequestId.name, request_id,
                           resource_id, resource_version);
  return absl::OkStatus();
}

}  // namespace certferry::storage
