#pragma once

#include "storage/sql_statement.h"

namespace certferry::storage::queries {

#define CERTFERRY_TARGET_COLUMNS                                           \
  "t.id::text, t.name, t.kind, t.config::text, t.domains, t.verify_host, " \
  "t.verify_port, t.verify_sni, "                                          \
  "(extract(epoch FROM t.created_at) * 1000000)::bigint, "                 \
  "(extract(epoch FROM t.updated_at) * 1000000)::bigint "

inline constexpr SqlStatement kInsertTarget{
    "insert_target",
    "INSERT INTO targets AS t (name, kind, config, domains, verify_host, "
    "verify_port, verify_sni) "
    "VALUES ($1, $2, $3::jsonb, $4::text[], $5, $6, $7) "
    "RETURNING " CERTFERRY_TARGET_COLUMNS};

// Live targets by name; by id also deleted ones (history refers to them).
inline constexpr SqlStatement kGetTargetByName{
    "get_target_by_name",
    "SELECT " CERTFERRY_TARGET_COLUMNS
    "FROM targets t WHERE t.name = $1 AND t.deleted_at IS NULL"};
inline constexpr SqlStatement kGetTargetById{
    "get_target_by_id",
    "SELECT " CERTFERRY_TARGET_COLUMNS "FROM targets t WHERE t.id = $1::uuid"};

// Live targets of certificate $1 whose latest succeeded deployment put the
// leaf $2 there (what they serve now), by name. Candidates come from the
// certificate's deployments (indexed), then each one's latest is checked.
inline constexpr SqlStatement kTargetsServingLeaf{
    "targets_serving_leaf",
    "SELECT " CERTFERRY_TARGET_COLUMNS
    "FROM targets t WHERE t.deleted_at IS NULL "
    "AND t.id IN (SELECT target_id FROM deployments WHERE certificate_id = "
    "$1::uuid AND leaf_sha256 = $2 AND state = 'succeeded') "
    "AND (SELECT d.leaf_sha256 FROM deployments d WHERE d.target_id = t.id "
    "AND d.state = 'succeeded' ORDER BY d.finished_at DESC, d.id DESC "
    "LIMIT 1) = $2 "
    "ORDER BY t.name"};

inline constexpr SqlStatement kListTargets{
    "list_targets", "SELECT " CERTFERRY_TARGET_COLUMNS
                    "FROM targets t WHERE t.deleted_at IS NULL AND t.name > $1 "
                    "ORDER BY t.name LIMIT $2"};

#undef CERTFERRY_TARGET_COLUMNS

inline constexpr SqlStatement kDeleteTarget{"delete_target", R"sql(
UPDATE targets SET deleted_at = now(), updated_at = now()
WHERE id = $1::uuid AND deleted_at IS NULL)sql"};

// Deployments of a target that are not finished, oldest first.
inline constexpr SqlStatement kUnfinishedDeploymentsOfTarget{
    "unfinished_deployments_of_target", R"sql(
SELECT id FROM deployments
WHERE target_id = $1::uuid AND state IN ('queued', 'running', 'verifying')
ORDER BY id)sql"};

// Takes the target for deployment $2 for $3 seconds unless another
// deployment holds an unexpired claim. Returns the holder either way.
inline constexpr SqlStatement kClaimTarget{"claim_target", R"sql(
WITH claimed AS (
  UPDATE targets
  SET busy_deployment_id = $2,
      busy_until = now() + make_interval(secs => $3)
  WHERE id = $1::uuid
    AND (busy_deployment_id IS NULL OR busy_deployment_id = $2
         OR busy_until < now())
  RETURNING busy_deployment_id
)
SELECT busy_deployment_id FROM claimed
UNION ALL
SELECT busy_deployment_id FROM targets
WHERE id = $1::uuid AND NOT EXISTS (SELECT 1 FROM claimed))sql"};

inline constexpr SqlStatement kReleaseTarget{"release_target", R"sql(
UPDATE targets SET busy_deployment_id = NULL, busy_until = NULL
WHERE id = $1::uuid AND busy_deployment_id = $2)sql"};

inline constexpr SqlStatement kInsertDeployment{"insert_deployment", R"sql(
INSERT INTO deployments (
  target_id, kind, rolls_back_id, certificate_id, certificate_version,
  contents_chain_pem, contents_key_id, contents_empty, leaf_sha256, verify,
  auto_rollback, job_id, actor, request_id)
VALUES ($1::uuid, $2, NULLIF($3::bigint, 0), NULLIF($4, '')::uuid, NULLIF($5, 0),
        NULLIF($6, ''), NULLIF($7, '')::uuid, $8, $9, $10, $11, $12, $13, $14)
RETURNING id)sql"};

#define CERTFERRY_DEPLOYMENT_COLUMNS                                           \
  "d.id, d.target_id::text, t.name, d.kind, coalesce(d.rolls_back_id, 0), "    \
  "coalesce(d.certificate_id::text, ''), coalesce(d.certificate_version, 0), " \
  "coalesce(d.contents_chain_pem, ''), coalesce(d.contents_key_id::text, "     \
  "''), "                                                                      \
  "d.contents_empty, d.leaf_sha256, d.previous_recorded, "                     \
  "coalesce(d.previous_certificate_id::text, ''), "                            \
  "coalesce(d.previous_version, 0), coalesce(d.previous_chain_pem, ''), "      \
  "coalesce(d.previous_key_id::text, ''), d.previous_empty, "                  \
  "d.previous_leaf_sha256, d.state, d.verify, d.auto_rollback, "               \
  "d.auto_rolled_back, d.attempts, d.error, d.evidence, d.job_id, d.actor, "   \
  "d.request_id, (extract(epoch FROM d.created_at) * 1000000)::bigint, "       \
  "(extract(epoch FROM d.started_at) * 1000000)::bigint, "                     \
  "(extract(epoch FROM d.finished_at) * 1000000)::bigint, d.undo_record, "    \
  "d.findings::text "

inline constexpr SqlStatement kGetDeployment{
    "get_deployment",
    "SELECT " CERTFERRY_DEPLOYMENT_COLUMNS
    "FROM deployments d JOIN targets t ON t.id = d.target_id WHERE d.id = $1"};

inline constexpr SqlStatement kDeploymentsOfJob{
    "deployments_of_job",
    "SELECT " CERTFERRY_DEPLOYMENT_COLUMNS
    "FROM deployments d JOIN targets t ON t.id = d.target_id "
    "WHERE d.job_id = $1 ORDER BY d.id"};

// Newest first; empty filters match everything; $4 = 0 starts at the
// newest.
inline constexpr SqlStatement kListDeployments{
    "list_deployments",
    "SELECT " CERTFERRY_DEPLOYMENT_COLUMNS
    "FROM deployments d JOIN targets t ON t.id = d.target_id "
    "WHERE ($1 = '' OR d.target_id = NULLIF($1, '')::uuid) "
    "AND ($2 = '' OR d.certificate_id = NULLIF($2, '')::uuid) "
    "AND ($3 = '' OR d.state = $3) "
    "AND ($4::bigint = 0 OR d.id < $4::bigint) "
    "ORDER BY d.id DESC LIMIT $5"};

#undef CERTFERRY_DEPLOYMENT_COLUMNS

// The target's deployments after $2 that changed it or may still change
// it. Failed ones left it as it was; a rolled-back deployment and the
// succeeded rollback that undid it cancel out.
inline constexpr SqlStatement kLaterDeploymentsOfTarget{
    "later_deployments_of_target", R"sql(
SELECT id FROM deployments
WHERE target_id = $1::uuid AND id > $2
  AND state NOT IN ('failed', 'rolled_back')
  AND NOT (kind = 'rollback' AND state = 'succeeded' AND rolls_back_id > $2)
ORDER BY id)sql"};

inline constexpr SqlStatement kRecordPrevious{"record_previous", R"sql(
UPDATE deployments
SET previous_recorded = true, previous_certificate_id = NULLIF($2, '')::uuid,
    previous_version = NULLIF($3, 0), previous_chain_pem = NULLIF($4, ''),
    previous_key_id = NULLIF($5, '')::uuid, previous_empty = $6,
    previous_leaf_sha256 = $7, updated_at = now()
WHERE id = $1 AND NOT previous_recorded)sql"};

// Moves a deployment to state $2; 'running' counts an attempt.
inline constexpr SqlStatement kSetDeploymentState{"set_deployment_state", R"sql(
UPDATE deployments
SET state = $2, error = $3, evidence = $4,
    auto_rolled_back = auto_rolled_back OR $5,
    attempts = attempts + CASE WHEN $2 = 'running' THEN 1 ELSE 0 END,
    started_at = coalesce(started_at,
                          CASE WHEN $2 = 'running' THEN now() END),
    finished_at = CASE WHEN $2 IN ('succeeded', 'failed', 'rolled_back')
                       THEN coalesce(finished_at, now()) END,
    updated_at = now()
WHERE id = $1)sql"};

inline constexpr SqlStatement kSetUndoRecord{"set_undo_record", R"sql(
UPDATE deployments SET undo_record = $2, updated_at = now() WHERE id = $1)sql"};

// What the target should serve now: the leaf of its most recently
// finished successful deployment (a rollback's leaf is what it restored).
inline constexpr SqlStatement kLatestServedLeaf{"latest_served_leaf", R"sql(
SELECT leaf_sha256 FROM deployments
WHERE target_id = $1 AND state = 'succeeded' AND NOT contents_empty
ORDER BY finished_at DESC, id DESC LIMIT 1)sql"};

inline constexpr SqlStatement kSetFindings{"set_deployment_findings", R"sql(
UPDATE deployments SET findings = $2::jsonb, updated_at = now()
WHERE id = $1)sql"};

// A known version whose leaf has this fingerprint (what a target holds
// when certferry put it there).
inline constexpr SqlStatement kFindVersionByFingerprint{
    "find_version_by_fingerprint", R"sql(
SELECT certificate_id::text, version FROM certificate_versions
WHERE sha256_fingerprint = $1 ORDER BY created_at DESC LIMIT 1)sql"};

}  // namespace certferry::storage::queries
