#include "service/notification_service.h"

#include "service/call_context.h"
#include "service/grpc_reply.h"

namespace certferry::service {

grpc::Status NotificationServiceImpl::CreateWebhookEndpoint(
    grpc::ServerContext* context,
    const v1::CreateWebhookEndpointRequest* request,
    v1::WebhookEndpoint* response) {
  return Reply(api_.CreateWebhookEndpoint(*request, CallInfoFrom(*context)),
               response);
}

grpc::Status NotificationServiceImpl::ListWebhookEndpoints(
    grpc::ServerContext* context,
    const v1::ListWebhookEndpointsRequest* request,
    v1::ListWebhookEndpointsResponse* response) {
  return Reply(api_.ListWebhookEndpoints(*request), response);
}

grpc::Status NotificationServiceImpl::DeleteWebhookEndpoint(
    grpc::ServerContext* context,
    const v1::DeleteWebhookEndpointRequest* request,
    v1::DeleteWebhookEndpointResponse* response) {
  return Reply(api_.DeleteWebhookEndpoint(*request, CallInfoFrom(*context)),
               response);
}

grpc::Status NotificationServiceImpl::ListWebhookDeliveries(
    grpc::ServerContext* context,
    const v1::ListWebhookDeliveriesRequest* request,
    v1::ListWebhookDeliveriesResponse* response) {
  return Reply(api_.ListWebhookDeliveries(*request), response);
}

}  // namespace certferry::service
