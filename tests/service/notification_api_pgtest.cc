// NotificationApi against PostgreSQL: endpoint validation with the field
// named, secrets sealed and never returned, idempotent creation, paging,
// deletion that cancels unsent deliveries, and the delivery listing's
// filters. No job runner: queued deliveries stay queued.

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "notify/notifications.h"
#include "service/notification_api.h"
#include "tests/support/service_stack.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_database.h"

namespace certferry::service {
namespace {

using ::certferry::testing::IsOk;
using ::certferry::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;

constexpr char kSecret[] = "a-webhook-secret-of-32-characters";

class NotificationApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto stack = testing::ServiceStack::Create();
    ASSERT_THAT(stack, IsOk());
    stack_ = *std::move(stack);
  }

  NotificationApi& api() { return stack_->notifications(); }

  v1::CreateWebhookEndpointRequest Request(const std::string& url) {
    v1::CreateWebhookEndpointRequest r;
    r.set_url(url);
    r.set_secret(kSecret);
    return r;
  }

  std::unique_ptr<testing::ServiceStack> stack_;
};

TEST_F(NotificationApiTest, RefusesBadInputNamingTheField) {
  EXPECT_THAT(api().CreateWebhookEndpoint(Request("http://hooks.example.com")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("url: "), HasSubstr("https://"))));
  v1::CreateWebhookEndpointRequest short_secret =
      Request("https://hooks.example.com/x");
  short_secret.set_secret("short");
  EXPECT_THAT(api().CreateWebhookEndpoint(short_secret),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("secret: "), Not(HasSubstr("short")))));
  v1::CreateWebhookEndpointRequest bad_event =
      Request("https://hooks.example.com/x");
  bad_event.add_events("deployment.failed");
  bad_event.add_events("certificate.expired");
  EXPECT_THAT(api().CreateWebhookEndpoint(bad_event),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("events[1]: "),
                             HasSubstr("certificate.expiring"))));
  v1::CreateWebhookEndpointRequest twice =
      Request("https://hooks.example.com/x");
  twice.add_events("deployment.failed");
  twice.add_events("deployment.failed");
  EXPECT_THAT(
      api().CreateWebhookEndpoint(twice),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("events[1]: ")));
  // Refusals are audited without the secret.
  EXPECT_EQ(*testing::QueryScalar(
                stack_->dsn(),
                "SELECT count(*) FROM audit_outbox WHERE action = "
                "'CreateWebhookEndpoint' AND outcome = 'INVALID_ARGUMENT'"),
            "4");
  EXPECT_EQ(*testing::QueryScalar(stack_->dsn(),
                                  "SELECT count(*) FROM webhook_endpoints"),
            "0");
}

TEST_F(NotificationApiTest, SecretIsSealedAndNeverReturned) {
  v1::CreateWebhookEndpointRequest r =
      Request("https://hooks.example.com/certferry");
  r.add_events("certificate.expiring");
  r.set_description("on-call");
  auto created = api().CreateWebhookEndpoint(r);
  ASSERT_THAT(created, IsOk());
  EXPECT_EQ(created->url(), "https://hooks.example.com/certferry");
  EXPECT_THAT(created->events(),
              ::testing::ElementsAre("certificate.expiring"));
  EXPECT_EQ(created->description(), "on-call");
  EXPECT_THAT(created->SerializeAsString(), Not(HasSubstr(kSecret)));
  // Stored as AES-GCM ciphertext (plaintext plus the 16-byte tag).
  EXPECT_EQ(
      *testing::QueryScalar(
          stack_->dsn(), absl::StrCat("SELECT length(secret_ciphertext) FROM "
                                      "webhook_endpoints WHERE id = '",
                                      created->id(), "'")),
      absl::StrCat(sizeof(kSecret) - 1 + 16));
  EXPECT_EQ(
      *testing::QueryScalar(stack_->dsn(),
                            absl::StrCat("SELECT position('", kSecret,
                                         "'::bytea IN secret_ciphertext) FROM "
                                         "webhook_endpoints")),
      "0");
  auto listed = api().ListWebhookEndpoints({});
  ASSERT_THAT(listed, IsOk());
  ASSERT_THAT(listed->endpoints(), SizeIs(1));
  EXPECT_THAT(listed->SerializeAsString(), Not(HasSubstr(kSecret)));
}

TEST_F(NotificationApiTest, RepeatedRequestIdReturnsTheFirstEndpoint) {
  v1::CreateWebhookEndpointRequest r = Request("https://hooks.example.com/a");
  r.set_request_id("req-1");
  auto first = api().CreateWebhookEndpoint(r);
  auto again = api().CreateWebhookEndpoint(r);
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->id(), first->id());
  r.set_url("https://hooks.example.com/b");
  EXPECT_THAT(
      api().CreateWebhookEndpoint(r),
      StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("request_id")));
  EXPECT_EQ(*testing::QueryScalar(stack_->dsn(),
                                  "SELECT count(*) FROM webhook_endpoints"),
            "1");
}

TEST_F(NotificationApiTest, ListsEndpointsPageByPageOldestFirst) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    auto created = api().CreateWebhookEndpoint(
        Request(absl::StrCat("https://hooks.example.com/", i)));
    ASSERT_THAT(created, IsOk());
    ids.push_back(created->id());
  }
  std::vector<std::string> seen;
  v1::ListWebhookEndpointsRequest r;
  r.set_page_size(2);
  do {
    auto page = api().ListWebhookEndpoints(r);
    ASSERT_THAT(page, IsOk());
    for (const auto& e : page->endpoints()) seen.push_back(e.id());
    r.set_page_token(page->next_page_token());
  } while (!r.page_token().empty());
  EXPECT_EQ(seen, ids);
  r.set_page_token("bm9wZQ");
  EXPECT_THAT(
      api().ListWebhookEndpoints(r),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_token")));
}

TEST_F(NotificationApiTest, DeleteCancelsUnsentDeliveriesAndKeepsHistory) {
  auto all = api().CreateWebhookEndpoint(Request("https://a.example.com/"));
  v1::CreateWebhookEndpointRequest only_deployments =
      Request("https://b.example.com/");
  only_deployments.add_events("deployment.failed");
  auto deployments = api().CreateWebhookEndpoint(only_deployments);
  ASSERT_THAT(all, IsOk());
  ASSERT_THAT(deployments, IsOk());
  auto cert = stack_->ImportFor("shop", {"shop.example.com"});
  ASSERT_THAT(cert, IsOk());
  ASSERT_THAT(stack_->db().RunInTransaction(
                  "renewal_failed",
                  [&](storage::Transaction& tx) {
                    return notify::EnqueueNotification(
                               tx, notify::RenewalFailed(cert->id, "", 1,
                                                         "boom", "attempt 1"))
                        .status();
                  }),
              IsOk());

  v1::ListWebhookDeliveriesRequest list;
  auto pending = api().ListWebhookDeliveries(list);
  ASSERT_THAT(pending, IsOk());
  ASSERT_THAT(pending->deliveries(), SizeIs(1));  // not to `deployments`
  const v1::WebhookDelivery& d = pending->deliveries(0);
  EXPECT_EQ(d.endpoint_id(), all->id());
  EXPECT_EQ(d.state(), v1::WEBHOOK_DELIVERY_STATE_PENDING);
  EXPECT_EQ(d.notification().event(), "certificate.renewal_failed");
  EXPECT_EQ(d.notification().certificate_name(), "shop");
  EXPECT_EQ(d.notification().error(), "boom");
  EXPECT_EQ(d.max_attempts(), notify::kDeliveryMaxAttempts);

  v1::DeleteWebhookEndpointRequest del;
  del.set_id(all->id());
  ASSERT_THAT(api().DeleteWebhookEndpoint(del), IsOk());
  EXPECT_THAT(api().DeleteWebhookEndpoint(del),
              StatusIs(absl::StatusCode::kNotFound));
  del.set_id("not-a-uuid");
  EXPECT_THAT(api().DeleteWebhookEndpoint(del),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("id: ")));

  list.set_state(v1::WEBHOOK_DELIVERY_STATE_CANCELLED);
  auto cancelled = api().ListWebhookDeliveries(list);
  ASSERT_THAT(cancelled, IsOk());
  ASSERT_THAT(cancelled->deliveries(), SizeIs(1));
  EXPECT_EQ(cancelled->deliveries(0).id(), d.id());
  auto endpoints = api().ListWebhookEndpoints({});
  ASSERT_THAT(endpoints, IsOk());
  ASSERT_THAT(endpoints->endpoints(), SizeIs(1));
  EXPECT_EQ(endpoints->endpoints(0).id(), deployments->id());

  list.set_state(v1::WEBHOOK_DELIVERY_STATE_UNSPECIFIED);
  list.set_event("certificate.expired");
  EXPECT_THAT(
      api().ListWebhookDeliveries(list),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("event: ")));
}

}  // namespace
}  // namespace certferry::service
