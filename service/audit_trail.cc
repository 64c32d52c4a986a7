#include "service/audit_trail.h"

#include "absl/strings/str_cat.h"
#include "common/log.h"

namespace certferry::service {
namespace {

constexpr size_t kMaxFieldLength = 256;
constexpr size_t kMaxSummaryLength = 1024;

// Caller-supplied values may be invalid UTF-8 or contain NUL, which a text
// column refuses; the audit event must still be written.
std::string Printable(absl::string_view text, size_t max_length) {
  std::string out;
  const size_t length = std::min(text.size(), max_length);
  out.reserve(length + 3);
  for (size_t i = 0; i < length; ++i) {
    const char c = text[i];
    out.push_back(c >= 0x20 && c <= 0x7e ? c : '?');
  }
  if (text.size() > max_length) out.append("...");
  return out;
}

}  // namespace

storage::NewAuditEvent AuditEventFor(const CallInfo& call,
                                     absl::string_view action,
                                     absl::string_view resource,
                                     absl::string_view request_id,
                                     const absl::Status& outcome,
                                     absl::string_view summary) {
  storage::NewAuditEvent event;
  event.actor = Printable(call.actor, kMaxFieldLength);
  event.action = Printable(action, kMaxFieldLength);
  event.resource = Printable(resource, kMaxFieldLength);
  event.request_id = Printable(request_id, kMaxFieldLength);
  event.outcome =
      outcome.ok() ? "ok" : absl::StatusCodeToString(outcome.code());
  event.summary = Printable(summary, kMaxSummaryLength);
  return event;
}

void RecordRefusedCall(storage::Database& db, const CallInfo& call,
                       absl::string_view action, absl::string_view resource,
                       absl::string_view request_id,
                       const absl::Status& status) {
  const std::vector<storage::NewAuditEvent> events = {AuditEventFor(
      call, action, resource, request_id, status, status.message())};
  const absl::Status recorded =
      db.RunInTransaction("audit_refused_call", [&](storage::Transaction& tx) {
        return storage::AuditRepository::Append(tx, events);
      });
  if (!recorded.ok()) {
    LogWarning(absl::StrCat("audit log: recording a refused ", action,
                            " call failed: ", recorded.message()));
  }
}

}  // namespace certferry::service
