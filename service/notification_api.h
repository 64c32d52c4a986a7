#pragma once

// The NotificationService RPCs as plain C++: webhook endpoints (their
// secrets sealed with the key ring and never returned) and the deliveries
// made to them. Thread-safe.

#include "absl/status/statusor.h"
#include "certferry/v1/notification_service.pb.h"
#include "model/notification.h"
#include "pki/key_envelope.h"
#include "service/call_info.h"
#include "storage/database.h"

namespace certferry::service {

class NotificationApi {
 public:
  // References must outlive the API.
  NotificationApi(storage::Database& db, const pki::KeyRing& keys)
      : db_(db), keys_(keys) {}

  absl::StatusOr<v1::WebhookEndpoint> CreateWebhookEndpoint(
      const v1::CreateWebhookEndpointRequest& r, const CallInfo& call = {});
  absl::StatusOr<v1::ListWebhookEndpointsResponse> ListWebhookEndpoints(
      const v1::ListWebhookEndpointsRequest& r);
  absl::StatusOr<v1::DeleteWebhookEndpointResponse> DeleteWebhookEndpoint(
      const v1::DeleteWebhookEndpointRequest& r, const CallInfo& call = {});
  absl::StatusOr<v1::ListWebhookDeliveriesResponse> ListWebhookDeliveries(
      const v1::ListWebhookDeliveriesRequest& r);

 private:
  absl::StatusOr<v1::WebhookEndpoint> CreateOrRefuse(
      const v1::CreateWebhookEndpointRequest& r, const CallInfo& call);
  absl::StatusOr<v1::DeleteWebhookEndpointResponse> DeleteOrRefuse(
      const v1::DeleteWebhookEndpointRequest& r, const CallInfo& call);

  storage::Database& db_;
  const pki::KeyRing& keys_;
};

v1::WebhookEndpoint ToProto(const model::WebhookEndpoint& endpoint);
v1::WebhookDelivery ToProto(const model::WebhookDelivery& delivery);

}  // namespace certferry::service
