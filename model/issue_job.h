#pragma once

// The payloads and results of the "issue_certificate" and
// "issue_certificates" (batch) job kinds, stored as JSON
// in the jobs table. Internal: not part of the public API; never holds
// secrets. Field names are camelCase ("keyType"), as rows written by earlier
// releases have them.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace certferry::model {

struct IssueJobPayload {
  std::string name;                // logical certificate (created if new)
  std::vector<std::string> names;  // normalised; the first becomes the CN
  std::string key_type;            // pki::KeyType name, e.g. "ecdsa-p256"
  int64_t validity_seconds = 0;
  std::string issuer_id;  // the issuing certificate authority
};

struct IssueJobResult {
  std::string certificate_id;
  int version = 0;
};

// A batch: every item is issued, or none.
struct IssueBatchJobPayload {
  std::vector<IssueJobPayload> items;
};

struct IssueBatchJobResult {
  std::vector<IssueJobResult> items;  // in payload order
};

std::string ToJson(const IssueJobPayload& payload);
std::string ToJson(const IssueJobResult& result);
std::string ToJson(const IssueBatchJobPayload& payload);
std::string ToJson(const IssueBatchJobResult& result);

// INVALID_ARGUMENT naming what is missing or malformed.
absl::StatusOr<IssueJobPayload> ParseIssueJobPayload(absl::string_view json);
absl::StatusOr<IssueJobResult> ParseIssueJobResult(absl::string_view json);
absl::StatusOr<IssueBatchJobPayload> ParseIssueBatchJobPayload(
    absl::string_view json);
absl::StatusOr<IssueBatchJobResult> ParseIssueBatchJobResult(
    absl::string_view json);

}  // namespace certferry::model
