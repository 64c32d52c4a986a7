#include "notify/webhook_payload.h"

#include <nlohmann/json.hpp>

#include "gtest/gtest.h"
#include "notify/notifications.h"

namespace certferry::notify {
namespace {

using nlohmann::json;

constexpr char kDelivery[] = "0b7c2ad4-9a43-4d71-8e0b-5d2c4f7f0a11";

model::Notification Expiring() {
  model::Notification n;
  n.id = 42;
  n.event = model::NotificationEvent::kCertificateExpiring;
  n.subject = "certificates/5f0c";
  n.threshold_days = 15;
  n.occurrence = "version 3";
  n.certificate_id = "5f0c";
  n.certificate_name = "shop";
  n.certificate_version = 3;
  n.not_after = absl::FromUnixSeconds(1767225600);  // 2026-01-01
  n.create_time = absl::FromUnixMicros(1766016000123456);
  return n;
}

TEST(WebhookPayload, ExpiringCertificateHasEveryKey) {
  const json body = json::parse(WebhookPayload(Expiring(), kDelivery));
  EXPECT_EQ(body, json::parse(R"({
    "certificate": {"id": "5f0c", "name": "shop", "version": 3,
                    "not_after": "2026-01-01T00:00:00Z"},
    "certificate_authority": null,
    "delivery_id": "0b7c2ad4-9a43-4d71-8e0b-5d2c4f7f0a11",
    "deployment": null,
    "error": "",
    "event": "certificate.expiring",
    "notification_id": 42,
    "schema_version": 1,
    "threshold_days": 15,
    "time": "2025-12-18T00:00:00.123456Z"})"));
}

TEST(WebhookPayload, IsTheSameBytesEveryTimeWithSortedKeys) {
  const std::string first = WebhookPayload(Expiring(), kDelivery);
  EXPECT_EQ(WebhookPayload(Expiring(), kDelivery), first);
  EXPECT_EQ(first.find("\"certificate\""), 1u);  // sorted, compact
  EXPECT_EQ(first.find('\n'), std::string::npos);
}

TEST(WebhookPayload, FailedDeploymentCarriesTheDeploymentAndError) {
  model::Deployment d;
  d.id = 17;
  d.kind = "deploy";
  d.target_name = "web";
  d.contents.certificate_id = "5f0c";
  d.contents.certificate_version = 2;
  model::Notification n =
      DeploymentFailed(d, "verification failed: \xff served", true);
  n.id = 7;
  n.certificate_name = "shop";  // filled in when recorded
  const json body = json::parse(WebhookPayload(n, kDelivery));
  EXPECT_EQ(body["event"], "deployment.failed");
  EXPECT_EQ(body["deployment"],
            json::parse(R"({"id": 17, "kind": "deploy", "target": "web",
                            "auto_rolled_back": true, "rolled_back_by": 0})"));
  EXPECT_EQ(body["certificate"]["version"], 2);
  EXPECT_EQ(body["certificate"]["not_after"], nullptr);
  EXPECT_TRUE(body["threshold_days"].is_null());
  // Invalid UTF-8 in an error is replaced, not a reason to fail.
  EXPECT_EQ(body["error"], "verification failed: \xEF\xBF\xBD served");
}

TEST(WebhookPayload, ExpiringAuthorityHasNoCertificate) {
  model::CertificateAuthority ca;
  ca.id = "9a1e";
  ca.name = "root";
  ca.not_after = absl::FromUnixSeconds(1767225600);
  const json body =
      json::parse(WebhookPayload(CertificateAuthorityExpiring(ca, 90), "d"));
  EXPECT_EQ(body["event"], "certificate_authority.expiring");
  EXPECT_EQ(body["threshold_days"], 90);
  EXPECT_TRUE(body["certificate"].is_null());
  EXPECT_EQ(body["certificate_authority"],
            json::parse(R"({"id": "9a1e", "name": "root",
                            "not_after": "2026-01-01T00:00:00Z"})"));
}

}  // namespace
}  // namespace certferry::notify
