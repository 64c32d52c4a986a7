#pragma once

// gRPC adapter for NotificationApi.

#include "certferry/v1/notification_service.grpc.pb.h"
#include "service/notification_api.h"

namespace certferry::service {

class NotificationServiceImpl final : public v1::NotificationService::Service {
 public:
  explicit NotificationServiceImpl(NotificationApi& api) : api_(api) {}

  grpc::Status CreateWebhookEndpoint(
      grpc::ServerContext* context,
      const v1::CreateWebhookEndpointRequest* request,
      v1::WebhookEndpoint* response) override;
  grpc::Status ListWebhookEndpoints(
      grpc::ServerContext* context,
      const v1::ListWebhookEndpointsRequest* request,
      v1::ListWebhookEndpointsResponse* response) override;
  grpc::Status DeleteWebhookEndpoint(
      grpc::ServerContext* context,
      const v1::DeleteWebhookEndpointRequest* request,
      v1::DeleteWebhookEndpointResponse* response) override;
  grpc::Status ListWebhookDeliveries(
      grpc::ServerContext* context,
      const v1::ListWebhookDeliveriesRequest* request,
      v1::ListWebhookDeliveriesResponse* response) override;

 private:
  NotificationApi& api_;
};

}  // namespace certferry::service
