#pragma once

#include "storage/sql_statement.h"

namespace certferry::storage::queries {

// Creates the certificate if the name is new; locks its row either way so
// concurrent imports under one name get consecutive version numbers.
inline constexpr SqlStatement kUpsertCertificateByName{
    "upsert_certificate_by_name", R"sql(
INSERT INTO certificates (name) VALUES ($1)
ON CONFLICT (name) DO UPDATE SET updated_at = now()
RETURNING id::text, latest_version)sql"};

inline constexpr SqlStatement kInsertPrivateKey{"insert_private_key", R"sql(
INSERT INTO private_keys (id, kek_id, nonce, ciphertext)
VALUES ($1::uuid, $2, decode($3, 'hex'), decode($4, 'hex')))sql"};

inline constexpr SqlStatement kInsertCertificateVersion{
    "insert_certificate_version", R"sql(
INSERT INTO certificate_versions (
  certificate_id, version, chain_pem, chain_length, serial_number,
  sha256_fingerprint, subject, issuer, dns_names, ip_addresses, not_before,
  not_after, key_type, key_bits, source, private_key_id, issued_by_job_id,
  issuer_ca_id)
VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8, $9::text[], $10::text[],
        $11::timestamptz, $12::timestamptz, $13, $14, $15, $16::uuid,
        NULLIF($17, 0), NULLIF($18, '')::uuid))sql"};

inline constexpr SqlStatement kSetLatestVersion{"set_latest_version", R"sql(
UPDATE certificates
SET latest_version = $2, domains = $3::text[], not_after = $4::timestamptz,
    updated_at = now()
WHERE id = $1::uuid)sql"};

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

#undef CERTFERRY_CERTIFICATE_COLUMNS

inline constexpr SqlStatement kGetVersionKeyId{"get_version_key_id", R"sql(
SELECT private_key_id::text FROM certificate_versions
WHERE certificate_id = $1::uuid AND version = $2)sql"};

inline constexpr SqlStatement kGetPrivateKeyById{"get_private_key_by_id", R"sql(
SELECT id::text, kek_id, encode(nonce, 'hex'), encode(ciphertext, 'hex')
FROM private_keys WHERE id = $1::uuid)sql"};

// The version a job issued, if it got that far (re-runs find it here).
inline constexpr SqlStatement kFindVersionByJob{"find_version_by_job", R"sql(
SELECT certificate_id::text, version FROM certificate_versions
WHERE issued_by_job_id = $1)sql"};

}  // namespace certferry::storage::queries
