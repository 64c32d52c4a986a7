#pragma once

#include "storage/sql_statement.h"

namespace certferry::storage::queries {

// A job holds a lease token only while it runs (every way out of `running`
// clears it), so statements on running jobs match on id + token alone: no
// `state = 'running'` predicate that could steer the planner onto a state
// index full of dead entries instead of the primary key.

// Inserts a job; with an idempotency key already present, inserts nothing
// and returns no row (the caller then reads the existing job).
inline constexpr SqlStatement kEnqueueJob{"enqueue_job", R"sql(
INSERT INTO jobs (kind, payload, priority, run_at, max_attempts, idempotency_key)
VALUES ($1, $2::jsonb, $3, coalesce(NULLIF($4, '')::timestamptz, now()), $5,
        NULLIF($6, ''))
ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
RETURNING id)sql"};

inline constexpr SqlStatement kFindJobByIdempotencyKey{
    "find_job_by_idempotency_key",
    "SELECT id FROM jobs WHERE idempotency_key = $1"};

// Bulk enqueue without idempotency keys: parallel arrays of kinds and
// payloads.
inline constexpr SqlStatement kEnqueueJobsBulk{"enqueue_jobs_bulk", R"sql(
INSERT INTO jobs (kind, payload, max_attempts)
SELECT k, p::jsonb, m FROM unnest($1::text[], $2::text[], $3::int[]) AS t(k, p, m)
RETURNING id, (extract(epoch FROM created_at) * 1000000)::bigint)sql"};

// Wakes idle workers of every replica once the enqueuing transaction commits.
inline constexpr SqlStatement kNotifyJobs{
    "notify_jobs", "SELECT pg_notify('certferry_jobs', '')"};

// Claims up to $2 ready jobs of the kinds in $1 for owner $3 with a lease of
// $4 milliseconds. `id = ANY(ARRAY(subquery))` runs the LIMITed subquery
// once and keeps the join on the primary key even in a generic prepared
// plan (which cannot see $2 and would otherwise hash-join the whole table).
// Run before kClaimJobs in the same transaction (see JobRepository::Claim).
inline constexpr char kClaimPlanSettings[] =
    "SET LOCAL enable_bitmapscan = off; SET LOCAL enable_sort = off";

inline constexpr SqlStatement kClaimJobs{"claim_jobs", R"sql(
UPDATE jobs j
SET state = 'running', attempts = j.attempts + 1, lease_owner = $3,
    lease_token = nextval('job_lease_tokens'),
    lease_expires_at = now() + $4::bigint * interval '1 millisecond',
    started_at = coalesce(j.started_at, now()), updated_at = now()
WHERE j.id = ANY(ARRAY(
  SELECT id FROM jobs
  WHERE state = 'queued' AND run_at <= now() AND kind = ANY($1::text[])
  ORDER BY priority DESC, run_at, id
  LIMIT $2
  FOR UPDATE SKIP LOCKED))
RETURNING j.id, j.kind, j.payload::text, j.attempts, j.max_attempts,
          j.lease_token, j.cancel_requested)sql"};

// Extends the leases of jobs ($2 ids, $3 tokens) still held by owner $1;
// returns those with a cancellation request.
inline constexpr SqlStatement kRenewLeases{"renew_leases", R"sql(
UPDATE jobs j
SET lease_expires_at = now() + $4::bigint * interval '1 millisecond'
FROM unnest($2::bigint[], $3::bigint[]) AS r(id, token)
WHERE j.id = r.id AND j.lease_token = r.token AND j.lease_owner = $1
RETURNING j.id, j.cancel_requested)sql"};

inline constexpr SqlStatement kCompleteJobsSucceeded{"complete_jobs_succeeded",
                                                     R"sql(
UPDATE jobs j
SET state = 'succeeded', result = r.result::jsonb, progress = '',
    lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL,
    finished_at = now(), updated_at = now()
FROM unnest($1::bigint[], $2::bigint[], $3::text[]) AS r(id, token, result)
WHERE j.id = r.id AND j.lease_token = r.token
RETURNING j.id, j.state, j.kind)sql"};

// Locks the jobs whose lease is still the given token, for writing their
// effects in the transaction that completes them.
inline constexpr SqlStatement kLockLeasedJobs{"lock_leased_jobs", R"sql(
SELECT j.id FROM jobs j
JOIN unnest($1::bigint[], $2::bigint[]) AS r(id, token)
  ON j.id = r.id AND j.lease_token = r.token
FOR UPDATE OF j)sql"};

// Failed attempts: retried after the given delay unless permanent,
// cancelled or out of attempts.
inline constexpr SqlStatement kCompleteJobsFailed{"complete_jobs_failed", R"sql(
WITH r AS (
  SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[],
                       $5::integer[], $6::boolean[], $7::boolean[])
    AS r(id, token, delay_ms, error, code, permanent, cancelled))
UPDATE jobs j
SET state = CASE WHEN r.cancelled THEN 'cancelled'
                 WHEN r.permanent OR j.attempts >= j.max_attempts THEN 'failed'
                 ELSE 'queued' END,
    run_at = CASE WHEN r.cancelled OR r.permanent
                       OR j.attempts >= j.max_attempts THEN j.run_at
                  ELSE now() + r.delay_ms * interval '1 millisecond' END,
    finished_at = CASE WHEN r.cancelled OR r.permanent
                            OR j.attempts >= j.max_attempts THEN now() END,
    last_error = r.error, last_error_code = r.code,
    lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL,
    updated_at = now()
FROM r
WHERE j.id = r.id AND j.lease_token = r.token
RETURNING j.id, j.state, j.kind)sql"};

// Hands jobs back untouched (graceful shutdown): the attempt is not counted.
inline constexpr SqlStatement kReleaseJobs{"release_jobs", R"sql(
UPDATE jobs j
SET state = 'queued', attempts = greatest(j.attempts - 1, 0), run_at = now(),
    lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL,
    updated_at = now()
FROM unnest($1::bigint[], $2::bigint[]) AS r(id, token)
WHERE j.id = r.id AND j.lease_token = r.token
RETURNING j.id)sql"};

// Jobs whose worker vanished: back to the queue (or failed when out of
// attempts). SKIP LOCKED lets every replica run this concurrently.
inline constexpr SqlStatement kReapExpiredLeases{"reap_expired_leases", R"sql(
UPDATE jobs j
SET state = CASE WHEN j.cancel_requested THEN 'cancelled'
                 WHEN j.attempts >= j.max_attempts THEN 'failed'
                 ELSE 'queued' END,
    finished_at = CASE WHEN j.cancel_requested
                            OR j.attempts >= j.max_attempts THEN now() END,
    run_at = now(),
    last_error = 'worker lease expired (worker crashed or was killed)',
    last_error_code = 14,
    lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL,
    updated_at = now()
WHERE j.id = ANY(ARRAY(
  SELECT id FROM jobs WHERE state = 'running' AND lease_expires_at < now()
  ORDER BY lease_expires_at LIMIT $1 FOR UPDATE SKIP LOCKED))
RETURNING j.id, j.state, j.kind)sql"};

// Queued jobs are cancelled at once; running ones are asked to stop.
inline constexpr SqlStatement kCancelJob{"cancel_job", R"sql(
UPDATE jobs
SET state = CASE WHEN state = 'queued' THEN 'cancelled' ELSE state END,
    finished_at = CASE WHEN state = 'queued' THEN now() ELSE finished_at END,
    cancel_requested = CASE WHEN state IN ('queued', 'running') THEN true
                            ELSE cancel_requested END,
    updated_at = now()
WHERE id = $1
RETURNING id)sql"};

inline constexpr SqlStatement kSetJobProgress{"set_job_progress", R"sql(
UPDATE jobs SET progress = $3, updated_at = now()
WHERE id = $1 AND lease_token = $2)sql"};

inline constexpr SqlStatement kCountJobsByState{
    "count_jobs_by_state",
    "SELECT state, count(*) FROM jobs WHERE ($1::text = '' OR kind = $1::text) "
    "GROUP BY state"};

#define CERTFERRY_JOB_COLUMNS                                                \
  "id, kind, payload::text, state, priority, "                               \
  "(extract(epoch FROM run_at) * 1000000)::bigint, attempts, max_attempts, " \
  "coalesce(lease_owner, ''), cancel_requested, progress, "                  \
  "coalesce(last_error, ''), coalesce(last_error_code, 0), "                 \
  "coalesce(result::text, ''), coalesce(idempotency_key, ''), "              \
  "(extract(epoch FROM created_at) * 1000000)::bigint, "                     \
  "(extract(epoch FROM updated_at) * 1000000)::bigint, "                     \
  "(extract(epoch FROM started_at) * 1000000)::bigint, "                     \
  "(extract(epoch FROM finished_at) * 1000000)::bigint "

inline constexpr SqlStatement kGetJob{
    "get_job", "SELECT " CERTFERRY_JOB_COLUMNS "FROM jobs WHERE id = $1"};

// In the order of $1.
inline constexpr SqlStatement kGetJobs{
    "get_jobs", "SELECT " CERTFERRY_JOB_COLUMNS
                "FROM unnest($1::bigint[]) WITH ORDINALITY AS w(id, ord) "
                "JOIN jobs USING (id) ORDER BY w.ord"};

// Newest first; keyset on id. Empty filters are off; $1 = 0: from the top.
inline constexpr SqlStatement kListJobs{
    "list_jobs", "SELECT " CERTFERRY_JOB_COLUMNS
                 "FROM jobs WHERE ($1::bigint = 0 OR id < $1::bigint) "
                 "AND ($2::text = '' OR state = $2::text) "
                 "AND ($3::text = '' OR kind = $3::text) "
                 "ORDER BY id DESC LIMIT $4::integer"};

#undef CERTFERRY_JOB_COLUMNS

}  // namespace certferry::storage::queries
