#pragma once

#include "storage/sql_statement.h"

namespace certferry::storage::queries {

// Creates or replaces a certificate's renewal policy. $3/$4 '': unset.
inline constexpr SqlStatement kUpsertRenewalPolicy{"upsert_renewal_policy",
                                                   R"sql(
INSERT INTO renewal_policies (certificate_id, enabled, lifetime_fraction,
                              days_before_expiry)
VALUES ($1::uuid, $2, NULLIF($3, '')::double precision,
        NULLIF($4, '')::integer)
ON CONFLICT (certificate_id) DO UPDATE
  SET enabled = EXCLUDED.enabled,
      lifetime_fraction = EXCLUDED.lifetime_fraction,
      days_before_expiry = EXCLUDED.days_before_expiry, updated_at = now())sql"};

// A renewal job's idempotency key is 'renew:<certificate id>:v<version>'
// (RenewalRepository): one job per version, however many schedulers scan.
//
// Enqueues a job of kind $5 (max_attempts $4) for up to $3 certificates
// whose latest version was issued by an issuer of a kind in $2, is due at
// $1 under its policy (renewal_due_at, migration 0014), has not expired and
// has no renewal job yet. Soonest expiry first. The NOT EXISTS leaves out
// versions that have their job, so a batch is never used up by them; ON
// CONFLICT settles a race with another scheduler: the second insert waits
// for the first to commit and then does nothing.
inline constexpr SqlStatement kEnqueueDueRenewals{"enqueue_due_renewals",
                                                  R"sql(
WITH due AS (
  SELECT c.id, c.latest_version, v.not_after
  FROM certificates c
  JOIN certificate_versions v
    ON v.certificate_id = c.id AND v.version = c.latest_version
  LEFT JOIN renewal_policies p ON p.certificate_id = c.id
  WHERE v.issuer_kind = ANY($2::text[])
    AND coalesce(p.enabled, true)
    AND v.not_after > $1::timestamptz
    AND renewal_due_at(v.not_before, v.not_after, p.lifetime_fraction,
                       p.days_before_expiry) <= $1::timestamptz
    AND NOT EXISTS (
      SELECT 1 FROM jobs j
      WHERE j.idempotency_key = 'renew:' || c.id::text || ':v' || c.latest_version)
  ORDER BY v.not_after, c.id
  LIMIT $3
)
INSERT INTO jobs (kind, payload, max_attempts, idempotency_key)
SELECT $5, jsonb_build_object('certificateId', id::text,
                              'version', latest_version),
       $4, 'renew:' || id::text || ':v' || latest_version
FROM due
ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
RETURNING id, payload ->> 'certificateId', (payload ->> 'version')::integer)sql"};

// Per certificate in $1 (in that order; unknown ids left out): the policy,
// the latest version's issuer, expiry and renewal time, the renewal job of
// the latest version, and the job of kind $2 that issued the latest version
// if renewal did.
inline constexpr SqlStatement kGetRenewalRecords{"get_renewal_records", R"sql(
SELECT c.id::text, c.latest_version, coalesce(v.issuer_kind, ''),
       coalesce(p.enabled, true), p.lifetime_fraction, p.days_before_expiry,
       (extract(epoch FROM v.not_after) * 1000000)::bigint,
       (extract(epoch FROM renewal_due_at(v.not_before, v.not_after,
                                          p.lifetime_fraction,
                                          p.days_before_expiry))
        * 1000000)::bigint,
       j.id, j.state, j.attempts, coalesce(j.last_error, ''),
       coalesce(j.last_error_code, 0),
       (extract(epoch FROM j.run_at) * 1000000)::bigint,
       (extract(epoch FROM j.updated_at) * 1000000)::bigint,
       r.id, (extract(epoch FROM r.finished_at) * 1000000)::bigint,
       (r.payload ->> 'version')::integer
FROM unnest($1::uuid[]) WITH ORDINALITY AS w(id, ord)
JOIN certificates c ON c.id = w.id
JOIN certificate_versions v
  ON v.certificate_id = c.id AND v.version = c.latest_version
LEFT JOIN renewal_policies p ON p.certificate_id = c.id
LEFT JOIN jobs j
  ON j.idempotency_key = 'renew:' || c.id::text || ':v' || c.latest_version
LEFT JOIN jobs r ON r.id = v.issued_by_job_id AND r.kind = $2
ORDER BY w.ord)sql"};

}  // namespace certferry::storage::queries
