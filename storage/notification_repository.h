#pragma once

// Webhook endpoints, the ledger of notifications and their deliveries
// (migration 0013). Every method runs in the caller's Transaction.
// Stateless and thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "model/notification.h"
#include "storage/transaction.h"

namespace certferry::storage {

struct NewWebhookDelivery {
  std::string id;  // a UUID
  int64_t notification_id = 0;
  std::string endpoint_id;
  int64_t job_id = 0;
};

// A delivery with what it sends and where.
struct DeliveryToSend {
  std::string id;
  std::string endpoint_id;
  std::string url;
  bool endpoint_deleted = false;
  model::WebhookSecretCiphertext secret;
  model::Notification notification;
};

struct WebhookDeliveryQuery {
  std::string endpoint_id;  // empty: any
  std::optional<model::JobState> state;
  std::optional<model::NotificationEvent> event;
  int64_t before_job_id = 0;  // keyset cursor; 0: newest first
  int page_size = 50;
};

class NotificationRepository {
 public:
  // Records `notification` (id and create_time are ignored) unless the
  // ledger has one with the same subject, event, threshold_days and
  // occurrence. An empty certificate_name and a missing not_after are
  // filled in from certificate_id and certificate_version. Returns it as stored
  // when this call recorded it; nullopt when it was recorded before (or by a
  // concurrent transaction, which this call waits for): then someone else
  // queues its deliveries.
  static absl::StatusOr<std::optional<model::Notification>> Record(
      Transaction& tx, const model::Notification& notification);

  // The expiry scan: records, at most `limit` at a time, the notices of
  // certificates (latest version) and of built-in CAs that have come within
  // one of `threshold_days` of notAfter at `now` and are not expired.
  // Returns those this call recorded (see Record).
  static absl::StatusOr<std::vector<model::Notification>>
  RecordDueCertificateExpiries(Transaction& tx,
                               const std::vector<int>& threshold_days,
                               absl::Time now, int limit);
  static absl::StatusOr<std::vector<model::Notification>>
  RecordDueAuthorityExpiries(Transaction& tx,
                             const std::vector<int>& threshold_days,
                             absl::Time now, int limit);

  // `endpoint.id` must be a fresh UUID (the secret is sealed for it).
  static absl::StatusOr<model::WebhookEndpoint> CreateEndpoint(
      Transaction& tx, const model::WebhookEndpoint& endpoint,
      const model::WebhookSecretCiphertext& secret);
  // NOT_FOUND for an unknown or deleted endpoint.
  static absl::StatusOr<model::WebhookEndpoint> GetEndpoint(
      Transaction& tx, const std::string& id);
  // Live endpoints, oldest first, after the (create_time, id) cursor
  // (none: from the start).
  static absl::StatusOr<std::vector<model::WebhookEndpoint>> ListEndpoints(
      Transaction& tx, std::optional<absl::Time> after_time,
      const std::string& after_id, int limit);
  // Soft delete; its deliveries stay. NOT_FOUND when not live.
  static absl::Status DeleteEndpoint(Transaction& tx, const std::string& id);
  // Ids of the live endpoints that receive `event`.
  static absl::StatusOr<std::vector<std::string>> SubscribedEndpoints(
      Transaction& tx, model::NotificationEvent event);

  static absl::Status AddDeliveries(
      Transaction& tx, const std::vector<NewWebhookDelivery>& deliveries);
  // NOT_FOUND for an unknown delivery.
  static absl::StatusOr<DeliveryToSend> GetDeliveryToSend(
      Transaction& tx, const std::string& delivery_id);
  // Stores the outcome of an attempt: the HTTP status (0 when there was no
  // response) and the error ("" when delivered).
  static absl::Status RecordAttempt(Transaction& tx,
                                    const std::string& delivery_id,
                                    int status_code, const std::string& error,
                                    bool delivered);
  // Newest first.
  static absl::StatusOr<std::vector<model::WebhookDelivery>> ListDeliveries(
      Transaction& tx, const WebhookDeliveryQuery& query);
  // Job ids of the endpoint's deliveries still queued or running.
  static absl::StatusOr<std::vector<int64_t>> UnfinishedDeliveryJobs(
      Transaction& tx, const std::string& endpoint_id);
};

}  // namespace certferry::storage
