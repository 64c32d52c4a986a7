#pragma once

#include "storage/sql_statement.h"

namespace certferry::storage::queries {

#define CERTFERRY_NOTIFICATION_COLUMNS                           \
  "n.id, n.event, n.subject, n.threshold_days, n.occurrence, "   \
  "coalesce(n.certificate_id::text, ''), n.certificate_name, "   \
  "n.certificate_version, "                                      \
  "(extract(epoch FROM n.not_after) * 1000000)::bigint, "        \
  "coalesce(n.certificate_authority_id::text, ''), "             \
  "n.certificate_authority_name, coalesce(n.deployment_id, 0), " \
  "n.deployment_kind, n.deployment_target, n.auto_rolled_back, " \
  "n.rolled_back_by, n.error, "                                  \
  "(extract(epoch FROM n.created_at) * 1000000)::bigint "

// Records a notice unless the ledger has it; returns it only when this
// statement inserted it (a concurrent insert of the same notice waits for
// the first to commit, then inserts nothing). The certificate's name and
// the version's notAfter are filled in when not given.
inline constexpr SqlStatement kRecordNotification{
    "record_notification",
    "INSERT INTO notifications AS n ("
    R"sql(
  event, subject, threshold_days, occurrence, certificate_id,
  certificate_name, certificate_version, not_after, certificate_authority_id,
  certificate_authority_name, deployment_id, deployment_kind,
  deployment_target, auto_rolled_back, rolled_back_by, error)
VALUES ($1, $2, $3, $4, NULLIF($5, '')::uuid,
        coalesce(NULLIF($6, ''), (SELECT c.name FROM certificates c
                                  WHERE c.id = NULLIF($5, '')::uuid), ''),
        $7,
        coalesce(NULLIF($8, '')::timestamptz,
                 (SELECT v.not_after FROM certificate_versions v
                  WHERE v.certificate_id = NULLIF($5, '')::uuid
                    AND v.version = $7)),
        NULLIF($9, '')::uuid, $10, NULLIF($11::bigint, 0), $12, $13, $14, $15,
        $16)
ON CONFLICT ON CONSTRAINT notifications_once DO NOTHING
RETURNING )sql" CERTFERRY_NOTIFICATION_COLUMNS};

// The expiry scan: for every threshold in $1 (days) that the latest version
// of a certificate has reached at $2 (now) and that is not in the ledger
// yet, records the notice; at most $3 of them, soonest expiry first.
// Expired certificates get none. Replicas scanning at once insert each
// notice once: the NOT EXISTS skips what is committed, ON CONFLICT what a
// concurrent scan inserts meanwhile (in the same order, so they never
// deadlock).
inline constexpr SqlStatement kRecordDueCertificateExpiries{
    "record_due_certificate_expiries",
    "INSERT INTO notifications AS n ("
    R"sql(
  event, subject, threshold_days, occurrence, certificate_id,
  certificate_name, certificate_version, not_after)
SELECT 'certificate.expiring', 'certificates/' || c.id::text, t.days,
       'version ' || c.latest_version, c.id, c.name, c.latest_version,
       c.not_after
FROM unnest($1::integer[]) AS t(days)
JOIN certificates c
  ON c.not_after > $2::timestamptz
 AND c.not_after <= $2::timestamptz + t.days * interval '1 day'
WHERE NOT EXISTS (
  SELECT 1 FROM notifications p
  WHERE p.subject = 'certificates/' || c.id::text
    AND p.event = 'certificate.expiring' AND p.threshold_days = t.days
    AND p.occurrence = 'version ' || c.latest_version)
ORDER BY c.not_after, c.id, t.days DESC
LIMIT $3
ON CONFLICT ON CONSTRAINT notifications_once DO NOTHING
RETURNING )sql" CERTFERRY_NOTIFICATION_COLUMNS};

// The same for the built-in CAs' certificates.
inline constexpr SqlStatement kRecordDueAuthorityExpiries{
    "record_due_authority_expiries",
    "INSERT INTO notifications AS n ("
    R"sql(
  event, subject, threshold_days, certificate_authority_id,
  certificate_authority_name, not_after)
SELECT 'certificate_authority.expiring',
       'certificate_authorities/' || a.id::text, t.days, a.id, a.name,
       a.not_after
FROM unnest($1::integer[]) AS t(days)
JOIN certificate_authorities a
  ON a.not_after > $2::timestamptz
 AND a.not_after <= $2::timestamptz + t.days * interval '1 day'
WHERE NOT EXISTS (
  SELECT 1 FROM notifications p
  WHERE p.subject = 'certificate_authorities/' || a.id::text
    AND p.event = 'certificate_authority.expiring'
    AND p.threshold_days = t.days AND p.occurrence = '')
ORDER BY a.not_after, a.id, t.days DESC
LIMIT $3
ON CONFLICT ON CONSTRAINT notifications_once DO NOTHING
RETURNING )sql" CERTFERRY_NOTIFICATION_COLUMNS};

#define CERTFERRY_WEBHOOK_ENDPOINT_COLUMNS       \
  "e.id::text, e.url, e.description, e.events, " \
  "(extract(epoch FROM e.created_at) * 1000000)::bigint "

inline constexpr SqlStatement kInsertWebhookEndpoint{
    "insert_webhook_endpoint",
    "INSERT INTO webhook_endpoints AS e (id, url, description, events, "
    "secret_kek_id, secret_nonce, secret_ciphertext) "
    "VALUES ($1::uuid, $2, $3, $4::text[], $5, decode($6, 'hex'), "
    "decode($7, 'hex')) RETURNING " CERTFERRY_WEBHOOK_ENDPOINT_COLUMNS};

inline constexpr SqlStatement kGetWebhookEndpoint{
    "get_webhook_endpoint",
    "SELECT " CERTFERRY_WEBHOOK_ENDPOINT_COLUMNS
    "FROM webhook_endpoints e WHERE e.id = $1::uuid AND e.deleted_at IS NULL"};

// Live endpoints, oldest first; keyset on (creation time in µs, id), $1 = 0
// from the start.
inline constexpr SqlStatement kListWebhookEndpoints{
    "list_webhook_endpoints",
    "SELECT " CERTFERRY_WEBHOOK_ENDPOINT_COLUMNS
    "FROM webhook_endpoints e WHERE e.deleted_at IS NULL "
    "AND ($1::bigint = 0 OR ((extract(epoch FROM e.created_at) * "
    "1000000)::bigint, e.id) > ($1::bigint, $2::uuid)) "
    "ORDER BY e.created_at, e.id LIMIT $3"};

#undef CERTFERRY_WEBHOOK_ENDPOINT_COLUMNS

inline constexpr SqlStatement kDeleteWebhookEndpoint{"delete_webhook_endpoint",
                                                     R"sql(
UPDATE webhook_endpoints SET deleted_at = now()
WHERE id = $1::uuid AND deleted_at IS NULL
RETURNING id)sql"};

// Live endpoints that receive event $1.
inline constexpr SqlStatement kSubscribedWebhookEndpoints{
    "subscribed_webhook_endpoints", R"sql(
SELECT id::text FROM webhook_endpoints
WHERE deleted_at IS NULL AND (cardinality(events) = 0 OR $1 = ANY(events))
ORDER BY id)sql"};

// Parallel arrays: delivery ids, notification ids, endpoint ids, job ids.
inline constexpr SqlStatement kAddWebhookDeliveries{"add_webhook_deliveries",
                                                    R"sql(
INSERT INTO webhook_deliveries (id, notification_id, endpoint_id, job_id)
SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::uuid[], $4::bigint[]))sql"};

// What a delivery sends, and where.
inline constexpr SqlStatement kGetDeliveryToSend{
    "get_delivery_to_send",
    "SELECT d.id::text, d.endpoint_id::text, e.url, e.deleted_at IS NOT NULL, "
    "e.secret_kek_id, encode(e.secret_nonce, 'hex'), "
    "encode(e.secret_ciphertext, 'hex'), " CERTFERRY_NOTIFICATION_COLUMNS
    "FROM webhook_deliveries d "
    "JOIN webhook_endpoints e ON e.id = d.endpoint_id "
    "JOIN notifications n ON n.id = d.notification_id "
    "WHERE d.id = $1::uuid"};

// The outcome of one attempt: $2 HTTP status (0: none), $3 error, $4
// delivered (a 2xx).
inline constexpr SqlStatement kRecordDeliveryAttempt{"record_delivery_attempt",
                                                     R"sql(
UPDATE webhook_deliveries
SET last_status_code = $2, last_error = $3, last_attempt_at = now(),
    delivered_at = CASE WHEN $4 THEN coalesce(delivered_at, now())
                        ELSE delivered_at END
WHERE id = $1::uuid)sql"};

// Newest first (by job id); empty filters are off; $4 = 0: from the top.
inline constexpr SqlStatement kListWebhookDeliveries{
    "list_webhook_deliveries",
    "SELECT d.id::text, d.job_id, d.endpoint_id::text, e.url, "
    "coalesce(j.state, ''), coalesce(j.attempts, 0), "
    "coalesce(j.max_attempts, 0), "
    "coalesce((extract(epoch FROM j.run_at) * 1000000)::bigint, 0), "
    "coalesce(j.last_error, ''), d.last_status_code, d.last_error, "
    "(extract(epoch FROM d.last_attempt_at) * 1000000)::bigint, "
    "(extract(epoch FROM d.delivered_at) * 1000000)::bigint, "
    "(extract(epoch FROM d.created_at) * 1000000)::bigint, "
    "" CERTFERRY_NOTIFICATION_COLUMNS
    "FROM webhook_deliveries d "
    "JOIN webhook_endpoints e ON e.id = d.endpoint_id "
    "JOIN notifications n ON n.id = d.notification_id "
    "LEFT JOIN jobs j ON j.id = d.job_id "
    "WHERE ($1 = '' OR d.endpoint_id = NULLIF($1, '')::uuid) "
    "AND ($2 = '' OR j.state = $2) AND ($3 = '' OR n.event = $3) "
    "AND ($4::bigint = 0 OR d.job_id < $4::bigint) "
    "ORDER BY d.job_id DESC LIMIT $5"};

#undef CERTFERRY_NOTIFICATION_COLUMNS

// Jobs of an endpoint's deliveries that have not ended.
inline constexpr SqlStatement kUnfinishedDeliveryJobs{
    "unfinished_delivery_jobs", R"sql(
SELECT d.job_id FROM webhook_deliveries d JOIN jobs j ON j.id = d.job_id
WHERE d.endpoint_id = $1::uuid AND j.state IN ('queued', 'running')
ORDER BY d.job_id)sql"};

}  // namespace certferry::storage::queries
