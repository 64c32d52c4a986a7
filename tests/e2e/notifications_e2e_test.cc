// Webhook notifications end to end: PostgreSQL, the job runner with
// DeliverWebhookHandler over libcurl, and a real HTTP receiver
// (cpp-httplib on 127.0.0.1) that checks signatures with OpenSSL directly,
// not with certferry's signer. Expiry notices are sent once per threshold
// however often and however concurrently the scanner runs; a receiver that
// fails gets the delivery again; a receiver that refuses it does not; a
// deployment that fails verification against Debian's nginx and a
// rollback announce themselves.

#include <openssl/evp.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "notify/notifications.h"
#include "storage/notification_repository.h"
#include "tests/support/local_http_server.h"
#include "tests/support/nginx_server.h"
#include "tests/support/service_stack.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_database.h"
#include "tests/support/test_pki.h"
#include "tests/support/wait_for.h"
#include "workers/expiry_scanner.h"

namespace certferry {
namespace {

using ::certferry::testing::IsOk;
using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;
using ::testing::UnorderedElementsAre;

constexpr char kSecret[] = "8c1f3e0d9b7a4c2e6f5d1a0b3c9e7f24";

// Lowercase hex HMAC-SHA256, computed with OpenSSL's EVP_Q_mac.
std::string HexHmacSha256(const std::string& key, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  size_t length = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(),
                key.size(), reinterpret_cast<const unsigned char*>(data.data()),
                data.size(), out, sizeof(out), &length) == nullptr) {
    return "";
  }
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(out), length));
}

struct Received {
  std::string signature, timestamp, delivery, event, content_type;
  std::string body;
  int answered = 0;
};

// A webhook receiver: records every request and answers the n-th (from 0)
// with answer(n).
class WebhookReceiver {
 public:
  explicit WebhookReceiver(std::function<int(int)> answer =
                               [](int) { return 200; })
      : answer_(std::move(answer)),
        server_([this](const httplib::Request& request,
                       httplib::Response& response) {
          Handle(request, response);
        }) {}

  // The path carries a token, as chat services' webhook URLs do.
  std::string url() const {
    return absl::StrCat(server_.url(), "/hooks/T0KEN-in-path");
  }
  std::vector<Received> requests() const {
    absl::MutexLock lock(&mu_);
    return received_;
  }
  size_t count() const { return requests().size(); }

 private:
  void Handle(const httplib::Request& request, httplib::Response& response) {
    absl::MutexLock lock(&mu_);
    Received r;
    r.signature = request.get_header_value("X-Certferry-Signature");
    r.timestamp = request.get_header_value("X-Certferry-Timestamp");
    r.delivery = request.get_header_value("X-Certferry-Delivery");
    r.event = request.get_header_value("X-Certferry-Event");
    r.content_type = request.get_header_value("Content-Type");
    r.body = request.body;
    r.answered = answer_(static_cast<int>(received_.size()));
    response.status = r.answered;
    response.set_content(r.answered < 300 ? "thanks" : "not now", "text/plain");
    received_.push_back(std::move(r));
  }

  std::function<int(int)> answer_;
  mutable absl::Mutex mu_;
  std::vector<Received> received_ ABSL_GUARDED_BY(mu_);
  testing::LocalHttpServer server_;  // last: serves once the rest exists
};

class NotificationsE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::ServiceStackOptions options;
    options.job_backoff.initial = absl::Milliseconds(50);
    options.job_backoff.maximum = absl::Milliseconds(200);
    options.deploy.verify_deadline = absl::Seconds(3);
    options.deploy.verify_retry_interval = absl::Milliseconds(100);
    options.webhooks.timeout = absl::Seconds(5);
    auto stack = testing::ServiceStack::Create(options);
    ASSERT_THAT(stack, IsOk());
    stack_ = *std::move(stack);
    ASSERT_THAT(stack_->Start(), IsOk());
  }

  // Registers `receiver` for `events` (none: all); returns the endpoint id.
  std::string AddEndpoint(const WebhookReceiver& receiver,
                          std::vector<std::string> events = {}) {
    v1::CreateWebhookEndpointRequest request;
    request.set_url(receiver.url());
    request.set_secret(kSecret);
    for (const std::string& e : events) request.add_events(e);
    auto created = stack_->notifications().CreateWebhookEndpoint(request);
    EXPECT_THAT(created, IsOk());
    return created.ok() ? created->id() : "";
  }

  workers::ExpiryScanner Scanner(int batch = 500) {
    workers::ExpiryScanConfig config;
    config.batch = batch;
    return workers::ExpiryScanner(stack_->db(), stack_->clock(), config);
  }

  // Waits until no delivery job is queued or running.
  void WaitForDeliveriesToEnd() {
    EXPECT_TRUE(testing::WaitFor(
        [&] {
          return testing::QueryScalar(
                     stack_->dsn(),
                     "SELECT count(*) FROM jobs WHERE kind = "
                     "'deliver_webhook' AND state IN ('queued', 'running')")
                     .value_or("") == "0";
        },
        absl::Seconds(30)))
        << "deliveries still pending";
  }

  std::vector<v1::WebhookDelivery> Deliveries(const std::string& endpoint) {
    v1::ListWebhookDeliveriesRequest request;
    request.set_endpoint_id(endpoint);
    request.set_page_size(1000);
    auto listed = stack_->notifications().ListWebhookDeliveries(request);
    EXPECT_THAT(listed, IsOk());
    if (!listed.ok()) return {};
    return {listed->deliveries().begin(), listed->deliveries().end()};
  }

  // Imports a certificate and announces a failed renewal of it; returns
  // its id.
  std::string ImportAndFailRenewal() {
    auto cert = stack_->ImportFor("shop", {"shop.example.com"});
    EXPECT_THAT(cert, IsOk());
    if (!cert.ok()) return "";
    RenewalFailed(cert->id);
    return cert->id;
  }

  // Announces a failed renewal of `certificate_id`, as renewal code does.
  void RenewalFailed(const std::string& certificate_id) {
    ASSERT_THAT(
        stack_->db().RunInTransaction(
            "renewal_failed",
            [&](storage::Transaction& tx) {
              return notify::EnqueueNotification(
                         tx, notify::RenewalFailed(certificate_id, "", 1,
                                                   "order failed: rateLimited",
                                                   "operations/9"))
                  .status();
            }),
        IsOk());
  }

  std::unique_ptr<testing::ServiceStack> stack_;
};

TEST_F(NotificationsE2eTest, ExpiryNoticesAreSentOncePerThresholdReached) {
  WebhookReceiver receiver;
  WebhookReceiver deployments_only;
  const std::string endpoint = AddEndpoint(receiver);
  AddEndpoint(deployments_only, {"deployment.failed"});
  auto soon = stack_->ImportFor("soon", {"soon.example.com"},
                                absl::Now() + absl::Hours(24 * 10));
  ASSERT_THAT(soon, IsOk());
  ASSERT_THAT(stack_->ImportFor("later", {"later.example.com"}), IsOk());

  workers::ExpiryScanner scanner = Scanner();
  EXPECT_THAT(scanner.ScanOnce(), testing::IsOkAndHolds(2));
  EXPECT_THAT(scanner.ScanOnce(), testing::IsOkAndHolds(0));
  WaitForDeliveriesToEnd();

  // Ten days left: the 30- and 15-day thresholds are reached, 7 and 2 not.
  std::multiset<int> thresholds;
  for (const Received& r : receiver.requests()) {
    EXPECT_EQ(r.event, "certificate.expiring");
    const json body = json::parse(r.body);
    EXPECT_EQ(body["certificate"]["id"], soon->id);
    EXPECT_EQ(body["certificate"]["name"], "soon");
    EXPECT_EQ(body["certificate"]["version"], 1);
    EXPECT_FALSE(body["certificate"]["not_after"].is_null());
    thresholds.insert(body["threshold_days"].get<int>());
  }
  EXPECT_THAT(thresholds, UnorderedElementsAre(30, 15));
  EXPECT_EQ(deployments_only.count(), 0u);
  EXPECT_EQ(*testing::QueryScalar(stack_->dsn(),
                                  "SELECT count(*) FROM notifications"),
            "2");
  const std::vector<v1::WebhookDelivery> deliveries = Deliveries(endpoint);
  ASSERT_THAT(deliveries, SizeIs(2));
  for (const v1::WebhookDelivery& d : deliveries) {
    EXPECT_EQ(d.state(), v1::WEBHOOK_DELIVERY_STATE_DELIVERED);
    EXPECT_EQ(d.attempts(), 1);
    EXPECT_EQ(d.last_status_code(), 200);
    EXPECT_EQ(d.notification().certificate_name(), "soon");
  }
}

TEST_F(NotificationsE2eTest, ConcurrentScannersSendEachNoticeOnce) {
  WebhookReceiver receiver;
  AddEndpoint(receiver);
  std::set<std::string> ids;
  for (int i = 0; i < 6; ++i) {
    auto imported = stack_->ImportFor(absl::StrCat("soon-", i),
                                      {absl::StrCat("s", i, ".example.com")},
                                      absl::Now() + absl::Hours(24 * 10));
    ASSERT_THAT(imported, IsOk());
    ids.insert(imported->id);
  }
  // Two replicas' scanners, each scanning three times, in small batches so
  // their transactions interleave.
  std::atomic<int> recorded{0};
  std::vector<std::thread> replicas;
  for (int r = 0; r < 2; ++r) {
    replicas.emplace_back([&] {
      workers::ExpiryScanner scanner = Scanner(/*batch=*/3);
      for (int i = 0; i < 3; ++i) {
        absl::StatusOr<int> n = scanner.ScanOnce();
        EXPECT_THAT(n, IsOk());
        if (n.ok()) recorded += *n;
      }
    });
  }
  for (std::thread& t : replicas) t.join();
  EXPECT_EQ(recorded.load(), 12);
  WaitForDeliveriesToEnd();

  std::map<std::pair<std::string, int>, int> sent;
  for (const Received& r : receiver.requests()) {
    const json body = json::parse(r.body);
    ++sent[{body["certificate"]["id"].get<std::string>(),
            body["threshold_days"].get<int>()}];
  }
  ASSERT_THAT(sent, SizeIs(12));
  for (const auto& [key, times] : sent) {
    EXPECT_TRUE(ids.count(key.first));
    EXPECT_TRUE(key.second == 30 || key.second == 15) << key.second;
    EXPECT_EQ(times, 1) << key.first << " " << key.second;
  }
}

TEST_F(NotificationsE2eTest, SignatureVerifiesWithTheEndpointSecret) {
  WebhookReceiver receiver;
  const std::string endpoint = AddEndpoint(receiver);
  const std::string cert = ImportAndFailRenewal();
  WaitForDeliveriesToEnd();

  const std::vector<Received> requests = receiver.requests();
  ASSERT_THAT(requests, SizeIs(1));
  const Received& r = requests[0];
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.event, "certificate.renewal_failed");
  int64_t timestamp = 0;
  ASSERT_TRUE(absl::SimpleAtoi(r.timestamp, &timestamp)) << r.timestamp;
  EXPECT_LE(std::abs(absl::ToUnixSeconds(absl::Now()) - timestamp), 60);
  // sha256=HMAC(secret, timestamp "." body), over the body as received.
  EXPECT_EQ(r.signature,
            absl::StrCat("sha256=",
                         HexHmacSha256(
                             kSecret, absl::StrCat(r.timestamp, ".", r.body))));
  EXPECT_NE(r.signature,
            absl::StrCat("sha256=", HexHmacSha256("another secret",
                                                  absl::StrCat(r.timestamp, ".",
                                                               r.body))));
  const json body = json::parse(r.body);
  EXPECT_EQ(body["schema_version"], 1);
  EXPECT_EQ(body["delivery_id"], r.delivery);
  EXPECT_EQ(body["event"], "certificate.renewal_failed");
  EXPECT_EQ(body["certificate"]["id"], cert);
  EXPECT_EQ(body["certificate"]["name"], "shop");  // filled in from the id
  EXPECT_EQ(body["error"], "order failed: rateLimited");
  EXPECT_TRUE(body["deployment"].is_null());

  // The same renewal failure again is not a new notice.
  RenewalFailed(cert);
  WaitForDeliveriesToEnd();
  EXPECT_EQ(receiver.count(), 1u);
  const std::vector<v1::WebhookDelivery> deliveries = Deliveries(endpoint);
  ASSERT_THAT(deliveries, SizeIs(1));
  EXPECT_EQ(deliveries[0].id(), r.delivery);
  EXPECT_EQ(deliveries[0].state(), v1::WEBHOOK_DELIVERY_STATE_DELIVERED);
}

TEST_F(NotificationsE2eTest, ServerErrorsAreRetriedUntilOneDelivery) {
  WebhookReceiver receiver([](int n) { return n < 2 ? 500 : 200; });
  const std::string endpoint = AddEndpoint(receiver);
  const std::string cert = ImportAndFailRenewal();
  WaitForDeliveriesToEnd();

  const std::vector<Received> requests = receiver.requests();
  ASSERT_THAT(requests, SizeIs(3));
  int successes = 0;
  for (const Received& r : requests) {
    EXPECT_EQ(r.delivery, requests[0].delivery);  // one delivery, retried
    EXPECT_EQ(r.body, requests[0].body);
    if (r.answered == 200) ++successes;
  }
  EXPECT_EQ(successes, 1);
  const std::vector<v1::WebhookDelivery> deliveries = Deliveries(endpoint);
  ASSERT_THAT(deliveries, SizeIs(1));
  EXPECT_EQ(deliveries[0].state(), v1::WEBHOOK_DELIVERY_STATE_DELIVERED);
  EXPECT_EQ(deliveries[0].attempts(), 3);
  EXPECT_EQ(deliveries[0].last_status_code(), 200);
  EXPECT_TRUE(deliveries[0].has_delivered_time());
}

TEST_F(NotificationsE2eTest, GoneIsAPermanentFailure) {
  WebhookReceiver receiver([](int) { return 410; });
  const std::string endpoint = AddEndpoint(receiver);
  const std::string cert = ImportAndFailRenewal();
  WaitForDeliveriesToEnd();

  EXPECT_EQ(receiver.count(), 1u);
  const std::vector<v1::WebhookDelivery> deliveries = Deliveries(endpoint);
  ASSERT_THAT(deliveries, SizeIs(1));
  const v1::WebhookDelivery& d = deliveries[0];
  EXPECT_EQ(d.state(), v1::WEBHOOK_DELIVERY_STATE_FAILED);
  EXPECT_EQ(d.attempts(), 1);
  EXPECT_EQ(d.last_status_code(), 410);
  EXPECT_THAT(d.last_error(), HasSubstr("HTTP 410"));
  // The URL's path (a token, for some receivers) stays out of errors.
  EXPECT_THAT(d.last_error(), ::testing::Not(HasSubstr("T0KEN")));
}

TEST_F(NotificationsE2eTest, UnreachableReceiverIsRetried) {
  std::string url;
  {
    WebhookReceiver gone;
    url = gone.url();
  }  // stopped: connections are refused
  v1::CreateWebhookEndpointRequest request;
  request.set_url(url);
  request.set_secret(kSecret);
  auto endpoint = stack_->notifications().CreateWebhookEndpoint(request);
  ASSERT_THAT(endpoint, IsOk());
  ImportAndFailRenewal();
  EXPECT_TRUE(testing::WaitFor([&] {
    const std::vector<v1::WebhookDelivery> d = Deliveries(endpoint->id());
    return d.size() == 1 && d[0].attempts() >= 2 &&
           d[0].state() == v1::WEBHOOK_DELIVERY_STATE_PENDING;
  }));
  const std::vector<v1::WebhookDelivery> d = Deliveries(endpoint->id());
  ASSERT_THAT(d, SizeIs(1));
  EXPECT_EQ(d[0].last_status_code(), 0);
  EXPECT_THAT(d[0].last_error(), HasSubstr("POST to http://127.0.0.1:"));
  EXPECT_THAT(d[0].last_error(), ::testing::Not(HasSubstr("T0KEN")));

  // Deleting the endpoint cancels what has not been sent.
  v1::DeleteWebhookEndpointRequest del;
  del.set_id(endpoint->id());
  ASSERT_THAT(stack_->notifications().DeleteWebhookEndpoint(del), IsOk());
  WaitForDeliveriesToEnd();
  EXPECT_EQ(Deliveries(endpoint->id()).at(0).state(),
            v1::WEBHOOK_DELIVERY_STATE_CANCELLED);
}

// Deployments to a file target served by nginx: one the server never takes
// into use (its reload does nothing) fails verification and is rolled back
// automatically; a rollback of a good one undoes it. Both are announced.
TEST_F(NotificationsE2eTest, DeploymentFailureAndRollbackAreAnnounced) {
  std::string templ = absl::StrCat(::testing::TempDir(), "notify-XXXXXX");
  ASSERT_NE(::mkdtemp(templ.data()), nullptr);
  const std::string dir = templ + "/certs";
  std::filesystem::create_directory(dir);
  auto nginx = testing::NginxServer::Create(dir);
  ASSERT_THAT(nginx, IsOk());
  const testing::TestChain placeholder =
      testing::MakeChain({"shop.example.com"});
  std::ofstream(dir + "/fullchain.pem") << placeholder.fullchain_pem();
  std::ofstream(dir + "/privkey.pem") << placeholder.leaf.key.private_key_pem;
  std::filesystem::permissions(dir + "/privkey.pem",
                               std::filesystem::perms(0600));
  ASSERT_THAT((*nginx)->Start(), IsOk());
  auto create_target = [&](const std::string& name,
                           std::vector<std::string> reload) {
    v1::CreateTargetRequest request;
    v1::Target* t = request.mutable_target();
    t->set_name(name);
    t->set_kind("file");
    t->add_domains("shop.example.com");
    t->mutable_file()->set_directory(dir);
    for (const auto& arg : (*nginx)->CheckCommand()) {
      t->mutable_file()->add_check_command(arg);
    }
    for (const auto& arg : reload) t->mutable_file()->add_reload_command(arg);
    t->mutable_verify_endpoint()->set_host("127.0.0.1");
    t->mutable_verify_endpoint()->set_port((*nginx)->port());
    t->mutable_verify_endpoint()->set_sni("shop.example.com");
    ASSERT_THAT(stack_->targets().CreateTarget(request), IsOk());
  };
  create_target("web", (*nginx)->ReloadCommand());
  create_target("web-no-reload", {"/bin/true"});
  auto deploy = [&](const std::string& certificate_id,
                    const std::string& target) {
    v1::DeployCertificateRequest request;
    request.set_certificate_id(certificate_id);
    request.add_targets(target);
    auto queued = stack_->deployments().DeployCertificate(request);
    EXPECT_THAT(queued, IsOk());
    if (!queued.ok()) return v1::Deployment();
    auto done =
        stack_->Finish(queued->operation(), queued->deployments(0).id());
    EXPECT_THAT(done, IsOk());
    return done.ok() ? *done : v1::Deployment();
  };

  WebhookReceiver receiver;
  AddEndpoint(receiver, {"deployment.failed", "deployment.rolled_back"});
  auto a = stack_->ImportFor("shop-a", {"shop.example.com"});
  auto b = stack_->ImportFor("shop-b", {"shop.example.com"});
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  const v1::Deployment good = deploy(a->id, "web");
  ASSERT_EQ(good.state(), v1::DEPLOYMENT_STATE_SUCCEEDED) << good.error();
  const v1::Deployment failed = deploy(b->id, "web-no-reload");
  ASSERT_EQ(failed.state(), v1::DEPLOYMENT_STATE_FAILED);
  ASSERT_TRUE(failed.auto_rolled_back());
  WaitForDeliveriesToEnd();

  std::vector<Received> requests = receiver.requests();
  ASSERT_THAT(requests, SizeIs(1));  // the good deployment says nothing
  json body = json::parse(requests[0].body);
  EXPECT_EQ(requests[0].event, "deployment.failed");
  EXPECT_EQ(body["event"], "deployment.failed");
  EXPECT_EQ(body["deployment"]["id"], failed.id());
  EXPECT_EQ(body["deployment"]["target"], "web-no-reload");
  EXPECT_EQ(body["deployment"]["kind"], "deploy");
  EXPECT_EQ(body["deployment"]["auto_rolled_back"], true);
  EXPECT_EQ(body["certificate"]["id"], b->id);
  EXPECT_EQ(body["certificate"]["name"], "shop-b");
  EXPECT_THAT(body["error"].get<std::string>(),
              HasSubstr("verification failed"));

  v1::RollbackDeploymentRequest rollback;
  rollback.set_deployment(good.id());
  auto queued = stack_->deployments().RollbackDeployment(rollback);
  ASSERT_THAT(queued, IsOk());
  auto undone = stack_->Finish(queued->operation(), queued->deployment().id());
  ASSERT_THAT(undone, IsOk());
  ASSERT_EQ(undone->state(), v1::DEPLOYMENT_STATE_SUCCEEDED) << undone->error();
  WaitForDeliveriesToEnd();
  requests = receiver.requests();
  ASSERT_THAT(requests, SizeIs(2));
  body = json::parse(requests[1].body);
  EXPECT_EQ(body["event"], "deployment.rolled_back");
  EXPECT_EQ(body["deployment"]["id"], good.id());
  EXPECT_EQ(body["deployment"]["target"], "web");
  EXPECT_EQ(body["deployment"]["rolled_back_by"], undone->id());
  EXPECT_EQ(body["certificate"]["id"], a->id);

  stack_.reset();  // workers stop before nginx and the files go
  nginx->reset();
  std::filesystem::remove_all(templ);
}

}  // namespace
}  // namespace certferry
