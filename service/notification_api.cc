#include "service/notification_api.h"

#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "notify/notifications.h"
#include "notify/webhook_url.h"
#include "pki/digest.h"
#include "service/audit_trail.h"
#include "service/proto_convert.h"
#include "service/validation.h"
#include "storage/job_repository.h"
#include "storage/notification_repository.h"
#include "storage/request_id_repository.h"

namespace certferry::service {
namespace {

constexpr char kCreateMethod[] = "CreateWebhookEndpoint";
constexpr char kDeleteMethod[] = "DeleteWebhookEndpoint";
constexpr size_t kMinSecretBytes = 16;
constexpr size_t kMaxSecretBytes = 1024;
constexpr size_t kMaxDescription = 256;
constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 1000;

std::string EndpointResource(absl::string_view id) {
  return absl::StrCat("webhook_endpoints/", id);
}

std::string EventNames() {
  std::vector<std::string> names;
  for (model::NotificationEvent e : model::AllNotificationEvents()) {
    names.push_back(model::NotificationEventName(e));
  }
  return absl::StrJoin(names, ", ");
}

absl::StatusOr<int> PageSize(int requested) {
  if (requested < 0 || requested > kMaxPageSize) {
    return absl::InvalidArgumentError(
        "page_size: must be between 1 and 1000 (0 means 50)");
  }
  return requested == 0 ? kDefaultPageSize : requested;
}

// Page tokens carry the filters' digest (a token only continues the
// listing it came from) and the cursor.
std::string EncodePageToken(absl::string_view filters,
                            absl::string_view cursor) {
  return absl::WebSafeBase64Escape(absl::StrCat(filters, "\n", cursor));
}

absl::StatusOr<std::string> DecodePageToken(absl::string_view method,
                                            absl::string_view filters,
                                            const std::string& token) {
  std::string raw;
  std::vector<std::string> parts;
  if (absl::WebSafeBase64Unescape(token, &raw)) {
    parts = absl::StrSplit(raw, absl::MaxSplits('\n', 1));
  }
  if (parts.size() != 2 || parts[0] != filters) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_token: not from ", method,
                     " with these filters; repeat the first call's filters "
                     "or start without page_token"));
  }
  return parts[1];
}

std::optional<model::JobState> JobStateOf(v1::WebhookDeliveryState state) {
  switch (state) {
    case v1::WEBHOOK_DELIVERY_STATE_PENDING:
      return model::JobState::kQueued;
    case v1::WEBHOOK_DELIVERY_STATE_SENDING:
      return model::JobState::kRunning;
    case v1::WEBHOOK_DELIVERY_STATE_DELIVERED:
      return model::JobState::kSucceeded;
    case v1::WEBHOOK_DELIVERY_STATE_FAILED:
      return model::JobState::kFailed;
    case v1::WEBHOOK_DELIVERY_STATE_CANCELLED:
      return model::JobState::kCancelled;
    default:
      return std::nullopt;
  }
}

v1::WebhookDeliveryState DeliveryStateOf(const model::WebhookDelivery& d) {
  if (!d.state) {  // the job was pruned
    return d.delivered_time ? v1::WEBHOOK_DELIVERY_STATE_DELIVERED
                            : v1::WEBHOOK_DELIVERY_STATE_UNSPECIFIED;
  }
  for (int s = v1::WebhookDeliveryState_MIN; s <= v1::WebhookDeliveryState_MAX;
       ++s) {
    const auto state = static_cast<v1::WebhookDeliveryState>(s);
    if (JobStateOf(state) == d.state) return state;
  }
  return v1::WEBHOOK_DELIVERY_STATE_UNSPECIFIED;
}

v1::Notification NotificationToProto(const model::Notification& n) {
  v1::Notification out;
  out.set_id(n.id);
  out.set_event(model::NotificationEventName(n.event));
  out.set_subject(n.subject);
  out.set_threshold_days(n.threshold_days);
  out.set_certificate_id(n.certificate_id);
  out.set_certificate_name(n.certificate_name);
  out.set_certificate_version(n.certificate_version);
  if (n.not_after) ToProto(*n.not_after, out.mutable_not_after());
  out.set_certificate_authority_id(n.certificate_authority_id);
  out.set_certificate_authority_name(n.certificate_authority_name);
  out.set_deployment_id(n.deployment_id);
  out.set_deployment_target(n.deployment_target);
  out.set_error(n.error);
  ToProto(n.create_time, out.mutable_create_time());
  return out;
}

}  // namespace

v1::WebhookEndpoint ToProto(const model::WebhookEndpoint& e) {
  v1::WebhookEndpoint out;
  out.set_id(e.id);
  out.set_url(e.url);
  out.set_description(e.description);
  for (model::NotificationEvent event : e.events) {
    out.add_events(model::NotificationEventName(event));
  }
  ToProto(e.create_time, out.mutable_create_time());
  return out;
}

v1::WebhookDelivery ToProto(const model::WebhookDelivery& d) {
  v1::WebhookDelivery out;
  out.set_id(d.id);
  out.set_endpoint_id(d.endpoint_id);
  out.set_endpoint_url(d.endpoint_url);
  *out.mutable_notification() = NotificationToProto(d.notification);
  out.set_state(DeliveryStateOf(d));
  out.set_attempts(d.attempts);
  out.set_max_attempts(d.max_attempts);
  if (out.state() == v1::WEBHOOK_DELIVERY_STATE_PENDING) {
    ToProto(d.next_attempt_time, out.mutable_next_attempt_time());
  }
  out.set_last_status_code(d.last_status_code);
  out.set_last_error(!d.last_error.empty() ? d.last_error : d.job_error);
  if (d.last_attempt_time) {
    ToProto(*d.last_attempt_time, out.mutable_last_attempt_time());
  }
  if (d.delivered_time) {
    ToProto(*d.delivered_time, out.mutable_delivered_time());
  }
  ToProto(d.create_time, out.mutable_create_time());
  out.set_operation(absl::StrCat("operations/", d.job_id));
  return out;
}

absl::StatusOr<v1::WebhookEndpoint> NotificationApi::CreateWebhookEndpoint(
    const v1::CreateWebhookEndpointRequest& r, const CallInfo& call) {
  absl::StatusOr<v1::WebhookEndpoint> result = CreateOrRefuse(r, call);
  if (!result.ok()) {
    RecordRefusedCall(db_, call, kCreateMethod, "webhook_endpoints",
                      r.request_id(), result.status());
  }
  return result;
}

absl::StatusOr<v1::WebhookEndpoint> NotificationApi::CreateOrRefuse(
    const v1::CreateWebhookEndpointRequest& r, const CallInfo& call) {
  CF_RETURN_IF_ERROR(notify::ValidateWebhookUrl("url", r.url()));
  if (r.secret().size() < kMinSecretBytes ||
      r.secret().size() > kMaxSecretBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("secret: must be ", kMinSecretBytes, "-", kMaxSecretBytes,
                     " bytes; generate one with `openssl rand -hex 32`"));
  }
  model::WebhookEndpoint endpoint;
  endpoint.url = r.url();
  std::set<std::string> seen;
  for (int i = 0; i < r.events_size(); ++i) {
    const std::optional<model::NotificationEvent> event =
        model::ParseNotificationEvent(r.events(i));
    if (!event) {
      return absl::InvalidArgumentError(
          absl::StrCat("events[", i, "]: not an event; use one of ",
                       EventNames(), " (none: all of them)"));
    }
    if (!seen.insert(r.events(i)).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("events[", i, "]: '", r.events(i), "' is given twice"));
    }
    endpoint.events.push_back(*event);
  }
  if (r.description().size() > kMaxDescription) {
    return absl::InvalidArgumentError(absl::StrCat(
        "description: longer than ", kMaxDescription, " characters"));
  }
  endpoint.description = r.description();
  CF_RETURN_IF_ERROR(ValidateRequestId("request_id", r.request_id()));

  // The secret stays out of the digest: request_ids keeps digests in the
  // clear, and a digest of a short secret can be guessed.
  const std::string& request_id = r.request_id();
  const std::string digest = pki::Sha256Hex(absl::StrCat(
      r.url(), "\n", absl::StrJoin(r.events(), ","), "\n", r.description()));
  auto replay = [&](storage::Transaction& tx,
                    const storage::RequestRecord& earlier)
      -> absl::StatusOr<model::WebhookEndpoint> {
    CF_RETURN_IF_ERROR(CheckSameRequest(earlier, kCreateMethod, digest));
    return storage::NotificationRepository::GetEndpoint(tx,
                                                        earlier.resource_id);
  };
  if (!request_id.empty()) {
    CF_ASSIGN_OR_RETURN(
        std::optional<model::WebhookEndpoint> earlier,
        db_.RunInTransaction<std::optional<model::WebhookEndpoint>>(
            "find_webhook_request",
            [&](storage::Transaction& tx)
                -> absl::StatusOr<std::optional<model::WebhookEndpoint>> {
              CF_ASSIGN_OR_RETURN(
                  auto record,
                  storage::RequestIdRepository::Find(tx, request_id));
              if (!record) return std::nullopt;
              return replay(tx, *record);
            }));
    if (earlier) return ToProto(*earlier);
  }

  endpoint.id = NewUuid();
  CF_ASSIGN_OR_RETURN(pki::SealedSecret sealed,
                      keys_.Seal(SecretString(r.secret()),
                                 notify::WebhookSecretAad(endpoint.id)));
  const std::string origin = notify::WebhookUrlOrigin(r.url());
  CF_ASSIGN_OR_RETURN(
      model::WebhookEndpoint created,
      db_.RunInTransaction<model::WebhookEndpoint>(
          "create_webhook_endpoint",
          [&](storage::Transaction& tx)
              -> absl::StatusOr<model::WebhookEndpoint> {
            if (!request_id.empty()) {
              CF_ASSIGN_OR_RETURN(auto earlier,
                                  storage::RequestIdRepository::Claim(
                                      tx, request_id, kCreateMethod, digest));
              if (earlier) return replay(tx, *earlier);
            }
            CF_ASSIGN_OR_RETURN(
                model::WebhookEndpoint created,
                storage::NotificationRepository::CreateEndpoint(
                    tx, endpoint,
                    {sealed.kek_id, sealed.nonce, sealed.ciphertext}));
            if (!request_id.empty()) {
              CF_RETURN_IF_ERROR(storage::RequestIdRepository::Complete(
                  tx, request_id, created.id, 0));
            }
            CF_RETURN_IF_ERROR(storage::AuditRepository::Append(
                tx, {AuditEventFor(
                        call, kCreateMethod, EndpointResource(created.id),
                        request_id, absl::OkStatus(),
                        absl::StrCat("webhook to ", origin, " for ",
                                     r.events().empty()
                                         ? std::string("every event")
                                         : absl::StrJoin(r.events(), ",")))}));
            return created;
          }));
  LogInfo(absl::StrCat("created webhook endpoint id=", created.id,
                       " origin=", origin, " actor=", call.actor));
  return ToProto(created);
}

absl::StatusOr<v1::ListWebhookEndpointsResponse>
NotificationApi::ListWebhookEndpoints(
    const v1::ListWebhookEndpointsRequest& r) {
  CF_ASSIGN_OR_RETURN(const int page_size, PageSize(r.page_size()));
  std::optional<absl::Time> after_time;
  std::string after_id;
  if (!r.page_token().empty()) {
    CF_ASSIGN_OR_RETURN(
        std::string cursor,
        DecodePageToken("ListWebhookEndpoints", "e1", r.page_token()));
    std::vector<std::string> parts = absl::StrSplit(cursor, ' ');
    int64_t micros = 0;
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &micros) ||
        !IsUuid(parts[1])) {
      return absl::InvalidArgumentError(
          "page_token: not from ListWebhookEndpoints; start without "
          "page_token");
    }
    after_time = absl::FromUnixMicros(micros);
    after_id = parts[1];
  }
  CF_ASSIGN_OR_RETURN(
      std::vector<model::WebhookEndpoint> rows,
      db_.RunAutocommit<std::vector<model::WebhookEndpoint>>(
          "list_webhook_endpoints", [&](storage::Transaction& tx) {
            return storage::NotificationRepository::ListEndpoints(
                tx, after_time, after_id, page_size + 1);
          }));
  v1::ListWebhookEndpointsResponse out;
  for (size_t i = 0; i < rows.size() && i < static_cast<size_t>(page_size);
       ++i) {
    *out.add_endpoints() = ToProto(rows[i]);
  }
  if (rows.size() > static_cast<size_t>(page_size)) {
    const model::WebhookEndpoint& last = rows[page_size - 1];
    out.set_next_page_token(EncodePageToken(
        "e1",
        absl::StrCat(absl::ToUnixMicros(last.create_time), " ", last.id)));
  }
  return out;
}

absl::StatusOr<v1::DeleteWebhookEndpointResponse>
NotificationApi::DeleteWebhookEndpoint(
    const v1::DeleteWebhookEndpointRequest& r, const CallInfo& call) {
  absl::StatusOr<v1::DeleteWebhookEndpointResponse> result =
      DeleteOrRefuse(r, call);
  if (!result.ok()) {
    RecordRefusedCall(db_, call, kDeleteMethod, EndpointResource(r.id()), "",
                      result.status());
  }
  return result;
}

absl::StatusOr<v1::DeleteWebhookEndpointResponse>
NotificationApi::DeleteOrRefuse(const v1::DeleteWebhookEndpointRequest& r,
                                const CallInfo& call) {
  if (!IsUuid(r.id())) {
    return absl::InvalidArgumentError(
        "id: give the endpoint's id (a UUID) from ListWebhookEndpoints");
  }
  CF_ASSIGN_OR_RETURN(
      int cancelled,
      db_.RunInTransaction<int>(
          "delete_webhook_endpoint",
          [&](storage::Transaction& tx) -> absl::StatusOr<int> {
            CF_RETURN_IF_ERROR(
                storage::NotificationRepository::DeleteEndpoint(tx, r.id()));
            // Deliveries not yet sent stop here; one being sent finishes.
            CF_ASSIGN_OR_RETURN(
                std::vector<int64_t> jobs,
                storage::NotificationRepository::UnfinishedDeliveryJobs(
                    tx, r.id()));
            for (int64_t job : jobs) {
              CF_RETURN_IF_ERROR(
                  storage::JobRepository::Cancel(tx, job).status());
            }
            CF_RETURN_IF_ERROR(storage::AuditRepository::Append(
                tx, {AuditEventFor(
                        call, kDeleteMethod, EndpointResource(r.id()), "",
                        absl::OkStatus(),
                        absl::StrCat("deleted; ", jobs.size(),
                                     " unsent deliveries cancelled; history "
                                     "kept"))}));
            return static_cast<int>(jobs.size());
          }));
  LogInfo(absl::StrCat("deleted webhook endpoint id=", r.id(),
                       " cancelled_deliveries=", cancelled,
                       " actor=", call.actor));
  return v1::DeleteWebhookEndpointResponse();
}

absl::StatusOr<v1::ListWebhookDeliveriesResponse>
NotificationApi::ListWebhookDeliveries(
    const v1::ListWebhookDeliveriesRequest& r) {
  storage::WebhookDeliveryQuery query;
  CF_ASSIGN_OR_RETURN(query.page_size, PageSize(r.page_size()));
  if (!r.endpoint_id().empty() && !IsUuid(r.endpoint_id())) {
    return absl::InvalidArgumentError(
        "endpoint_id: give the endpoint's id (a UUID) from "
        "ListWebhookEndpoints");
  }
  query.endpoint_id = r.endpoint_id();
  if (!v1::WebhookDeliveryState_IsValid(r.state())) {
    return absl::InvalidArgumentError("state: unknown value");
  }
  query.state = JobStateOf(r.state());
  if (!r.event().empty()) {
    query.event = model::ParseNotificationEvent(r.event());
    if (!query.event) {
      return absl::InvalidArgumentError(
          absl::StrCat("event: not an event; use one of ", EventNames()));
    }
  }
  const std::string filters =
      pki::Sha256Hex(
          absl::StrCat(r.endpoint_id(), "\n", r.state(), "\n", r.event()))
          .substr(0, 16);
  if (!r.page_token().empty()) {
    CF_ASSIGN_OR_RETURN(
        std::string cursor,
        DecodePageToken("ListWebhookDeliveries", filters, r.page_token()));
    if (!absl::SimpleAtoi(cursor, &query.before_job_id) ||
        query.before_job_id <= 0) {
      return absl::InvalidArgumentError(
          "page_token: not from ListWebhookDeliveries; start without "
          "page_token");
    }
  }
  const size_t page = static_cast<size_t>(query.page_size);
  ++query.page_size;
  CF_ASSIGN_OR_RETURN(
      std::vector<model::WebhookDelivery> rows,
      db_.RunAutocommit<std::vector<model::WebhookDelivery>>(
          "list_webhook_deliveries", [&](storage::Transaction& tx) {
            return storage::NotificationRepository::ListDeliveries(tx, query);
          }));
  v1::ListWebhookDeliveriesResponse out;
  for (size_t i = 0; i < rows.size() && i < page; ++i) {
    *out.add_deliveries() = ToProto(rows[i]);
  }
  if (rows.size() > page) {
    out.set_next_page_token(
        EncodePageToken(filters, absl::StrCat(rows[page - 1].job_id)));
  }
  return out;
}

}  // namespace certferry::service
