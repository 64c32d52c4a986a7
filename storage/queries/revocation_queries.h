#pragma once

#include "storage/sql_statement.h"

namespace certferry::storage::queries {

// The versions a revocation of certificate $1 covers: version $2 (0: the
// latest) or, when $3, every version; with their revocation, if any.
inline constexpr SqlStatement kRevocationCandidates{"revocation_candidates",
                                                    R"sql(
SELECT c.name, v.version, v.serial_number, v.source,
       coalesce(v.issuer_ca_id::text, ''), v.issuer, r.version IS NOT NULL,
       coalesce(r.issuer_ca_id::text, ''), coalesce(r.reason_code, 0),
       coalesce((extract(epoch FROM r.revoked_at) * 1000000)::bigint, 0),
       coalesce(r.actor, ''), coalesce(r.request_id, '')
FROM certificates c
JOIN certificate_versions v ON v.certificate_id = c.id
LEFT JOIN revocations r
  ON r.certificate_id = v.certificate_id AND r.version = v.version
WHERE c.id = $1::uuid
  AND ($3::boolean OR v.version = CASE WHEN $2::integer = 0
                                       THEN c.latest_version
                                       ELSE $2::integer END)
ORDER BY v.version)sql"};

// A concurrent revocation of the same version makes this one wait for it
// and then insert nothing (no row returned).
inline constexpr SqlStatement kInsertRevocation{"insert_revocation", R"sql(
INSERT INTO revocations (certificate_id, version, serial_number, issuer_ca_id,
                         reason_code, revoked_at, actor, request_id)
VALUES ($1::uuid, $2, $3, $4::uuid, $5, $6::timestamptz, $7, $8)
ON CONFLICT (certificate_id, version) DO NOTHING
RETURNING version)sql"};

#define CERTFERRY_REVOCATION_COLUMNS                                   \
  "certificate_id::text, version, serial_number, issuer_ca_id::text, " \
  "reason_code, (extract(epoch FROM revoked_at) * 1000000)::bigint, "  \
  "actor, request_id "

inline constexpr SqlStatement kFindRevocation{
    "find_revocation",
    "SELECT " CERTFERRY_REVOCATION_COLUMNS
    "FROM revocations WHERE certificate_id = $1::uuid AND version = $2"};

inline constexpr SqlStatement kRevocationsByRequestId{
    "revocations_by_request_id",
    "SELECT " CERTFERRY_REVOCATION_COLUMNS
    "FROM revocations WHERE request_id = $1 AND request_id <> '' "
    "ORDER BY certificate_id, version"};

// What CA $1's CRL lists, oldest revocation first.
inline constexpr SqlStatement kRevocationsOfCa{
    "revocations_of_ca", "SELECT " CERTFERRY_REVOCATION_COLUMNS
                         "FROM revocations WHERE issuer_ca_id = $1::uuid "
                         "ORDER BY revoked_at, serial_number"};

#undef CERTFERRY_REVOCATION_COLUMNS

// Locks CA $1's CRL row, creating an empty one (number 0, no DER) first if
// it has none, and returns it. The no-op update is what takes the lock in
// one statement whether the row is new or not.
inline constexpr SqlStatement kLockCrl{"lock_crl", R"sql(
INSERT INTO certificate_revocation_lists AS l (ca_id) VALUES ($1::uuid)
ON CONFLICT (ca_id) DO UPDATE SET ca_id = l.ca_id
RETURNING l.ca_id::text, l.crl_number,
  coalesce((extract(epoch FROM l.this_update) * 1000000)::bigint, 0),
  coalesce((extract(epoch FROM l.next_update) * 1000000)::bigint, 0),
  coalesce(encode(l.der, 'hex'), ''))sql"};

inline constexpr SqlStatement kStoreCrl{"store_crl", R"sql(
UPDATE certificate_revocation_lists
SET crl_number = $2, this_update = $3::timestamptz,
    next_update = $4::timestamptz, der = decode($5, 'hex'), updated_at = now()
WHERE ca_id = $1::uuid)sql"};

inline constexpr SqlStatement kGetCrl{"get_crl", R"sql(
SELECT ca_id::text, crl_number,
       (extract(epoch FROM this_update) * 1000000)::bigint,
       (extract(epoch FROM next_update) * 1000000)::bigint,
       encode(der, 'hex')
FROM certificate_revocation_lists WHERE ca_id = $1::uuid AND der IS NOT NULL)sql"};

// CAs still valid at $1 whose CRL is missing or whose nextUpdate is before
// $2 (due for regeneration).
inline constexpr SqlStatement kCasWithDueCrls{"cas_with_due_crls", R"sql(
SELECT a.id::text
FROM certificate_authorities a
LEFT JOIN certificate_revocation_lists l ON l.ca_id = a.id
WHERE a.not_after > $1::timestamptz
  AND (l.der IS NULL OR l.next_update < $2::timestamptz)
ORDER BY a.id)sql"};

}  // namespace certferry::storage::queries
