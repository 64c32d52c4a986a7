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
constexpr int64_t kAlb = 2003;

// `quotas` is the emulator config's quotas object.
std::string EmulatorConfig(const std::string& quotas) {
  return absl::StrCat(R"({
      "access_keys": [{"id": "LTAItarget", "secret": "t4rget"}],
      "worker_step_ms": 20,
      "quotas": )",
                      quotas, R"(,
      "resources": [
        {"id": 2001, "product": "SLB", "domain": "shop.example.com",
         "region": "cn-hangzhou", "instance_id": "lb-shop"},
        {"id": 2002, "product": "CDN", "domain": "shop.example.com",
         "region": "cn-hangzhou", "instance_id": "cdn-shop"},
        {"id": 2003, "product": "ALB", "domain": "shop.example.com",
         "region": "cn-hangzhou", "instance_id": "alb-shop"}],
      "faults": {"failing_resource_ids": [2002]}})");
}

class CasResourceTargetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StartEmulator(
        EmulatorConfig(R"({"tier": "paid", "deployment_credits": 100})"));
  }

  // (Re)starts the emulator with `json` and points the CAS client at it.
  void StartEmulator(const std::string& json) {
    cas_.reset();
    rpc_.reset();
    emulator_.reset();
    auto config = emulator::ParseEmulatorConfig(json);
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

  // The CAS uploads of `leaf_sha256`, as ListUserCertificateOrder lists them.
  std::vector<cloud::CertificateOrder> UploadsOf(
      const std::string& leaf_sha256) {
    cloud::ListUserCertificateOrderRequest request;
    request.order_type = "UPLOAD";
    request.show_size = 100;
    auto listed = cas_->ListUserCertificateOrder(request);
    EXPECT_THAT(listed, IsOk());
    std::vector<cloud::CertificateOrder> out;
    if (!listed.ok()) return out;
    for (const cloud::CertificateOrder& order :
         listed->certificate_order_list) {
      if (order.sha2 == leaf_sha256) out.push_back(order);
    }
    return out;
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

TEST_F(CasResourceTargetTest, SameCertificateIsUploadedOnceAndReused) {
  const testing::TestChain a = testing::MakeChain({"shop.example.com"});
  const std::string a_sha = pki::Sha256Hex(a.leaf.cert_der);
  CasResourceTarget slb = Target(kSlb);
  CasResourceTarget alb = Target(kAlb);

  auto first = slb.Apply(ContentsFor(a));
  ASSERT_THAT(first, IsOk());
  const int64_t cert_id = slb.last_cert_id();
  EXPECT_THAT(first->output, HasSubstr(absl::StrCat("uploaded CAS certificate ",
                                                    cert_id, " (certferry-",
                                                    a_sha.substr(0, 16), ")")));
  auto again = slb.Apply(ContentsFor(a));
  ASSERT_THAT(again, IsOk());
  EXPECT_THAT(again->output,
              HasSubstr(absl::StrCat("reused CAS certificate ", cert_id)));
  auto other = alb.Apply(ContentsFor(a));
  ASSERT_THAT(other, IsOk());
  EXPECT_EQ(alb.last_cert_id(), cert_id);
  EXPECT_THAT(other->output, HasSubstr("reused"));

  const std::vector<cloud::CertificateOrder> uploads = UploadsOf(a_sha);
  ASSERT_EQ(uploads.size(), 1u);
  EXPECT_EQ(uploads[0].certificate_id, cert_id);
  EXPECT_EQ(uploads[0].name, absl::StrCat("certferry-", a_sha.substr(0, 16)));
  auto detail = cas_->GetUserCertificateDetail(cert_id, true);
  ASSERT_THAT(detail, IsOk());
  EXPECT_EQ(detail->sha2, a_sha);
  EXPECT_EQ(Served(kSlb), a_sha);
  EXPECT_EQ(Served(kAlb), a_sha);
}

TEST_F(CasResourceTargetTest, RedeployingDoesNotUseUpTheCertificateQuota) {
  constexpr int kLimit = 2;
  StartEmulator(EmulatorConfig(
      absl::StrCat(R"({"tier": "free", "certificate_limit": )", kLimit, "}")));
  const testing::TestChain a = testing::MakeChain({"shop.example.com"});
  for (int i = 0; i < kLimit + 2; ++i) {
    CasResourceTarget target = Target(i % 2 == 0 ? kSlb : kAlb);
    ASSERT_THAT(target.Apply(ContentsFor(a)), IsOk()) << "deployment " << i;
  }
  EXPECT_EQ(UploadsOf(pki::Sha256Hex(a.leaf.cert_der)).size(), 1u);
  EXPECT_EQ(Served(kSlb), pki::Sha256Hex(a.leaf.cert_der));
  EXPECT_EQ(Served(kAlb), pki::Sha256Hex(a.leaf.cert_der));

  // The quota is real: the limit's worth of distinct certificates fit, the
  // next does not.
  CasResourceTarget slb = Target(kSlb);
  const testing::TestChain b = testing::MakeChain({"shop.example.com"});
  ASSERT_THAT(slb.Apply(ContentsFor(b)), IsOk());
  const testing::TestChain c = testing::MakeChain({"shop.example.com"});
  EXPECT_THAT(slb.Apply(ContentsFor(c)),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("QuotaExceeded.Certificate")));
  EXPECT_EQ(Served(kSlb), pki::Sha256Hex(b.leaf.cert_der));
}

TEST_F(CasResourceTargetTest, NameTakenByAnotherCertificateGetsATimeSuffix) {
  const testing::TestChain a = testing::MakeChain({"shop.example.com"});
  const std::string prefix =
      absl::StrCat("certferry-", pki::Sha256Hex(a.leaf.cert_der).substr(0, 16));
  // Another certificate already holds the name certferry would choose.
  const testing::TestChain squatter = testing::MakeChain({"shop.example.com"});
  cloud::UploadUserCertificateRequest upload;
  upload.name = prefix;
  upload.cert = squatter.fullchain_pem();
  upload.key = SecretString(squatter.leaf.key.private_key_pem);
  ASSERT_THAT(cas_->UploadUserCertificate(upload), IsOk());

  CasResourceTarget slb = Target(kSlb);
  auto applied = slb.Apply(ContentsFor(a));
  ASSERT_THAT(applied, IsOk());
  EXPECT_THAT(applied->output,
              HasSubstr(absl::StrCat("uploaded CAS certificate ",
                                     slb.last_cert_id(), " (", prefix, "-")));
  EXPECT_EQ(Served(kSlb), pki::Sha256Hex(a.leaf.cert_der));
  // Found again by its prefix, despite the suffix.
  ASSERT_THAT(slb.Apply(ContentsFor(a)), IsOk());
  EXPECT_EQ(UploadsOf(pki::Sha256Hex(a.leaf.cert_der)).size(), 1u);
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
