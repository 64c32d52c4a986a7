// Deploy and roll back through DeploymentApi, the job runner and
// DeployHandler to a CAS target on certferry-cloud-emulator (real HTTP,
// signatures, TLS), with a real PostgreSQL: deploy A, the emulated SLB's
// TLS port serves A; deploy B, it serves B; roll back, it serves A again.
// And with the emulator throttling 30% of API requests: concurrent
// deployments to two resources all succeed, once each.

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cloud/cas_client.h"
#include "cloud/http_client.h"
#include "cloud/rpc_client.h"
#include "emulator/cloud_emulator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/deployment_api.h"
#include "storage/audit_repository.h"
#include "targets/endpoint_probe.h"
#include "targets/target_config.h"
#include "tests/support/service_stack.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_database.h"

namespace certferry::service {
namespace {

using ::certferry::testing::IsOk;

constexpr int64_t kSlb = 3001;
constexpr int64_t kAlb = 3002;

// What differs between the tests' environments.
struct Environment {
  // The emulator's "faults" object.
  std::string faults = "{}";
  cloud::RetryOptions retry;
  workers::BackoffPolicy job_backoff;
};

// Two resources for the same domain; `faults` is the "faults" object.
std::string EmulatorConfig(const std::string& faults) {
  return absl::StrCat(R"({
      "access_keys": [{"id": "LTAIe2e", "secret": "e2e-secret"}],
      "worker_step_ms": 20,
      "quotas": {"tier": "paid", "deployment_credits": 100},
      "resources": [
        {"id": 3001, "product": "SLB", "domain": "shop.example.com",
         "region": "cn-hangzhou", "instance_id": "lb-e2e"},
        {"id": 3002, "product": "ALB", "domain": "shop.example.com",
         "region": "cn-hangzhou", "instance_id": "alb-e2e"}],
      "faults": )",
                      faults, "}");
}

class CasDeploymentE2eTest : public ::testing::Test {
 protected:
  virtual Environment MakeEnvironment() const { return {}; }

  void SetUp() override {
    const Environment env = MakeEnvironment();
    auto config = emulator::ParseEmulatorConfig(EmulatorConfig(env.faults));
    ASSERT_THAT(config, IsOk());
    emulator_ = std::make_unique<emulator::CloudEmulator>(*std::move(config));
    ASSERT_THAT(emulator_->Start("127.0.0.1", 0), IsOk());
    cloud::RpcClientOptions options;
    options.endpoint = absl::StrCat("http://127.0.0.1:", emulator_->api_port());
    options.version = cloud::kCasVersion;
    options.region_id = "cn-hangzhou";
    options.retry = env.retry;
    rpc_ = std::make_unique<cloud::RpcClient>(
        options,
        cloud::Credentials{"LTAIe2e", SecretString("e2e-secret"), std::nullopt},
        http_, clock_);
    cas_ = std::make_unique<cloud::CasClient>(*rpc_);

    testing::ServiceStackOptions stack_options;
    stack_options.job_backoff = env.job_backoff;
    stack_options.deploy.verify_deadline = absl::Seconds(10);
    stack_options.deploy.verify_retry_interval = absl::Milliseconds(50);
    auto stack = testing::ServiceStack::Create(stack_options);
    ASSERT_THAT(stack, IsOk());
    stack_ = *std::move(stack);
    const cloud::CasClient* cas = cas_.get();
    ASSERT_THAT(stack_->Start([cas](const model::Target& t) {
      return targets::MakeDeployTarget(t, cas);
    }),
                IsOk());
  }

  // Creates CAS target `name` for emulated resource `resource`, verified on
  // the resource's TLS port.
  void CreateCasTarget(const std::string& name, int64_t resource) {
    v1::CreateTargetRequest create;
    v1::Target* t = create.mutable_target();
    t->set_name(name);
    t->set_kind("cas");
    t->mutable_cas()->set_resource_id(resource);
    t->mutable_cas()->set_contact_id(1);
    t->add_domains("shop.example.com");
    t->mutable_verify_endpoint()->set_host("127.0.0.1");
    t->mutable_verify_endpoint()->set_port(
        emulator_->ResourceTlsPort(resource));
    ASSERT_THAT(stack_->targets().CreateTarget(create), IsOk());
  }

  std::pair<std::string, std::string> Import(const std::string& name) {
    auto imported = stack_->ImportFor(name, {"shop.example.com"});
    EXPECT_THAT(imported, IsOk());
    return imported.ok() ? std::pair(imported->id, imported->leaf_sha256)
                         : std::pair(std::string(), std::string());
  }

  v1::Deployment Finish(const v1::Operation& op, int64_t id) {
    auto d = stack_->Finish(op, id);
    EXPECT_THAT(d, IsOk());
    return d.ok() ? *d : v1::Deployment();
  }

  v1::Deployment Deploy(const std::string& certificate_id) {
    v1::DeployCertificateRequest request;
    request.set_certificate_id(certificate_id);
    request.add_targets("slb");
    auto queued = stack_->deployments().DeployCertificate(request);
    EXPECT_THAT(queued, IsOk());
    if (!queued.ok()) return v1::Deployment();
    return Finish(queued->operation(), queued->deployments(0).id());
  }

  std::string Served(int64_t resource = kSlb) {
    auto served = targets::FetchServedCertificate(
        {"127.0.0.1", emulator_->ResourceTlsPort(resource), "shop.example.com"},
        absl::Seconds(5));
    EXPECT_THAT(served, IsOk());
    return served.ok() ? served->leaf_sha256 : "";
  }

  SystemClock clock_;
  cloud::CurlHttpClient http_;
  std::unique_ptr<emulator::CloudEmulator> emulator_;
  std::unique_ptr<cloud::RpcClient> rpc_;
  std::unique_ptr<cloud::CasClient> cas_;
  std::unique_ptr<testing::ServiceStack> stack_;
};

TEST_F(CasDeploymentE2eTest, DeployAndRollBackOnAnEmulatedSlb) {
  CreateCasTarget("slb", kSlb);

  const auto [a_id, a_sha] = Import("shop-a");
  const auto [b_id, b_sha] = Import("shop-b");
  const v1::Deployment first = Deploy(a_id);
  ASSERT_EQ(first.state(), v1::DEPLOYMENT_STATE_SUCCEEDED) << first.error();
  EXPECT_THAT(first.evidence(), ::testing::HasSubstr("CAS certificate"));
  EXPECT_EQ(Served(), a_sha);

  const v1::Deployment second = Deploy(b_id);
  ASSERT_EQ(second.state(), v1::DEPLOYMENT_STATE_SUCCEEDED) << second.error();
  EXPECT_EQ(Served(), b_sha);
  EXPECT_EQ(second.previous_certificate_id(), a_id);

  v1::RollbackDeploymentRequest rollback;
  rollback.set_deployment(second.id());
  auto undo = stack_->deployments().RollbackDeployment(rollback);
  ASSERT_THAT(undo, IsOk());
  const v1::Deployment undone =
      Finish(undo->operation(), undo->deployment().id());
  ASSERT_EQ(undone.state(), v1::DEPLOYMENT_STATE_SUCCEEDED) << undone.error();
  // Through CAS's worker-level rollback, not a new upload.
  EXPECT_THAT(undone.evidence(), ::testing::HasSubstr("rolled back"));
  EXPECT_EQ(Served(), a_sha);
}

// 30% of API requests answered Throttling; the client retries them quickly
// (the emulator asks for 20 ms) and often enough that no call runs out of
// attempts (0.3^20), and jobs waiting for a busy target retry within 0.5 s.
class CasDeploymentThrottledE2eTest : public CasDeploymentE2eTest {
 protected:
  Environment MakeEnvironment() const override {
    Environment env;
    env.faults = R"({"throttle_share": 0.3, "throttle_retry_after_ms": 20,
                     "seed": 5})";
    env.retry.max_attempts = 20;
    env.retry.initial_backoff = absl::Milliseconds(10);
    env.retry.max_backoff = absl::Milliseconds(100);
    env.retry.total_timeout = absl::Seconds(20);
    env.job_backoff.initial = absl::Milliseconds(100);
    env.job_backoff.maximum = absl::Milliseconds(500);
    return env;
  }

  // Seals queued audit events first, so the query sees them.
  std::string Query(const std::string& sql) {
    EXPECT_THAT(stack_->db().RunInTransaction(
                    "seal",
                    [](storage::Transaction& tx) {
                      return storage::AuditRepository::SealAll(tx);
                    }),
                IsOk());
    auto value = testing::QueryScalar(stack_->dsn(), sql);
    EXPECT_THAT(value, IsOk());
    return value.ok() ? *value : "";
  }

  // The certificate of the target's deployment that finished last.
  std::string LastSucceededSha(const std::string& target) {
    return Query(absl::StrCat(
        "SELECT d.leaf_sha256 FROM deployments d JOIN targets t ON "
        "t.id = d.target_id WHERE t.name = '",
        target,
        "' AND d.state = 'succeeded' ORDER BY d.finished_at DESC, d.id DESC "
        "LIMIT 1"));
  }
};

TEST_F(CasDeploymentThrottledE2eTest, EveryDeploymentSucceedsOnce) {
  CreateCasTarget("slb", kSlb);
  CreateCasTarget("alb", kAlb);
  const auto [a_id, a_sha] = Import("shop-a");
  const auto [b_id, b_sha] = Import("shop-b");

  // slb and alb each get A, B, A, submitted at once; the runner's two
  // workers take them concurrently, one per target at a time.
  constexpr int kDeployments = 6;
  std::vector<v1::DeployCertificateRequest> requests;
  std::vector<v1::DeployCertificateResponse> queued;
  for (int i = 0; i < kDeployments; ++i) {
    v1::DeployCertificateRequest request;
    request.set_certificate_id((i / 2) % 2 == 0 ? a_id : b_id);
    request.add_targets(i % 2 == 0 ? "slb" : "alb");
    request.set_request_id(absl::StrCat("throttled-", i));
    auto response = stack_->deployments().DeployCertificate(request);
    ASSERT_THAT(response, IsOk());
    ASSERT_EQ(response->deployments_size(), 1);
    requests.push_back(request);
    queued.push_back(*std::move(response));
  }
  // A repeated request is the same deployment, not another one.
  auto repeated = stack_->deployments().DeployCertificate(requests[0]);
  ASSERT_THAT(repeated, IsOk());
  EXPECT_EQ(repeated->deployments(0).id(), queued[0].deployments(0).id());

  const absl::Time deadline = absl::Now() + absl::Seconds(40);
  for (int i = 0; i < kDeployments; ++i) {
    v1::WaitOperationRequest wait;
    wait.set_name(queued[i].operation().name());
    wait.mutable_timeout()->set_seconds(
        std::max<int64_t>(1, absl::ToInt64Seconds(deadline - absl::Now())));
    auto op = stack_->operations().WaitOperation(wait, deadline);
    ASSERT_THAT(op, IsOk());
    EXPECT_TRUE(op->done()) << "deployment " << i << " did not finish in time";
    EXPECT_EQ(op->metadata().state(), v1::OPERATION_STATE_SUCCEEDED)
        << "deployment " << i << ": " << op->error().message();
    v1::GetDeploymentRequest get;
    get.set_id(queued[i].deployments(0).id());
    auto d = stack_->deployments().GetDeployment(get);
    ASSERT_THAT(d, IsOk());
    EXPECT_EQ(d->state(), v1::DEPLOYMENT_STATE_SUCCEEDED) << d->error();
  }

  // One row per request.
  EXPECT_EQ(Query("SELECT count(*) FROM deployments"),
            std::to_string(kDeployments));
  EXPECT_EQ(Query("SELECT count(DISTINCT request_id) FROM deployments "
                  "WHERE request_id LIKE 'throttled-%'"),
            std::to_string(kDeployments));
  // One succeeded event per deployment, none for anything else.
  EXPECT_EQ(Query("SELECT count(*) FROM audit_events a JOIN deployments d ON "
                  "a.resource = 'deployments/' || d.id "
                  "WHERE a.action = 'deployment.succeeded'"),
            std::to_string(kDeployments));
  EXPECT_EQ(Query("SELECT count(*) FROM audit_events "
                  "WHERE action = 'deployment.succeeded'"),
            std::to_string(kDeployments));

  // Each resource serves what its last deployment put there.
  for (const auto& [target, resource] :
       {std::pair<std::string, int64_t>{"slb", kSlb}, {"alb", kAlb}}) {
    const std::string last = LastSucceededSha(target);
    EXPECT_THAT(last, ::testing::AnyOf(a_sha, b_sha));
    EXPECT_EQ(Served(resource), last) << target;
  }
  // Deployed three times each, A and B were uploaded to CAS once each.
  cloud::ListUserCertificateOrderRequest list;
  list.order_type = "UPLOAD";
  auto uploads = cas_->ListUserCertificateOrder(list);
  ASSERT_THAT(uploads, IsOk());
  EXPECT_EQ(uploads->total_count, 2);
}

}  // namespace
}  // namespace certferry::service
