#include "storage/request_id_repository.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "storage/pg_values.h"
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

absl::StatusOr<std::map<std::string, RequestRecord>>
RequestIdRepository::FindMany(Transaction& tx,
                              const std::vector<std::string>& request_ids) {
  std::map<std::string, RequestRecord> found;
  if (request_ids.empty()) return found;
  const pqxx::result rows = tx.pqxx().exec_prepared(
      queries::kFindRequestIds.name, ToTextArrayLiteral(request_ids));
  for (const auto& row : rows) {
    RequestRecord& record = found[row[0].as<std::string>()];
    record.method = row[1].as<std::string>();
    record.request_sha256 = row[2].as<std::string>();
    record.resource_id = row[3].as<std::string>();
    record.resource_version = row[4].as<int>();
  }
  return found;
}

absl::StatusOr<int> RequestIdRepository::RecordMany(
    Transaction& tx, const std::vector<CompletedRequest>& requests) {
  if (requests.empty()) return 0;
  std::vector<std::string> ids, methods, digests, resources, versions;
  for (const CompletedRequest& r : requests) {
    ids.push_back(r.request_id);
    methods.push_back(r.method);
    digests.push_back(r.request_sha256);
    resources.push_back(r.resource_id);
    versions.push_back(absl::StrCat(r.resource_version));
  }
  return static_cast<int>(
      tx.pqxx()
          .exec_prepared(
              queries::kRecordRequestIds.name, ToTextArrayLiteral(ids),
              ToTextArrayLiteral(methods), ToTextArrayLiteral(digests),
              ToTextArrayLiteral(resources), ToTextArrayLiteral(versions))
          .size());
}

}  // namespace certferry::storage
