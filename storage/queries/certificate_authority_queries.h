#pragma once

#include "storage/sql_statement.h"

namespace certferry::storage::queries {

inline constexpr SqlStatement kInsertCertificateAuthority{
    "insert_certificate_authority", R"sql(
INSERT INTO certificate_authorities (
  name, parent_id, chain_pem, subject, sha256_fingerprint, key_type,
  not_before, not_after, private_key_id, is_default)
VALUES ($1, NULLIF($2, '')::uuid, $3, $4, $5, $6, $7::timestamptz,
        $8::timestamptz, $9::uuid, false)
ON CONFLICT (name) DO NOTHING
RETURNING id::text)sql"};

// Makes $1 the only default CA.
inline constexpr SqlStatement kClearDefaultCertificateAuthority{
    "clear_default_certificate_authority",
    "UPDATE certificate_authorities SET is_default = false WHERE is_default"};
inline constexpr SqlStatement kSetDefaultCertificateAuthority{
    "set_default_certificate_authority",
    "UPDATE certificate_authorities SET is_default = true WHERE id = $1::uuid"};

#define CERTFERRY_CA_COLUMNS                                                  \
  "id::text, name, coalesce(parent_id::text, ''), chain_pem, subject, "       \
  "sha256_fingerprint, key_type, "                                            \
  "(extract(epoch FROM not_before) * 1000000)::bigint, "                      \
  "(extract(epoch FROM not_after) * 1000000)::bigint, private_key_id::text, " \
  "is_default, (extract(epoch FROM created_at) * 1000000)::bigint "

// $1 is an id (when it parses as a UUID) or a name.
inline constexpr SqlStatement kGetCertificateAuthority{
    "get_certificate_authority", "SELECT " CERTFERRY_CA_COLUMNS
                                 "FROM certificate_authorities "
                                 "WHERE name = $1 OR (id::text = lower($1))"};

inline constexpr SqlStatement kGetDefaultCertificateAuthority{
    "get_default_certificate_authority",
    "SELECT " CERTFERRY_CA_COLUMNS
    "FROM certificate_authorities WHERE is_default"};

inline constexpr SqlStatement kListCertificateAuthorities{
    "list_certificate_authorities",
    "SELECT " CERTFERRY_CA_COLUMNS
    "FROM certificate_authorities ORDER BY name"};

#undef CERTFERRY_CA_COLUMNS

}  // namespace certferry::storage::queries
