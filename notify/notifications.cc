#include "notify/notifications.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/status_macros.h"
#include "storage/job_repository.h"
#include "storage/notification_repository.h"

namespace certferry::notify {

absl::StatusOr<std::optional<model::Notification>> EnqueueNotification(
    storage::Transaction& tx, const model::Notification& notification) {
  CF_ASSIGN_OR_RETURN(
      std::optional<model::Notification> recorded,
      storage::NotificationRepository::Record(tx, notification));
  if (recorded) CF_RETURN_IF_ERROR(QueueDeliveries(tx, {*recorded}).status());
  return recorded;
}

absl::StatusOr<int> QueueDeliveries(
    storage::Transaction& tx,
    const std::vector<model::Notification>& recorded) {
  std::map<model::NotificationEvent, std::vector<std::string>> endpoints;
  std::vector<storage::NewJob> jobs;
  std::vector<storage::NewWebhookDelivery> deliveries;
  for (const model::Notification& n : recorded) {
    auto it = endpoints.find(n.event);
    if (it == endpoints.end()) {
      CF_ASSIGN_OR_RETURN(
          std::vector<std::string> ids,
          storage::NotificationRepository::SubscribedEndpoints(tx, n.event));
      it = endpoints.emplace(n.event, std::move(ids)).first;
    }
    for (const std::string& endpoint_id : it->second) {
      storage::NewWebhookDelivery delivery;
      delivery.id = NewUuid();
      delivery.notification_id = n.id;
      delivery.endpoint_id = endpoint_id;
      storage::NewJob job;
      job.kind = kDeliverWebhookJobKind;
      job.payload_json =
          absl::StrCat(R"({"delivery_id":")", delivery.id, R"("})");
      job.max_attempts = kDeliveryMaxAttempts;
      jobs.push_back(std::move(job));
      deliveries.push_back(std::move(delivery));
    }
  }
  if (deliveries.empty()) return 0;
  CF_ASSIGN_OR_RETURN(std::vector<model::Job> queued,
                      storage::JobRepository::EnqueueMany(tx, jobs));
  for (size_t i = 0; i < deliveries.size(); ++i) {
    deliveries[i].job_id = queued.at(i).id;
  }
  CF_RETURN_IF_ERROR(
      storage::NotificationRepository::AddDeliveries(tx, deliveries));
  // Rare enough that the commit-time notify lock costs nothing.
  CF_RETURN_IF_ERROR(storage::JobRepository::NotifyWorkers(tx));
  return static_cast<int>(deliveries.size());
}

namespace {

// A notice about `deployment` and what it deployed.
model::Notification DeploymentNotice(model::NotificationEvent event,
                                     const model::Deployment& deployment) {
  model::Notification n;
  n.event = event;
  n.subject = absl::StrCat("deployments/", deployment.id);
  n.certificate_id = deployment.contents.certificate_id;
  n.certificate_version = deployment.contents.certificate_version;
  n.deployment_id = deployment.id;
  n.deployment_kind = deployment.kind;
  n.deployment_target = deployment.target_name;
  return n;
}

}  // namespace

model::Notification DeploymentFailed(const model::Deployment& deployment,
                                     const std::string& error,
                                     bool auto_rolled_back) {
  model::Notification n =
      DeploymentNotice(model::NotificationEvent::kDeploymentFailed, deployment);
  n.auto_rolled_back = auto_rolled_back;
  n.error = error;
  return n;
}

model::Notification DeploymentRolledBack(const model::Deployment& undone,
                                         int64_t rolled_back_by) {
  model::Notification n =
      DeploymentNotice(model::NotificationEvent::kDeploymentRolledBack, undone);
  n.rolled_back_by = rolled_back_by;
  return n;
}

model::Notification RenewalFailed(const std::string& certificate_id,
                                  const std::string& certificate_name,
                                  int certificate_version,
                                  const std::string& error,
                                  const std::string& occurrence) {
  model::Notification n;
  n.event = model::NotificationEvent::kCertificateRenewalFailed;
  n.subject = absl::StrCat("certificates/", certificate_id);
  n.occurrence = occurrence;
  n.certificate_id = certificate_id;
  n.certificate_name = certificate_name;
  n.certificate_version = certificate_version;
  n.error = error;
  return n;
}

model::Notification CertificateAuthorityExpiring(
    const model::CertificateAuthority& authority, int threshold_days) {
  model::Notification n;
  n.event = model::NotificationEvent::kCertificateAuthorityExpiring;
  n.subject = absl::StrCat("certificate_authorities/", authority.id);
  n.threshold_days = threshold_days;
  n.certificate_authority_id = authority.id;
  n.certificate_authority_name = authority.name;
  n.not_after = authority.not_after;
  return n;
}

std::string WebhookSecretAad(const std::string& endpoint_id) {
  return absl::StrCat("certferry/webhook_secret/", endpoint_id);
}

}  // namespace certferry::notify
