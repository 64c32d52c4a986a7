#pragma once

// The append-only, hash-chained audit log. Each event stores the SHA-256 of
// the previous event and of its own canonical content, so any changed,
// removed or reordered row breaks the chain at that row.
//
// Append queues events in an outbox, without a lock, in the transaction
// whose change they record, so both commit or neither and audited
// transactions still commit concurrently. Seal (one sealer at a time, under
// the chain head's row lock) moves committed entries into the chain in
// queue order; a background AuditSealer seals continuously, and List and
// Verify seal first, so callers read their own writes. Stateless and
// thread-safe.
//
// Ids are gapless (assigned by the sealer, 1, 2, ...) and each event's time
// is the database clock when it was queued; both are covered by the hash: hash
// = hex SHA-256 of "certferry.audit.v1\n" followed by
// `<decimal length>:<bytes>\n` for previous_hash, id, time (microseconds
// since the Unix epoch), actor, action, resource, request_id, outcome and
// summary.

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
  // Queues `events` in order, in one round trip, taking no lock. An empty
  // list does nothing.
  static absl::Status Append(Transaction& tx,
                             const std::vector<NewAuditEvent>& events);
  // Chains up to `limit` of the oldest queued events after the head; holds
  // the head's lock until `tx` ends. Returns how many.
  static absl::StatusOr<int> Seal(Transaction& tx, int limit);
  // Seals until nothing committed is left queued.
  static absl::Status SealAll(Transaction& tx);
  // Seals, then up to query.page_size events matching the filters (since
  // inclusive, until exclusive), newest (highest id) first, below
  // query.before_id.
  static absl::StatusOr<std::vector<AuditEvent>> List(Transaction& tx,
                                                      const AuditQuery& query);
  // Seals, then walks the chain in id order up to the head, a page at a
  // time, recomputing every hash. Reports the first event that is changed,
  // missing (at the event after the gap) or unlinked, and removal of the
  // newest events (at the first missing id).
  static absl::StatusOr<AuditVerification> Verify(Transaction& tx);

  // The previous_hash of the first event: 64 zeros.
  static const std::string& GenesisHash();
  // The hash an event with these values must carry (see above).
  static std::string ComputeHash(const std::string& previous_hash, int64_t id,
                                 absl::Time time, const NewAuditEvent& event);
};

}  // namespace certferry::storage
