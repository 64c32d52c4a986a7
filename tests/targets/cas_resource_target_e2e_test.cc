// CasResourceTarget against certferry-cloud-emulator over real HTTP and
// TLS: what the emulated SLB serves follows each Apply, ReadCurrent reports
// it (so the deploy handler can put it back), and CAS's refusals and failed
// workers come back as FAILED_PRECONDITION with the CAS ids.

#include "absl/strings/str_cat.h"
#include "cloud/cas_client.h"
#include "cloud/http_client.h"
#include "cloud/rpc_client.h"
#include "common/clock.h"
#include "emulator/cloud_emulator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pki/digest.h"
#include "targets/cas_resource_target.h"
#include "targets/endpoint_probe.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_pki.h"

namespace certferry::targets {
namespace {

using ::certferry::testing::IsOk;
using ::certferry::testing::StatusIs;
using ::testing::HasSubstr;

constexpr int64_t kSlb = 2001;
constexpr int64_t kBroken = 2002;

class CasResourceTargetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto config = emulator::ParseEmulatorConfig(R"({
        "access_keys": [{"id": "LTAItarget", "secret": "t4rget"}],
        "worker_step_ms": 20,
        "quotas": {"tier": "paid", "deployment_credits": 100},
        "resources": [
          {"id": 2001, "product": "SLB", "domain": "shop.example.com",
           "region": "cn-hangzhou", "instance_id": "lb-shop"},
          {"id": 2002, "product": "CDN", "domain": "shop.example.com",
           "region": "cn-hangzhou", "instance_id": "cdn-shop"}],
        "faults": {"failing_resource_ids": [2002]}})");
    ASSERT_THAT(config, IsOk());
    emulator_ = std::make_unique<emulator::CloudEmulator>(*std::move(config));
    ASSERT_THAT(emulator_->Start("127.0.0.1", 0), IsOk());
    cloud::RpcClientOptions options;
    options.endpoint = absl::StrCat("http://127.0.0.1:", emulator_->api_port());
    options.version = cloud::kCasVersion;
    options.region_id = "cn-hangzhou";
    rpc_ = std::make_unique<cloud::RpcClient>(
        options,
        cloud::Credentials{"LTAItarget", SecretString("t4rget"), std::nullopt},
        http_, clock_);
    cas_ = std::make_unique<cloud::CasClient>(*rpc_);
  }

  CasResourceTarget Target(int64_t resource) {
    CasResourceTargetConfig config;
    config.resource_id = resource;
    config.contact_id = 1;
    config.job_timeout = absl::Seconds(30);
    config.poll_interval = absl::Milliseconds(20);
    return CasResourceTarget(*cas_, config);
  }

  static TargetContents ContentsFor(const testing::TestChain& chain) {
    TargetContents contents;
    contents.empty = false;
    contents.chain_pem = chain.fullchain_pem();
    contents.private_key_pem = SecretString(chain.leaf.key.private_key_pem);
    contents.leaf_sha256 = pki::Sha256Hex(chain.leaf.cert_der);
    return contents;
  }

  std::string Served(int64_t resource) {
    auto served = FetchServedCertificate(
        {"127.0.0.1", emulator_->ResourceTlsPort(resource), ""},
        absl::Seconds(5));
    EXPECT_THAT(served, IsOk());
    return served.ok() ? served->leaf_sha256 : "";
  }

  SystemClock clock_;
  cloud::CurlHttpClient http_;
  std::unique_ptr<emulator::CloudEmulator> emulator_;
  std::unique_ptr<cloud::RpcClient> rpc_;
  std::unique_ptr<cloud::CasClient> cas_;
};

TEST_F(CasResourceTargetTest, ApplyDeploysAndReadCurrentAllowsPuttingBack) {
  CasResourceTarget target = Target(kSlb);
  auto before = target.ReadCurrent();
  ASSERT_THAT(before, IsOk());
  EXPECT_TRUE(before->empty);

  const testing::TestChain a = testing::MakeChain({"shop.example.com"});
  auto applied = target.Apply(ContentsFor(a));
  ASSERT_THAT(applied, IsOk());
  EXPECT_NE(target.last_job_id(), 0);
  EXPECT_NE(target.last_worker_id(), 0);
  EXPECT_THAT(applied->output,
              HasSubstr(absl::StrCat("job ", target.last_job_id())));
  EXPECT_EQ(Served(kSlb), pki::Sha256Hex(a.leaf.cert_der));

  auto holding_a = target.ReadCurrent();
  ASSERT_THAT(holding_a, IsOk());
  EXPECT_EQ(holding_a->leaf_sha256, pki::Sha256Hex(a.leaf.cert_der));
  EXPECT_EQ(holding_a->private_key_pem.Reveal(), a.leaf.key.private_key_pem);

  const testing::TestChain b = testing::MakeChain({"*.example.com"});
  ASSERT_THAT(target.Apply(ContentsFor(b)), IsOk());
  EXPECT_EQ(Served(kSlb), pki::Sha256Hex(b.leaf.cert_der));

  // Putting back what ReadCurrent saw restores A.
  ASSERT_THAT(target.Apply(*holding_a), IsOk());
  EXPECT_EQ(Served(kSlb), pki::Sha256Hex(a.leaf.cert_der));
}

TEST_F(CasResourceTargetTest, RefusalsAndFailedWorkersAreFailedPreconditions) {
  CasResourceTarget slb = Target(kSlb);
  const testing::TestChain other = testing::MakeChain({"other.example.com"});
  EXPECT_THAT(slb.Apply(ContentsFor(other)),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("Number of matching certificates is 0")));
  EXPECT_THAT(slb.Apply(TargetContents{}),
              StatusIs(absl::StatusCode::kFailedPrecondition));

  CasResourceTarget broken = Target(kBroken);
  const testing::TestChain a = testing::MakeChain({"shop.example.com"});
  EXPECT_THAT(broken.Apply(ContentsFor(a)),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("ended in error")));
  EXPECT_NE(Served(kBroken), pki::Sha256Hex(a.leaf.cert_der));

  CasResourceTarget missing = Target(9999);
  EXPECT_THAT(missing.ReadCurrent(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("9999")));
}

}  // namespace
}  // namespace certferry::targets
