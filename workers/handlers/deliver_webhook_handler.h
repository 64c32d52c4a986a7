#pragma once

// Job kind "deliver_webhook" (notify::kDeliverWebhookJobKind): POSTs one
// notification to one webhook endpoint, signed with the endpoint's secret
// (notify/webhook_signature.h), and records each attempt's HTTP status and
// error with the delivery.
//
// A 2xx answer delivers it. No answer (connect, TLS or timeout errors),
// 408, 429, 5xx and any other status outside 2xx-4xx are retried by the
// runner with backoff (UNAVAILABLE, or DEADLINE_EXCEEDED); other 4xx
// answers mean the receiver refuses it: the job fails at once
// (FAILED_PRECONDITION) with the status kept. A delivery whose endpoint
// was deleted is not sent (FAILED_PRECONDITION).
//
// At least once: a worker that dies after sending and before its
// completion commits sends again, with the same X-Certferry-Delivery id
// and body (receivers drop a delivery id they have seen). Thread-safe.

#include "absl/time/time.h"
#include "cloud/http_client.h"
#include "common/clock.h"
#include "notify/notifications.h"
#include "pki/key_envelope.h"
#include "storage/database.h"
#include "workers/job_handler.h"

namespace certferry::workers {

struct WebhookDeliveryConfig {
  // The whole exchange of one attempt (connect, send, answer).
  absl::Duration timeout = absl::Seconds(10);
};

class DeliverWebhookHandler final : public JobHandler {
 public:
  static constexpr const char* kKind = notify::kDeliverWebhookJobKind;

  // All references must outlive the handler.
  DeliverWebhookHandler(storage::Database& db, const pki::KeyRing& keys,
                        cloud::HttpClient& http, const Clock& clock,
                        WebhookDeliveryConfig config = {})
      : db_(db), keys_(keys), http_(http), clock_(clock), config_(config) {}

  // JobHandler. Payload {"delivery_id": "<uuid>"}; result {"delivery_id":
  // ..., "status_code": 200}.
  absl::StatusOr<std::string> Run(JobContext& context) override;

 private:
  storage::Database& db_;
  const pki::KeyRing& keys_;
  cloud::HttpClient& http_;
  const Clock& clock_;
  WebhookDeliveryConfig config_;
};

}  // namespace certferry::workers
