#include "storage/notification_repository.h"

#include <pqxx/pqxx>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "storage/pg_values.h"
#include "storage/queries/notification_queries.h"

namespace certferry::storage {
namespace {

using model::Notification;
using model::WebhookEndpoint;

std::optional<absl::Time> OptionalTime(const pqxx::field& field) {
  if (field.is_null()) return std::nullopt;
  return FromEpochMicros(field);
}

// CERTFERRY_NOTIFICATION_COLUMNS, starting at column `at`.
Notification NotificationFromRow(const pqxx::row& row, int at) {
  Notification n;
  n.id = row[at].as<int64_t>();
  n.event = model::ParseNotificationEvent(row[at + 1].as<std::string>())
                .value_or(model::NotificationEvent::kCertificateExpiring);
  n.subject = row[at + 2].as<std::string>();
  n.threshold_days = row[at + 3].as<int>();
  n.occurrence = row[at + 4].as<std::string>();
  n.certificate_id = row[at + 5].as<std::string>();
  n.certificate_name = row[at + 6].as<std::string>();
  n.certificate_version = row[at + 7].as<int>();
  n.not_after = OptionalTime(row[at + 8]);
  n.certificate_authority_id = row[at + 9].as<std::string>();
  n.certificate_authority_name = row[at + 10].as<std::string>();
  n.deployment_id = row[at + 11].as<int64_t>();
  n.deployment_kind = row[at + 12].as<std::string>();
  n.deployment_target = row[at + 13].as<std::string>();
  n.auto_rolled_back = row[at + 14].as<bool>();
  n.rolled_back_by = row[at + 15].as<int64_t>();
  n.error = row[at + 16].as<std::string>();
  n.create_time = FromEpochMicros(row[at + 17]);
  return n;
}

std::vector<Notification> NotificationsFromRows(const pqxx::result& rows) {
  std::vector<Notification> out;
  out.reserve(rows.size());
  for (const auto& row : rows) out.push_back(NotificationFromRow(row, 0));
  return out;
}

WebhookEndpoint EndpointFromRow(const pqxx::row& row) {
  WebhookEndpoint e;
  e.id = row[0].as<std::string>();
  e.url = row[1].as<std::string>();
  e.description = row[2].as<std::string>();
  for (const std::string& name : FromTextArray(row[3])) {
    if (auto event = model::ParseNotificationEvent(name)) {
      e.events.push_back(*event);
    }
  }
  e.create_time = FromEpochMicros(row[4]);
  return e;
}

std::string ThresholdsLiteral(const std::vector<int>& days) {
  std::vector<std::string> text;
  text.reserve(days.size());
  for (int d : days) text.push_back(absl::StrCat(d));
  return ToTextArrayLiteral(text);
}

}  // namespace

absl::StatusOr<std::optional<Notification>> NotificationRepository::Record(
    Transaction& tx, const Notification& n) {
  const pqxx::result rows = tx.pqxx().exec_prepared(
      queries::kRecordNotification.name, model::NotificationEventName(n.event),
      n.subject, n.threshold_days, n.occurrence, n.certificate_id,
      n.certificate_name, n.certificate_version,
      n.not_after ? ToTimestampText(*n.not_after) : "",
      n.certificate_authority_id, n.certificate_authority_name, n.deployment_id,
      n.deployment_kind, n.deployment_target, n.auto_rolled_back,
      n.rolled_back_by, n.error);
  if (rows.empty()) return std::nullopt;
  return NotificationFromRow(rows[0], 0);
}

absl::StatusOr<std::vector<Notification>>
NotificationRepository::RecordDueCertificateExpiries(
    Transaction& tx, const std::vector<int>& threshold_days, absl::Time now,
    int limit) {
  return NotificationsFromRows(tx.pqxx().exec_prepared(
      queries::kRecordDueCertificateExpiries.name,
      ThresholdsLiteral(threshold_days), ToTimestampText(now), limit));
}

absl::StatusOr<std::vector<Notification>>
NotificationRepository::RecordDueAuthorityExpiries(
    Transaction& tx, const std::vector<int>& threshold_days, absl::Time now,
    int limit) {
  return NotificationsFromRows(tx.pqxx().exec_prepared(
      queries::kRecordDueAuthorityExpiries.name,
      ThresholdsLiteral(threshold_days), ToTimestampText(now), limit));
}

absl::StatusOr<WebhookEndpoint> NotificationRepository::CreateEndpoint(
    Transaction& tx, const WebhookEndpoint& e,
    const model::WebhookSecretCiphertext& secret) {
  std::vector<std::string> events;
  for (model::NotificationEvent event : e.events) {
    events.push_back(model::NotificationEventName(event));
  }
  const pqxx::result rows = tx.pqxx().exec_prepared(
      queries::kInsertWebhookEndpoint.name, e.id, e.url, e.description,
      ToTextArrayLiteral(events), secret.kek_id,
      absl::BytesToHexString(secret.nonce),
      absl::BytesToHexString(secret.ciphertext));
  return EndpointFromRow(rows.at(0));
}

absl::StatusOr<WebhookEndpoint> NotificationRepository::GetEndpoint(
    Transaction& tx, const std::string& id) {
  const pqxx::result rows =
      tx.pqxx().exec_prepared(queries::kGetWebhookEndpoint.name, id);
  if (rows.empty()) {
    return absl::NotFoundError(absl::StrCat("webhook endpoint ", id,
                                            " not found; list them with "
                                            "ListWebhookEndpoints"));
  }
  return EndpointFromRow(rows[0]);
}

absl::StatusOr<std::vector<WebhookEndpoint>>
NotificationRepository::ListEndpoints(Transaction& tx,
                                      std::optional<absl::Time> after_time,
                                      const std::string& after_id, int limit) {
  const int64_t after_micros =
      after_time ? absl::ToUnixMicros(*after_time) : int64_t{0};
  const pqxx::result rows = tx.pqxx().exec_prepared(
      queries::kListWebhookEndpoints.name, after_micros,
      after_time ? after_id : "00000000-0000-0000-0000-000000000000", limit);
  std::vector<WebhookEndpoint> out;
  out.reserve(rows.size());
  for (const auto& row : rows) out.push_back(EndpointFromRow(row));
  return out;
}

absl::Status NotificationRepository::DeleteEndpoint(Transaction& tx,
                                                    const std::string& id) {
  const pqxx::result rows =
      tx.pqxx().exec_prepared(queries::kDeleteWebhookEndpoint.name, id);
  if (rows.empty()) {
    return absl::NotFoundError(
        absl::StrCat("webhook endpoint ", id, " not found"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>>
NotificationRepository::SubscribedEndpoints(Transaction& tx,
                                            model::NotificationEvent event) {
  const pqxx::result rows =
      tx.pqxx().exec_prepared(queries::kSubscribedWebhookEndpoints.name,
                              model::NotificationEventName(event));
  std::vector<std::string> ids;
  ids.reserve(rows.size());
  for (const auto& row : rows) ids.push_back(row[0].as<std::string>());
  return ids;
}

absl::Status NotificationRepository::AddDeliveries(
    Transaction& tx, const std::vector<NewWebhookDelivery>& deliveries) {
  if (deliveries.empty()) return absl::OkStatus();
  std::vector<std::string> ids, notification_ids, endpoint_ids, job_ids;
  for (const NewWebhookDelivery& d : deliveries) {
    ids.push_back(d.id);
    notification_ids.push_back(absl::StrCat(d.notification_id));
    endpoint_ids.push_back(d.endpoint_id);
    job_ids.push_back(absl::StrCat(d.job_id));
  }
  tx.pqxx().exec_prepared0(
      queries::kAddWebhookDeliveries.name, ToTextArrayLiteral(ids),
      ToTextArrayLiteral(notification_ids), ToTextArrayLiteral(endpoint_ids),
      ToTextArrayLiteral(job_ids));
  return absl::OkStatus();
}

absl::StatusOr<DeliveryToSend> NotificationRepository::GetDeliveryToSend(
    Transaction& tx, const std::string& delivery_id) {
  const pqxx::result rows =
      tx.pqxx().exec_prepared(queries::kGetDeliveryToSend.name, delivery_id);
  if (rows.empty()) {
    return absl::NotFoundError(
        absl::StrCat("webhook delivery ", delivery_id, " not found"));
  }
  const pqxx::row& row = rows[0];
  DeliveryToSend d;
  d.id = row[0].as<std::string>();
  d.endpoint_id = row[1].as<std::string>();
  d.url = row[2].as<std::string>();
  d.endpoint_deleted = row[3].as<bool>();
  d.secret.kek_id = row[4].as<std::string>();
  d.secret.nonce = absl::HexStringToBytes(row[5].as<std::string>());
  d.secret.ciphertext = absl::HexStringToBytes(row[6].as<std::string>());
  d.notification = NotificationFromRow(row, 7);
  return d;
}

absl::Status NotificationRepository::RecordAttempt(
    Transaction& tx, const std::string& delivery_id, int status_code,
    const std::string& error, bool delivered) {
  tx.pqxx().exec_prepared0(queries::kRecordDeliveryAttempt.name, delivery_id,
                           status_code, error, delivered);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<model::WebhookDelivery>>
NotificationRepository::ListDeliveries(Transaction& tx,
                                       const WebhookDeliveryQuery& q) {
  const pqxx::result rows = tx.pqxx().exec_prepared(
      queries::kListWebhookDeliveries.name, q.endpoint_id,
      q.state ? model::JobStateName(*q.state) : "",
      q.event ? model::NotificationEventName(*q.event) : "", q.before_job_id,
      q.page_size);
  std::vector<model::WebhookDelivery> out;
  out.reserve(rows.size());
  for (const auto& row : rows) {
    model::WebhookDelivery d;
    d.id = row[0].as<std::string>();
    d.job_id = row[1].as<int64_t>();
    d.endpoint_id = row[2].as<std::string>();
    d.endpoint_url = row[3].as<std::string>();
    d.state = model::JobStateFromName(row[4].as<std::string>());
    d.attempts = row[5].as<int>();
    d.max_attempts = row[6].as<int>();
    d.next_attempt_time = FromEpochMicros(row[7]);
    d.job_error = row[8].as<std::string>();
    d.last_status_code = row[9].as<int>();
    d.last_error = row[10].as<std::string>();
    d.last_attempt_time = OptionalTime(row[11]);
    d.delivered_time = OptionalTime(row[12]);
    d.create_time = FromEpochMicros(row[13]);
    d.notification = NotificationFromRow(row, 14);
    out.push_back(std::move(d));
  }
  return out;
}

absl::StatusOr<std::vector<int64_t>>
NotificationRepository::UnfinishedDeliveryJobs(Transaction& tx,
                                               const std::string& endpoint_id) {
  const pqxx::result rows = tx.pqxx().exec_prepared(
      queries::kUnfinishedDeliveryJobs.name, endpoint_id);
  std::vector<int64_t> ids;
  ids.reserve(rows.size());
  for (const auto& row : rows) ids.push_back(row[0].as<int64_t>());
  return ids;
}

}  // namespace certferry::storage
