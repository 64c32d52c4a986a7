#include "notify/webhook_payload.h"

#include <nlohmann/json.hpp>

namespace certferry::notify {
namespace {

std::string Rfc3339(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", time, absl::UTCTimeZone());
}

nlohmann::json OptionalTime(const std::optional<absl::Time>& time) {
  return time ? nlohmann::json(Rfc3339(*time)) : nlohmann::json(nullptr);
}

}  // namespace

std::string WebhookPayload(const model::Notification& n,
                           const std::string& delivery_id) {
  nlohmann::json body = nlohmann::json::object();
  body["schema_version"] = 1;
  body["delivery_id"] = delivery_id;
  body["notification_id"] = n.id;
  body["event"] = model::NotificationEventName(n.event);
  body["time"] = Rfc3339(n.create_time);
  const bool expiring =
      n.event == model::NotificationEvent::kCertificateExpiring ||
      n.event == model::NotificationEvent::kCertificateAuthorityExpiring;
  body["threshold_days"] =
      expiring ? nlohmann::json(n.threshold_days) : nlohmann::json(nullptr);
  body["certificate"] = nullptr;
  if (!n.certificate_id.empty()) {
    body["certificate"] = {{"id", n.certificate_id},
                           {"name", n.certificate_name},
                           {"version", n.certificate_version},
                           {"not_after", OptionalTime(n.not_after)}};
  }
  body["certificate_authority"] = nullptr;
  if (!n.certificate_authority_id.empty()) {
    body["certificate_authority"] = {{"id", n.certificate_authority_id},
                                     {"name", n.certificate_authority_name},
                                     {"not_after", OptionalTime(n.not_after)}};
  }
  body["deployment"] = nullptr;
  if (n.deployment_id != 0) {
    body["deployment"] = {{"id", n.deployment_id},
                          {"kind", n.deployment_kind},
                          {"target", n.deployment_target},
                          {"auto_rolled_back", n.auto_rolled_back},
                          {"rolled_back_by", n.rolled_back_by}};
  }
  body["error"] = n.error;
  // Error texts come from peers and commands: replace invalid UTF-8
  // instead of failing the delivery.
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace certferry::notify
