#pragma once

#include "storage/sql_statement.h"

namespace certferry::storage::queries {

// Returns a row only for the caller that recorded the id first; a concurrent
// caller with the same id waits here until the first one commits.
inline constexpr SqlStatement kClaimRequestId{"claim_request_id", R"sql(
INSERT INTO request_ids (request_id, method, request_sha256)
VALUES ($1, $2, $3)
ON CONFLICT (request_id) DO NOTHING
RETURNING request_id)sql"};

inline constexpr SqlStatement kGetRequestId{"get_request_id", R"sql(
SELECT method, request_sha256, resource_id, resource_version
FROM request_ids WHERE request_id = $1)sql"};

inline constexpr SqlStatement kCompleteRequestId{"complete_request_id", R"sql(
UPDATE request_ids SET resource_id = $2, resource_version = $3
WHERE request_id = $1)sql"};

inline constexpr SqlStatement kFindRequestIds{"find_request_ids", R"sql(
SELECT request_id, method, request_sha256, resource_id, resource_version
FROM request_ids WHERE request_id = ANY($1::text[]))sql"};

// Records completed requests; returns the ids recorded (an id another
// transaction recorded meanwhile is left out).
inline constexpr SqlStatement kRecordRequestIds{"record_request_ids", R"sql(
INSERT INTO request_ids (request_id, method, request_sha256, resource_id,
                         resource_version)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[])
ON CONFLICT (request_id) DO NOTHING
RETURNING request_id)sql"};

}  // namespace certferry::storage::queries
