#pragma once

// Webhook notifications as plain values shared by storage/, notify/,
// service/ and workers/. No secrets: an endpoint's HMAC secret is only ever
// held sealed (WebhookSecretCiphertext) outside the code that opens it.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "model/job.h"

namespace certferry::model {

enum class NotificationEvent {
  kCertificateExpiring,
  kCertificateRenewalFailed,
  kDeploymentFailed,
  kDeploymentRolledBack,
  kCertificateAuthorityExpiring,
};

// "certificate.expiring", "certificate.renewal_failed", "deployment.failed",
// "deployment.rolled_back", "certificate_authority.expiring": the names
// stored, sent in payloads and accepted by the API; and back (nullopt for
// unknown text).
const char* NotificationEventName(NotificationEvent event);
std::optional<NotificationEvent> ParseNotificationEvent(
    const std::string& name);
const std::vector<NotificationEvent>& AllNotificationEvents();

// One notice, recorded once in the ledger (storage/notification_repository.h)
// under (subject, event, threshold_days, occurrence). The other fields are
// what the payload says; those that do not apply to the event stay empty.
struct Notification {
  int64_t id = 0;  // assigned when recorded
  NotificationEvent event = NotificationEvent::kCertificateExpiring;
  std::string subject;     // e.g. "certificates/<id>", "deployments/17"
  int threshold_days = 0;  // expiring events; 0 otherwise
  std::string occurrence;  // e.g. "version 3"; see migration 0013
  std::string certificate_id;
  std::string certificate_name;
  int certificate_version = 0;
  std::optional<absl::Time> not_after;  // the certificate's or the CA's
  std::string certificate_authority_id;
  std::string certificate_authority_name;
  int64_t deployment_id = 0;
  std::string deployment_kind;  // "deploy" or "rollback"
  std::string deployment_target;
  bool auto_rolled_back = false;
  int64_t rolled_back_by = 0;  // the rollback deployment that undid it
  std::string error;           // of a failure event; never secret
  absl::Time create_time;      // when recorded
};

struct WebhookEndpoint {
  std::string id;
  std::string url;
  std::string description;
  std::vector<NotificationEvent> events;  // empty: every event
  absl::Time create_time;
};

// An endpoint's HMAC secret as stored: sealed under a KEK
// (pki/key_envelope.h) with associated data notify::WebhookSecretAad(id).
struct WebhookSecretCiphertext {
  std::string kek_id;
  std::string nonce;       // raw bytes
  std::string ciphertext;  // raw bytes, GCM tag at the end
};

// A delivery of one notification to one endpoint, carried out by a job.
struct WebhookDelivery {
  std::string id;  // sent as X-Certferry-Delivery
  int64_t job_id = 0;
  std::string endpoint_id;
  std::string endpoint_url;
  Notification notification;
  // From the job (nullopt when the job record was pruned).
  std::optional<JobState> state;
  int attempts = 0;
  int max_attempts = 0;
  absl::Time next_attempt_time;  // when queued
  std::string job_error;         // the job's last error
  // The latest attempt.
  int last_status_code = 0;  // 0: no HTTP response
  std::string last_error;
  std::optional<absl::Time> last_attempt_time;
  std::optional<absl::Time> delivered_time;
  absl::Time create_time;
};

}  // namespace certferry::model
