#pragma once

#include "storage/sql_statement.h"

namespace certferry::storage::queries {

// Queues events in the outbox (parallel arrays), each stamped with the
// database clock.
inline constexpr SqlStatement kQueueAuditEvents{"queue_audit_events", R"sql(
INSERT INTO audit_outbox (actor, action, resource, request_id, outcome,
                          summary)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[],
                     $5::text[], $6::text[]))sql"};

// Locks the chain head until the end of the transaction (one sealer at a
// time) and reads it.
inline constexpr SqlStatement kLockAuditChainHead{"lock_audit_chain_head",
                                                  R"sql(
SELECT last_id, last_hash FROM audit_chain_head FOR UPDATE)sql"};

// Takes up to $1 of the oldest committed outbox entries out of the outbox.
inline constexpr SqlStatement kTakeAuditOutbox{"take_audit_outbox", R"sql(
DELETE FROM audit_outbox
WHERE id IN (SELECT id FROM audit_outbox ORDER BY id LIMIT $1)
RETURNING id, (extract(epoch FROM time) * 1000000)::bigint, actor, action,
          resource, request_id, outcome, summary)sql"};

// Inserts chained events (parallel arrays, ids and hashes computed by the
// sealer under the head lock) and moves the head to $11/$12.
inline constexpr SqlStatement kAppendAuditEvents{"append_audit_events", R"sql(
WITH input AS (
  SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[],
                       $5::text[], $6::text[], $7::text[], $8::text[],
                       $9::text[], $10::text[])
    AS x(id, time_us, actor, action, resource, request_id, outcome, summary,
         previous_hash, hash)
),
inserted AS (
  INSERT INTO audit_events (id, time, actor, action, resource, request_id,
                            outcome, summary, previous_hash, hash)
  SELECT id, 'epoch'::timestamptz + time_us * interval '1 microsecond', actor,
         action, resource, request_id, outcome, summary, previous_hash, hash
  FROM input
)
UPDATE audit_chain_head SET last_id = $11::bigint, last_hash = $12::text
RETURNING last_id)sql"};

#define CERTFERRY_AUDIT_COLUMNS                                       \
  "id, (extract(epoch FROM time) * 1000000)::bigint, actor, action, " \
  "resource, request_id, outcome, summary, previous_hash, hash "

// Newest first. Empty strings / 0 switch a filter off: $1 resource, $2
// actor, $3 ids strictly below (keyset cursor), $4 time at or after, $5
// time before (RFC 3339).
inline constexpr SqlStatement kListAuditEvents{
    "list_audit_events",
    "SELECT " CERTFERRY_AUDIT_COLUMNS
    "FROM audit_events "
    "WHERE ($1::text = '' OR resource = $1::text) "
    "AND ($2::text = '' OR actor = $2::text) "
    "AND ($3::bigint = 0 OR id < $3::bigint) "
    "AND ($4::text = '' OR time >= NULLIF($4::text, '')::timestamptz) "
    "AND ($5::text = '' OR time < NULLIF($5::text, '')::timestamptz) "
    "ORDER BY id DESC LIMIT $6::integer"};

// The chain in order, a page at a time: ids above $1 up to $2.
inline constexpr SqlStatement kScanAuditEvents{
    "scan_audit_events",
    "SELECT " CERTFERRY_AUDIT_COLUMNS
    "FROM audit_events WHERE id > $1::bigint AND id <= $2::bigint "
    "ORDER BY id LIMIT $3::integer"};

#undef CERTFERRY_AUDIT_COLUMNS

// The head as committed (no lock: verification checks the chain up to it).
inline constexpr SqlStatement kGetAuditChainHead{"get_audit_chain_head", R"sql(
SELECT last_id, last_hash FROM audit_chain_head)sql"};

}  // namespace certferry::storage::queries
