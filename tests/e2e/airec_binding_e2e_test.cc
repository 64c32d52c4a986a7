// BindCertificate through DeploymentApi, the job runner and DeployHandler to
// an AIRec target on certferry-cloud-emulator (V3-signed multipart upload
// of certificate_info.xlsx, real TLS on the instance's port), with a real
// PostgreSQL: the binding reaches SUCCESS, HTTPS is enforced, the handshake
// verifies it, and a rollback binds the previous version again.

#include "absl/strings/str_cat.h"
#include "cloud/airec_client.h"
#include "cloud/http_client.h"
#include "common/clock.h"
#include "emulator/cloud_emulator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mapping/certificate_info_xlsx.h"
#include "targets/endpoint_probe.h"
#include "targets/target_config.h"
#include "tests/support/service_stack.h"
#include "tests/support/status_matchers.h"

namespace certferry::service {
namespace {

using ::certferry::testing::IsOk;
using ::certferry::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr char kInstance[] = "airec-cn-e2e";

class AirecBindingE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto config = emulator::ParseEmulatorConfig(R"({
        "access_keys": [{"id": "LTAIe2e", "secret": "e2e-secret"}],
        "worker_step_ms": 20,
        "airec_instances": [{"id": "airec-cn-e2e",
                             "domain": "rec.example.com"}]})");
    ASSERT_THAT(config, IsOk());
    emulator_ = std::make_unique<emulator::CloudEmulator>(*std::move(config));
    ASSERT_THAT(emulator_->Start("127.0.0.1", 0), IsOk());
    cloud::AirecClientOptions options;
    options.endpoint = absl::StrCat("http://127.0.0.1:", emulator_->api_port());
    airec_ = std::make_unique<cloud::AirecClient>(
        options,
        cloud::Credentials{"LTAIe2e", SecretString("e2e-secret"), std::nullopt},
        http_, clock_);

    testing::ServiceStackOptions stack_options;
    stack_options.deploy.verify_deadline = absl::Seconds(10);
    stack_options.deploy.verify_retry_interval = absl::Milliseconds(50);
    auto stack = testing::ServiceStack::Create(stack_options);
    ASSERT_THAT(stack, IsOk());
    stack_ = *std::move(stack);
    const cloud::AirecClient* airec = airec_.get();
    ASSERT_THAT(stack_->Start([airec](const model::Target& t) {
      return targets::MakeDeployTarget(t, nullptr, airec);
    }),
                IsOk());
  }

  absl::StatusOr<v1::Target> CreateTarget(const std::string& name,
                                          std::vector<std::string> domains) {
    v1::CreateTargetRequest create;
    v1::Target* t = create.mutable_target();
    t->set_name(name);
    t->mutable_airec()->set_instance_id(kInstance);
    for (const std::string& d : domains) t->add_domains(d);
    t->mutable_verify_endpoint()->set_host("127.0.0.1");
    t->mutable_verify_endpoint()->set_port(emulator_->AirecTlsPort(kInstance));
    t->mutable_verify_endpoint()->set_sni("rec.example.com");
    return stack_->targets().CreateTarget(create);
  }

  v1::BindCertificateRequest Bind(const std::string& certificate_id) {
    v1::BindCertificateRequest request;
    request.set_certificate_id(certificate_id);
    request.set_target("rec");
    return request;
  }

  std::string Served() {
    auto served = targets::FetchServedCertificate(
        {"127.0.0.1", emulator_->AirecTlsPort(kInstance), "rec.example.com"},
        absl::Seconds(5));
    EXPECT_THAT(served, IsOk());
    return served.ok() ? served->leaf_sha256 : "";
  }

  SystemClock clock_;
  cloud::CurlHttpClient http_;
  std::unique_ptr<emulator::CloudEmulator> emulator_;
  std::unique_ptr<cloud::AirecClient> airec_;
  std::unique_ptr<testing::ServiceStack> stack_;
};

TEST_F(AirecBindingE2eTest, BindEnforcesHttpsVerifiesAndRollsBack) {
  ASSERT_THAT(CreateTarget("rec", {"rec.example.com", "www.rec.example.com"}),
              IsOk());
  auto a = stack_->ImportFor("rec-a", {"rec.example.com", "*.rec.example.com"});
  auto b =
      stack_->ImportFor("rec-b", {"rec.example.com", "www.rec.example.com"});
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());

  // The preview shows the rows and the file, and queues nothing.
  v1::BindCertificateRequest preview = Bind(a->id);
  preview.set_validate_only(true);
  auto previewed = stack_->deployments().BindCertificate(preview);
  ASSERT_THAT(previewed, IsOk());
  EXPECT_FALSE(previewed->has_operation());
  ASSERT_EQ(previewed->mapping_size(), 2);
  EXPECT_EQ(previewed->mapping(1).row(), 3);
  EXPECT_EQ(previewed->mapping(1).domain(), "www.rec.example.com");
  EXPECT_EQ(previewed->mapping(1).protocol(), "HTTPS");
  EXPECT_EQ(previewed->mapping(1).port(), 443);
  EXPECT_EQ(previewed->preview().matching_certificates(), 1);
  auto sheet = mapping::ReadCertificateInfoXlsx(previewed->mapping_file());
  ASSERT_THAT(sheet, IsOk());
  ASSERT_EQ(sheet->rows.size(), 2u);
  EXPECT_EQ(sheet->rows[0].domain, "rec.example.com");

  auto bound = stack_->deployments().BindCertificate(Bind(a->id));
  ASSERT_THAT(bound, IsOk());
  auto first = stack_->Finish(bound->operation(), bound->deployment().id());
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(first->state(), v1::DEPLOYMENT_STATE_SUCCEEDED) << first->error();
  EXPECT_THAT(first->evidence(), HasSubstr("HTTPS enforced"));
  EXPECT_TRUE(first->previous_empty());
  EXPECT_EQ(Served(), a->leaf_sha256);
  auto status = airec_->GetCertificateStatus(kInstance);
  ASSERT_THAT(status, IsOk());
  EXPECT_EQ(status->status, "SUCCESS");
  EXPECT_TRUE(status->https_enforced);

  auto rebound = stack_->deployments().BindCertificate(Bind(b->id));
  ASSERT_THAT(rebound, IsOk());
  auto second =
      stack_->Finish(rebound->operation(), rebound->deployment().id());
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(second->state(), v1::DEPLOYMENT_STATE_SUCCEEDED) << second->error();
  // What was bound before is known to certferry, so it can be put back.
  EXPECT_EQ(second->previous_certificate_id(), a->id);
  EXPECT_EQ(Served(), b->leaf_sha256);

  v1::RollbackDeploymentRequest rollback;
  rollback.set_deployment(second->id());
  auto rolled = stack_->deployments().RollbackDeployment(rollback);
  ASSERT_THAT(rolled, IsOk());
  auto undone = stack_->Finish(rolled->operation(), rolled->deployment().id());
  ASSERT_THAT(undone, IsOk());
  EXPECT_EQ(undone->state(), v1::DEPLOYMENT_STATE_SUCCEEDED) << undone->error();
  EXPECT_EQ(Served(), a->leaf_sha256);
  EXPECT_EQ(airec_->GetCertificateStatus(kInstance)->certificate_sha256,
            a->leaf_sha256);
}

TEST_F(AirecBindingE2eTest, UncoveredDomainIsRefusedWithRowAndColumn) {
  ASSERT_THAT(CreateTarget("rec", {"rec.example.com", "shop.example.org"}),
              IsOk());
  auto a = stack_->ImportFor("rec-a", {"rec.example.com"});
  ASSERT_THAT(a, IsOk());
  auto bound = stack_->deployments().BindCertificate(Bind(a->id));
  EXPECT_THAT(bound.status(), StatusIs(absl::StatusCode::kFailedPrecondition,
                                       AllOf(HasSubstr("row 3, column Domain"),
                                             HasSubstr("shop.example.org"))));
  v1::ListDeploymentsRequest list;
  auto listed = stack_->deployments().ListDeployments(list);
  ASSERT_THAT(listed, IsOk());
  EXPECT_EQ(listed->deployments_size(), 0);  // nothing queued
  EXPECT_EQ(airec_->GetCertificateStatus(kInstance)->status, "NONE");
}

TEST_F(AirecBindingE2eTest, TargetDomainsFollowTheMappingRules) {
  EXPECT_THAT(
      CreateTarget("wild", {"*.rec.example.com"}).status(),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("target.domains[0]"), HasSubstr("wildcard"))));
  EXPECT_THAT(
      CreateTarget("slash", {"rec.example.com/"}).status(),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("target.domains[0]"), HasSubstr("slash"))));
}

TEST_F(AirecBindingE2eTest, BindingAFileTargetIsRefused) {
  v1::CreateTargetRequest create;
  v1::Target* t = create.mutable_target();
  t->set_name("rec");
  t->mutable_file()->set_directory(::testing::TempDir() + "/airec-file");
  t->mutable_file()->add_reload_command("/bin/true");
  t->add_domains("rec.example.com");
  ASSERT_THAT(stack_->targets().CreateTarget(create), IsOk());
  auto a = stack_->ImportFor("rec-a", {"rec.example.com"});
  ASSERT_THAT(a, IsOk());
  EXPECT_THAT(stack_->deployments().BindCertificate(Bind(a->id)).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("use DeployCertificate")));
}

}  // namespace
}  // namespace certferry::service
