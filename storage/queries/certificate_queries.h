#pragma once

#include "storage/sql_statement.h"

namespace certferry::storage::queries {

inline constexpr SqlStatement kInsertPrivateKey{"insert_private_key", R"sql(
INSERT INTO private_keys (id, kek_id, nonce, ciphertext)
VALUES ($1::uuid, $2, decode($3, 'hex'), decode($4, 'hex')))sql"};

// Stores one new version for each of several certificates (distinct names)
// in one statement: parallel arrays, one element per version. The upsert
// assigns the version number (a new name starts at 1); keys and versions
// are inserted alongside (foreign keys are checked at the statement's end).
// $12/$13 hold each version's DNS names / IP addresses as an array literal;
// $23/$24 its issuer kind and issue parameters ('' for none).
// Returns (ord, certificate id, version) per input.
inline constexpr SqlStatement kAddVersionsBulk{"add_versions_bulk", R"sql(
WITH input AS (
  SELECT * FROM unnest($1::int[], $2::text[], $3::uuid[], $4::text[],
                       $5::text[], $6::text[], $7::text[], $8::int[],
                       $9::text[], $10::text[], $11::text[], $12::text[],
                       $13::text[], $14::timestamptz[], $15::timestamptz[],
                       $16::text[], $17::int[], $18::text[], $19::bigint[],
                       $20::text[], $21::text[], $22::int[], $23::text[],
                       $24::text[])
    AS x(ord, name, key_id, kek_id, nonce, ciphertext, chain_pem,
         chain_length, serial_number, sha256_fingerprint, subject, dns_names,
         ip_addresses, not_before, not_after, key_type, key_bits, source,
         job_id, issuer_ca_id, issuer, job_item, issuer_kind, issue_params)
),
certs AS (
  INSERT INTO certificates AS c (name, latest_version, domains, not_after)
  SELECT name, 1, dns_names::text[], not_after FROM input
  ON CONFLICT (name) DO UPDATE
    SET latest_version = c.latest_version + 1, domains = EXCLUDED.domains,
        not_after = EXCLUDED.not_after, updated_at = now()
  RETURNING c.id, c.name, c.latest_version
),
keys AS (
  INSERT INTO private_keys (id, kek_id, nonce, ciphertext)
  SELECT key_id, kek_id, decode(nonce, 'hex'), decode(ciphertext, 'hex')
  FROM input
),
versions AS (
  INSERT INTO certificate_versions (
    certificate_id, version, chain_pem, chain_length, serial_number,
    sha256_fingerprint, subject, issuer, dns_names, ip_addresses, not_before,
    not_after, key_type, key_bits, source, private_key_id, issued_by_job_id,
    issued_by_job_item, issuer_ca_id, issuer_kind, issue_params)
  SELECT c.id, c.latest_version, i.chain_pem, i.chain_length, i.serial_number,
         i.sha256_fingerprint, i.subject, i.issuer, i.dns_names::text[],
         i.ip_addresses::text[], i.not_before, i.not_after, i.key_type,
         i.key_bits, i.source, i.key_id, NULLIF(i.job_id, 0), i.job_item,
         NULLIF(i.issuer_ca_id, '')::uuid, NULLIF(i.issuer_kind, ''),
         NULLIF(i.issue_params, '')::jsonb
  FROM input i JOIN certs c ON c.name = i.name
)
SELECT i.ord, c.id::text, c.latest_version
FROM input i JOIN certs c ON c.name = i.name
ORDER BY i.ord)sql"};

#define CERTFERRY_CERTIFICATE_COLUMNS                                        \
  "c.id::text, c.name, c.domains, c.latest_version, "                        \
  "(extract(epoch FROM c.created_at) * 1000000)::bigint, "                   \
  "(extract(epoch FROM c.updated_at) * 1000000)::bigint, "                   \
  "v.version, v.chain_pem, v.chain_length, v.serial_number, "                \
  "v.sha256_fingerprint, v.subject, v.issuer, v.dns_names, v.ip_addresses, " \
  "(extract(epoch FROM v.not_before) * 1000000)::bigint, "                   \
  "(extract(epoch FROM v.not_after) * 1000000)::bigint, "                    \
  "v.key_type, v.key_bits, v.source, "                                       \
  "(extract(epoch FROM v.created_at) * 1000000)::bigint "

// $2 = 0 selects the latest version.
inline constexpr SqlStatement kGetCertificate{
    "get_certificate",
    "SELECT " CERTFERRY_CERTIFICATE_COLUMNS
    "FROM certificates c JOIN certificate_versions v ON v.certificate_id = "
    "c.id "
    "WHERE c.id = $1::uuid "
    "AND v.version = CASE WHEN $2::integer = 0 THEN c.latest_version "
    "ELSE $2::integer END"};

// Keyset pagination by name. Empty strings switch a filter off:
// $1 names after which to start, $2/$3 a domain and its covering wildcard,
// $4 an RFC 3339 instant the latest version must expire before.
inline constexpr SqlStatement kListCertificates{
    "list_certificates",
    "SELECT " CERTFERRY_CERTIFICATE_COLUMNS
    "FROM certificates c JOIN certificate_versions v "
    "ON v.certificate_id = c.id AND v.version = c.latest_version "
    "WHERE ($1::text = '' OR c.name > $1::text) "
    "AND ($2::text = '' OR c.domains && ARRAY[$2::text, $3::text]) "
    "AND ($4::text = '' OR c.not_after < NULLIF($4::text, '')::timestamptz) "
    "ORDER BY c.name LIMIT $5::integer"};

// The same filters, soonest expiry of the latest version first (the
// not_after index), keyset on (not_after, name): $6 is the RFC 3339
// not_after to start after together with $1 ('' with '': from the start).
inline constexpr SqlStatement kListCertificatesByExpiry{
    "list_certificates_by_expiry",
    "SELECT " CERTFERRY_CERTIFICATE_COLUMNS
    "FROM certificates c JOIN certificate_versions v "
    "ON v.certificate_id = c.id AND v.version = c.latest_version "
    "WHERE ($6::text = '' OR (c.not_after, c.name) > "
    "(NULLIF($6::text, '')::timestamptz, $1::text)) "
    "AND ($2::text = '' OR c.domains && ARRAY[$2::text, $3::text]) "
    "AND ($4::text = '' OR c.not_after < NULLIF($4::text, '')::timestamptz) "
    "ORDER BY c.not_after, c.name LIMIT $5::integer"};

#undef CERTFERRY_CERTIFICATE_COLUMNS

inline constexpr SqlStatement kGetVersionKeyId{"get_version_key_id", R"sql(
SELECT private_key_id::text FROM certificate_versions
WHERE certificate_id = $1::uuid AND version = $2)sql"};

inline constexpr SqlStatement kGetPrivateKeyById{"get_private_key_by_id", R"sql(
SELECT id::text, kek_id, encode(nonce, 'hex'), encode(ciphertext, 'hex')
FROM private_keys WHERE id = $1::uuid)sql"};

// How a version was issued (NULLs for imported versions).
inline constexpr SqlStatement kGetIssuance{"get_issuance", R"sql(
SELECT coalesce(issuer_kind, ''), coalesce(issue_params::text, '')
FROM certificate_versions WHERE certificate_id = $1::uuid AND version = $2)sql"};

// The certificate's latest version number, its row locked until commit:
// versions are added under this lock (AddVersions' upsert takes it too).
inline constexpr SqlStatement kLockLatestVersion{"lock_latest_version", R"sql(
SELECT latest_version FROM certificates WHERE id = $1::uuid FOR UPDATE)sql"};

// The version a single issuance job issued, if it got that far (re-runs
// find it here).
inline constexpr SqlStatement kFindVersionByJob{"find_version_by_job", R"sql(
SELECT certificate_id::text, version FROM certificate_versions
WHERE issued_by_job_id = $1 AND issued_by_job_item = 0)sql"};

}  // namespace certferry::storage::queries
