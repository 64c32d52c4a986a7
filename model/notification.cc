#include "model/notification.h"

namespace certferry::model {
namespace {

constexpr std::pair<NotificationEvent, const char*> kNames[] = {
    {NotificationEvent::kCertificateExpiring, "certificate.expiring"},
    {NotificationEvent::kCertificateRenewalFailed,
     "certificate.renewal_failed"},
    {NotificationEvent::kDeploymentFailed, "deployment.failed"},
    {NotificationEvent::kDeploymentRolledBack, "deployment.rolled_back"},
    {NotificationEvent::kCertificateAuthorityExpiring,
     "certificate_authority.expiring"},
};

}  // namespace

const char* NotificationEventName(NotificationEvent event) {
  for (const auto& [value, name] : kNames) {
    if (value == event) return name;
  }
  return "certificate.expiring";
}

std::optional<NotificationEvent> ParseNotificationEvent(
    const std::string& name) {
  for (const auto& [value, text] : kNames) {
    if (name == text) return value;
  }
  return std::nullopt;
}

const std::vector<NotificationEvent>& AllNotificationEvents() {
  static const auto* const kAll = [] {
    auto* all = new std::vector<NotificationEvent>;
    for (const auto& [value, unused] : kNames) all->push_back(value);
    return all;
  }();
  return *kAll;
}

}  // namespace certferry::model
