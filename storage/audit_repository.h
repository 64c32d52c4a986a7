#pragma once

// The append-only, hash-chained audit log. Each event stores the SHA-256 of
// the previous event and of its own canonical content, so any changed,
// removed or reordered row breaks the chain at that row. Appends take the
// chain head's row lock for the rest of the transaction, so events are
// chained in commit order; append in the transaction whose change the event
// records, so both commit or neither. Stateless and thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "storage/transaction.h"

namespace certferry::storage {

struct NewAuditEvent {
  std::string actor;       // who: an identity, "system", or "internal"
  std::string action;      // e.g. "DeployCertificate", "job.succeeded"
  std::string resource;    // e.g. "targets/web-1", "operations/42"
  std::string request_id;  // the call's request_id, if any
  std::string outcome;     // "ok", or the status code name, e.g. "NOT_FOUND"
  std::string summary;     // short, never secret
};

struct AuditEvent {
  int64_t id = 0;
  absl::Time time;
  NewAuditEvent event;
  std::string previous_hash;  // hex; the first event's is 64 zeros
  std::string hash;           // hex SHA-256 over previous_hash and content
};

struct AuditQuery {
  std::string resource;  // exact; empty: any
  std::string actor;     // exact; empty: any
  std::optional<absl::Time> since, until;
  int64_t before_id = 0;  // keyset cursor (newest first); 0: from the newest
  int page_size = 50;
};

struct AuditVerification {
  bool intact = true;
  int64_t events_checked = 0;
  int64_t first_broken_id = 0;  // 0 when intact
  std::string problem;          // what is wrong at first_broken_id
};

class AuditRepository {
 public:
  // Appends `events` in order, chained after the current head.
  static absl::Status Append(Transaction& tx,
                             const std::vector<NewAuditEvent>& events);
  // Newest first.
  static absl::StatusOr<std::vector<AuditEvent>> List(Transaction& tx,
                                                      const AuditQuery& query);
  // Walks the whole chain in order, a page at a time.
  static absl::StatusOr<AuditVerification> Verify(Transaction& tx);
};

}  // namespace certferry::storage
