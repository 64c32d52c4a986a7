#pragma once

// How the API classes record calls in the audit log. A call that changes
// something appends its event (AuditEventFor with an OK outcome) in the
// transaction of the change; a refused or failed call records its event
// with RecordRefusedCall, in a transaction of its own.

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "service/call_info.h"
#include "storage/audit_repository.h"
#include "storage/database.h"

namespace certferry::service {

// An event for `call`: outcome "ok", or the code name of `outcome` (e.g.
// "INVALID_ARGUMENT"). Fields are cut to a few hundred characters and bytes
// outside printable ASCII become '?', so any request value (even an invalid
// one) can be recorded. `summary` must not contain secrets.
storage::NewAuditEvent AuditEventFor(const CallInfo& call,
                                     absl::string_view action,
                                     absl::string_view resource,
                                     absl::string_view request_id,
                                     const absl::Status& outcome,
                                     absl::string_view summary);

// Appends the event of a refused or failed call (`status` not OK; the
// summary is its message) in a transaction of its own. Best effort: a
// failure is logged as a warning, never returned, so the caller still gets
// the original error.
void RecordRefusedCall(storage::Database& db, const CallInfo& call,
                       absl::string_view action, absl::string_view resource,
                       absl::string_view request_id,
                       const absl::Status& status);

}  // namespace certferry::service
