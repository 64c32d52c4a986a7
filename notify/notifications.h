#pragma once

// Webhook notifications: what certferry tells webhook endpoints about, and
// how a notice becomes deliveries.
//
// Every notice goes through the ledger (storage::NotificationRepository):
// it is recorded once under (subject, event, threshold_days, occurrence),
// and the transaction that records it also queues one delivery job (kind
// kDeliverWebhookJobKind) per live endpoint subscribed to its event. So a
// notice is sent once however many replicas or scans see it, and a caller
// that records it in the transaction of the change it announces (a
// deployment's end state) never loses it nor sends it for a change that
// rolled back. Endpoints created later do not receive earlier notices.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "model/certificate_authority.h"
#include "model/deployment.h"
#include "model/notification.h"
#include "storage/transaction.h"

namespace certferry::notify {

inline constexpr char kDeliverWebhookJobKind[] = "deliver_webhook";

// Attempts per delivery: with the runner's default backoff (1 s doubling
// to 5 min, equal jitter) retries go on for about an hour.
inline constexpr int kDeliveryMaxAttempts = 20;

// Records `notification` in the ledger and, when this call recorded it,
// queues its deliveries, all in `tx` (workers are woken when `tx`
// commits). Returns the notice as recorded, or nullopt when the ledger had
// it already (nothing is queued then). Database errors as
// storage::Database.
absl::StatusOr<std::optional<model::Notification>> EnqueueNotification(
    storage::Transaction& tx, const model::Notification& notification);

// Queues one delivery per subscribed endpoint for each of `recorded`
// (notices this transaction recorded), in `tx`. Returns how many.
absl::StatusOr<int> QueueDeliveries(
    storage::Transaction& tx, const std::vector<model::Notification>& recorded);

// Notices for the events other code raises. `occurrence` tells a renewal
// failure apart from earlier ones of the same certificate (e.g. the
// renewal's operation name): one notice per distinct value.
model::Notification DeploymentFailed(const model::Deployment& deployment,
                                     const std::string& error,
                                     bool auto_rolled_back);
// `undone` is the deployment that rollback `rolled_back_by` undid.
model::Notification DeploymentRolledBack(const model::Deployment& undone,
                                         int64_t rolled_back_by);
model::Notification RenewalFailed(const std::string& certificate_id,
                                  const std::string& certificate_name,
                                  int certificate_version,
                                  const std::string& error,
                                  const std::string& occurrence);
model::Notification CertificateAuthorityExpiring(
    const model::CertificateAuthority& authority, int threshold_days);

// The associated data an endpoint's HMAC secret is sealed with, so a
// sealed secret moved to another endpoint does not open.
std::string WebhookSecretAad(const std::string& endpoint_id);

}  // namespace certferry::notify
