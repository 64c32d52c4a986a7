// AirecTarget against certferry-cloud-emulator over real HTTP (V3-signed
// multipart upload of a real certificate_info.xlsx) and TLS: a binding
// reaches SUCCESS, the instance's TLS port serves the certificate and HTTPS
// is enforced; mapping rows the certificate does not cover are refused with
// row and column before anything is sent.

#include "absl/strings/str_cat.h"
#include "cloud/airec_client.h"
#include "cloud/http_client.h"
#include "common/clock.h"
#include "emulator/cloud_emulator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pki/digest.h"
#include "targets/airec_target.h"
#include "targets/endpoint_probe.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_pki.h"

namespace certferry::targets {
namespace {

using ::certferry::testing::IsOk;
using ::certferry::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kInstance[] = "airec-cn-target1";

class AirecTargetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto config = emulator::ParseEmulatorConfig(R"({
        "access_keys": [{"id": "LTAIairec", "secret": "a1rec"}],
        "worker_step_ms": 20,
        "airec_instances": [{"id": "airec-cn-target1",
                             "domain": "rec.example.com",
                             "validation": "HTTP_FILE"}]})");
    ASSERT_THAT(config, IsOk());
    emulator_ = std::make_unique<emulator::CloudEmulator>(*std::move(config));
    ASSERT_THAT(emulator_->Start("127.0.0.1", 0), IsOk());
    cloud::AirecClientOptions options;
    options.endpoint = absl::StrCat("http://127.0.0.1:", emulator_->api_port());
    airec_ = std::make_unique<cloud::AirecClient>(
        options,
        cloud::Credentials{"LTAIairec", SecretString("a1rec"), std::nullopt},
        http_, clock_);
  }

  AirecTarget Target(std::vector<std::string> domains,
                     bool enforce_https = true) {
    AirecTargetConfig config;
    config.instance_id = kInstance;
    config.domains = std::move(domains);
    config.enforce_https = enforce_https;
    config.validation_timeout = absl::Seconds(30);
    config.poll_interval = absl::Milliseconds(20);
    return AirecTarget(*airec_, config);
  }

  static TargetContents ContentsFor(const testing::TestChain& chain) {
    TargetContents contents;
    contents.empty = false;
    contents.chain_pem = chain.fullchain_pem();
    contents.private_key_pem = SecretString(chain.leaf.key.private_key_pem);
    contents.leaf_sha256 = pki::Sha256Hex(chain.leaf.cert_der);
    return contents;
  }

  std::string Served() {
    auto served = FetchServedCertificate(
        {"127.0.0.1", emulator_->AirecTlsPort(kInstance), "rec.example.com"},
        absl::Seconds(5));
    EXPECT_THAT(served, IsOk());
    return served.ok() ? served->leaf_sha256 : "";
  }

  SystemClock clock_;
  cloud::CurlHttpClient http_;
  std::unique_ptr<emulator::CloudEmulator> emulator_;
  std::unique_ptr<cloud::AirecClient> airec_;
};

TEST_F(AirecTargetTest,
       BindReachesSuccessServesTheCertificateAndEnforcesHttps) {
  AirecTarget target = Target({"rec.example.com", "api.rec.example.com"});
  auto before = target.ReadCurrent();
  ASSERT_THAT(before, IsOk());
  EXPECT_TRUE(before->empty);

  const testing::TestChain chain =
      testing::MakeChain({"rec.example.com", "*.rec.example.com"});
  auto applied = target.Apply(ContentsFor(chain));
  ASSERT_THAT(applied, IsOk());
  EXPECT_THAT(applied->output,
              AllOf(HasSubstr(kInstance), HasSubstr("HTTP_FILE validation"),
                    HasSubstr("HTTPS enforced")));
  const std::string leaf = pki::Sha256Hex(chain.leaf.cert_der);
  EXPECT_EQ(Served(), leaf);

  auto status = airec_->GetCertificateStatus(kInstance);
  ASSERT_THAT(status, IsOk());
  EXPECT_EQ(status->status, "SUCCESS");
  EXPECT_TRUE(status->https_enforced);
  // The platform read the uploaded workbook: both rows, as written.
  EXPECT_THAT(status->domains,
              ElementsAre("rec.example.com", "api.rec.example.com"));

  auto now = target.ReadCurrent();
  ASSERT_THAT(now, IsOk());
  EXPECT_FALSE(now->empty);
  EXPECT_EQ(now->leaf_sha256, leaf);
}

TEST_F(AirecTargetTest, WithoutEnforcementHttpsIsLeftAlone) {
  AirecTarget target = Target({"rec.example.com"}, /*enforce_https=*/false);
  ASSERT_THAT(
      target.Apply(ContentsFor(testing::MakeChain({"rec.example.com"}))),
      IsOk());
  auto status = airec_->GetCertificateStatus(kInstance);
  ASSERT_THAT(status, IsOk());
  EXPECT_EQ(status->status, "SUCCESS");
  EXPECT_FALSE(status->https_enforced);
}

TEST_F(AirecTargetTest, UncoveredDomainIsRefusedWithRowAndColumnBeforeUpload) {
  AirecTarget target = Target({"rec.example.com", "shop.example.org"});
  auto applied =
      target.Apply(ContentsFor(testing::MakeChain({"rec.example.com"})));
  EXPECT_THAT(applied.status(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("nothing was sent"),
                             HasSubstr("row 3, column Domain"),
                             HasSubstr("shop.example.org"))));
  auto status = airec_->GetCertificateStatus(kInstance);
  ASSERT_THAT(status, IsOk());
  EXPECT_EQ(status->status, "NONE");  // no upload happened
}

TEST_F(AirecTargetTest, WildcardAndTrailingSlashRowsAreRefused) {
  const testing::TestChain chain =
      testing::MakeChain({"rec.example.com", "*.example.com"});
  auto wildcard = Target({"*.example.com"}).Apply(ContentsFor(chain));
  EXPECT_THAT(wildcard.status(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("row 2, column Domain"),
                             HasSubstr("wildcard"))));
  auto slash = Target({"rec.example.com/"}).Apply(ContentsFor(chain));
  EXPECT_THAT(slash.status(), StatusIs(absl::StatusCode::kFailedPrecondition,
                                       AllOf(HasSubstr("row 2, column Domain"),
                                             HasSubstr("slash"))));
  EXPECT_EQ(airec_->GetCertificateStatus(kInstance)->status, "NONE");
}

TEST_F(AirecTargetTest, EnforcingHttpsBeforeABindingIsAPreconditionFailure) {
  EXPECT_THAT(airec_->EnforceHttps(kInstance),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("CertificateNotBound")));
}

TEST_F(AirecTargetTest, UnknownInstanceIsNotFound) {
  AirecTargetConfig config;
  config.instance_id = "airec-cn-missing";
  config.domains = {"rec.example.com"};
  AirecTarget target(*airec_, config);
  EXPECT_THAT(target.ReadCurrent().status(),
              StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace certferry::targets
