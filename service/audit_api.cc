#include "service/audit_api.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "pki/digest.h"
#include "service/proto_convert.h"
#include "storage/audit_repository.h"

namespace certferry::service {
namespace {

constexpr char kPageTokenVersion[] = "a1";
// google.protobuf.Timestamp's documented range: 0001-01-01 to 9999-12-31.
constexpr int64_t kMinTimestampSeconds = -62135596800;
constexpr int64_t kMaxTimestampSeconds = 253402300799;

std::string TimestampKey(bool present, const google::protobuf::Timestamp& t) {
  return present ? absl::StrCat(t.seconds(), ".", t.nanos()) : "-";
}

// The filters a page token is bound to, so a token cannot be replayed
// against different filters (it would skip or repeat events silently).
std::string FilterKey(const v1::ListAuditEventsRequest& r) {
  std::string material;
  for (const std::string& field :
       {r.resource(), r.actor(),
        TimestampKey(r.has_start_time(), r.start_time()),
        TimestampKey(r.has_end_time(), r.end_time())}) {
    absl::StrAppend(&material, field.size(), ":", field, "\n");
  }
  return pki::Sha256Hex(material).substr(0, 16);
}

std::string EncodePageToken(const v1::ListAuditEventsRequest& r,
                            int64_t before_id) {
  return absl::WebSafeBase64Escape(
      absl::StrCat(kPageTokenVersion, "\n", FilterKey(r), "\n", before_id));
}

absl::StatusOr<int64_t> DecodePageToken(const v1::ListAuditEventsRequest& r) {
  if (r.page_token().empty()) return 0;
  std::string raw;
  std::vector<std::string> parts;
  if (absl::WebSafeBase64Unescape(r.page_token(), &raw)) {
    parts = absl::StrSplit(raw, absl::MaxSplits('\n', 2));
  }
  int64_t before_id = 0;
  if (parts.size() != 3 || parts[0] != kPageTokenVersion ||
      !absl::SimpleAtoi(parts[2], &before_id) || before_id <= 0) {
    return absl::InvalidArgumentError(
        "page_token: not a token from ListAuditEvents; pass the "
        "next_page_token of the previous response unchanged");
  }
  if (parts[1] != FilterKey(r)) {
    return absl::InvalidArgumentError(
        "page_token: was issued for different filters; repeat the filters of "
        "the first call or start again without page_token");
  }
  return before_id;
}

absl::Status ValidateFilter(absl::string_view field, const std::string& value,
                            size_t max_length) {
  if (value.size() > max_length) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": longer than ", max_length,
                     " characters; give the exact value recorded in events"));
  }
  for (char c : value) {
    if (c < 0x20 || c > 0x7e) {
      return absl::InvalidArgumentError(
          absl::StrCat(field,
                       ": contains a character that is not printable ASCII; "
                       "events only record printable ASCII"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateTimestamp(absl::string_view field,
                               const google::protobuf::Timestamp& t) {
  if (t.seconds() < kMinTimestampSeconds ||
      t.seconds() > kMaxTimestampSeconds || t.nanos() < 0 ||
      t.nanos() > 999999999) {
    return absl::InvalidArgumentError(
        absl::StrCat(field,
                     ": not a valid timestamp; seconds must lie in years "
                     "0001-9999 and nanos in 0-999999999"));
  }
  return absl::OkStatus();
}

v1::AuditEvent ToProto(const storage::AuditEvent& e) {
  v1::AuditEvent out;
  out.set_id(e.id);
  service::ToProto(e.time, out.mutable_time());
  out.set_actor(e.event.actor);
  out.set_action(e.event.action);
  out.set_resource(e.event.resource);
  out.set_request_id(e.event.request_id);
  out.set_outcome(e.event.outcome);
  out.set_summary(e.event.summary);
  out.set_previous_hash(e.previous_hash);
  out.set_hash(e.hash);
  return out;
}

}  // namespace

absl::StatusOr<v1::ListAuditEventsResponse> AuditApi::ListAuditEvents(
    const v1::ListAuditEventsRequest& request) {
  if (request.page_size() < 0 || request.page_size() > config_.max_page_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size: must be between 1 and ", config_.max_page_size,
                     " (0 means ", config_.default_page_size, ")"));
  }
  CF_RETURN_IF_ERROR(ValidateFilter("resource", request.resource(),
                                    config_.max_filter_length));
  CF_RETURN_IF_ERROR(
      ValidateFilter("actor", request.actor(), config_.max_filter_length));
  storage::AuditQuery query;
  query.resource = request.resource();
  query.actor = request.actor();
  if (request.has_start_time()) {
    CF_RETURN_IF_ERROR(ValidateTimestamp("start_time", request.start_time()));
    query.since = FromProto(request.start_time());
  }
  if (request.has_end_time()) {
    CF_RETURN_IF_ERROR(ValidateTimestamp("end_time", request.end_time()));
    query.until = FromProto(request.end_time());
  }
  if (query.since && query.until && *query.until <= *query.since) {
    return absl::InvalidArgumentError(
        "end_time: must be after start_time; swap them or leave one out");
  }
  CF_ASSIGN_OR_RETURN(query.before_id, DecodePageToken(request));
  const int page_size = request.page_size() == 0 ? config_.default_page_size
                                                 : request.page_size();
  // One extra row tells whether another page follows.
  query.page_size = page_size + 1;
  CF_ASSIGN_OR_RETURN(std::vector<storage::AuditEvent> rows,
                      db_.RunAutocommit<std::vector<storage::AuditEvent>>(
                          "list_audit_events", [&](storage::Transaction& tx) {
                            return storage::AuditRepository::List(tx, query);
                          }));
  v1::ListAuditEventsResponse response;
  for (int i = 0; i < static_cast<int>(rows.size()) && i < page_size; ++i) {
    *response.add_events() = ToProto(rows[i]);
  }
  if (static_cast<int>(rows.size()) > page_size) {
    response.set_next_page_token(
        EncodePageToken(request, rows[page_size - 1].id));
  }
  return response;
}

absl::StatusOr<v1::VerifyAuditLogResponse> AuditApi::VerifyAuditLog(
    const v1::VerifyAuditLogRequest&) {
  CF_ASSIGN_OR_RETURN(storage::AuditVerification verification,
                      db_.RunInTransaction<storage::AuditVerification>(
                          "verify_audit_log", [](storage::Transaction& tx) {
                            return storage::AuditRepository::Verify(tx);
                          }));
  v1::VerifyAuditLogResponse response;
  response.set_intact(verification.intact);
  response.set_events_checked(verification.events_checked);
  response.set_first_broken_event_id(verification.first_broken_id);
  response.set_problem(verification.problem);
  return response;
}

}  // namespace certferry::service
