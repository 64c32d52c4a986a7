#pragma once

// Records the client-chosen request_id of mutating calls so a repeated
// request returns the first result and changes nothing (DESIGN.md).

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "storage/transaction.h"

namespace certferry::storage {

struct RequestRecord {
  std::string method;
  std::string request_sha256;  // hex digest of the request's content
  std::string resource_id;     // set by Complete
  int resource_version = 0;
};

class RequestIdRepository {
 public:
  // Records `request_id` for this transaction. Returns std::nullopt when
  // this call recorded it first (do the work, then Complete); otherwise the
  // earlier record (a concurrent first call is waited for). Committed or
  // rolled back with the caller's transaction.
  static absl::StatusOr<std::optional<RequestRecord>> Claim(
      Transaction& tx, const std::string& request_id, const std::string& method,
      const std::string& request_sha256);

  // The record of `request_id`, or std::nullopt if it was never claimed (or
  // its claim has not committed yet).
  static absl::StatusOr<std::optional<RequestRecord>> Find(
      Transaction& tx, const std::string& request_id);

  // The records of those of `request_ids` that exist, by id.
  static absl::StatusOr<std::map<std::string, RequestRecord>> FindMany(
      Transaction& tx, const std::vector<std::string>& request_ids);

  // Records completed requests at once (no claim first: for callers that
  // checked FindMany in the same transaction). Returns how many were
  // recorded; fewer than given means a concurrent transaction recorded one
  // of the ids meanwhile, and the caller should roll back and retry.
  struct CompletedRequest {
    std::string request_id;
    std::string method;
    std::string request_sha256;
    std::string resource_id;
    int resource_version = 0;
  };
  static absl::StatusOr<int> RecordMany(
      Transaction& tx, const std::vector<CompletedRequest>& requests);

  // Stores the result of the work done under a claimed request_id.
  static absl::Status Complete(Transaction& tx, const std::string& request_id,
                               const std::string& resource_id,
                               int resource_version);
};

}  // namespace certferry::storage
