#pragma once

// Records the client-chosen request_id of mutating calls so a repeated
// request returns the first result and changes nothing (DESIGN.md).

#include <optional>
#include <string>

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

  // Stores the result of the work done under a claimed request_id.
  static absl::Status Complete(Transaction& tx, const std::string& request_id,
                               const std::string& resource_id,
                               int resource_version);
};

}  // namespace certferry::storage
