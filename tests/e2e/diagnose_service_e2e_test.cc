// DiagnoseEndpoint through DiagnosisApi with a real PostgreSQL and Debian's
// nginx: "the deployment shows success but the old certificate is served"
// is answered by comparing the endpoint with the target's latest
// successful deployment, naming what is served instead; bad input is
// refused naming the field.

#include <filesystem>
#include <fstream>
#include <optional>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/diagnosis_api.h"
#include "targets/target_config.h"
#include "tests/support/nginx_server.h"
#include "tests/support/service_stack.h"
#include "tests/support/status_matchers.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_pki.h"
#include "tests/support/wait_for.h"

namespace certferry::service {
namespace {

using ::certferry::testing::IsOk;
using ::certferry::testing::StatusIs;
using ::testing::HasSubstr;

const v1::Finding* FindingWithId(const v1::DiagnosisReport& report,
                                 const std::string& id) {
  for (const v1::Finding& f : report.findings()) {
    if (f.id() == id) return &f;
  }
  return nullptr;
}

class DiagnoseServiceE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = ::testing::TempDir() + "diagnose-XXXXXX";
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    dir_ = templ;
    placeholder_ = testing::MakeChain({"shop.example.com"});
    Write(placeholder_);
    auto nginx = testing::NginxServer::Create(dir_);
    ASSERT_THAT(nginx, IsOk());
    nginx_ = *std::move(nginx);
    ASSERT_THAT(nginx_->Start(), IsOk());

    testing::ServiceStackOptions options;
    options.deploy.verify_deadline = absl::Seconds(10);
    options.deploy.verify_retry_interval = absl::Milliseconds(50);
    auto stack = testing::ServiceStack::Create(options);
    ASSERT_THAT(stack, IsOk());
    stack_ = *std::move(stack);
    ASSERT_THAT(stack_->Start([](const model::Target& t) {
      return targets::MakeDeployTarget(t);
    }),
                IsOk());
    api_ = std::make_unique<DiagnosisApi>(stack_->db(), stack_->keys());

    v1::CreateTargetRequest create;
    v1::Target* t = create.mutable_target();
    t->set_name("web");
    t->add_domains("shop.example.com");
    t->mutable_file()->set_directory(dir_);
    for (const auto& arg : nginx_->ReloadCommand()) {
      t->mutable_file()->add_reload_command(arg);
    }
    t->mutable_verify_endpoint()->set_host("127.0.0.1");
    t->mutable_verify_endpoint()->set_port(nginx_->port());
    ASSERT_THAT(stack_->targets().CreateTarget(create), IsOk());
  }

  void TearDown() override {
    stack_.reset();
    nginx_.reset();
    std::filesystem::remove_all(dir_);
  }

  void Write(const testing::TestChain& chain) {
    std::ofstream(dir_ + "/fullchain.pem") << chain.fullchain_pem();
    std::ofstream(dir_ + "/privkey.pem") << chain.leaf.key.private_key_pem;
  }

  v1::DiagnoseEndpointRequest Request() const {
    v1::DiagnoseEndpointRequest r;
    r.set_host("127.0.0.1");
    r.set_port(nginx_->port());
    r.set_sni("shop.example.com");
    r.mutable_deadline()->set_seconds(10);
    return r;
  }

  std::string dir_;
  testing::TestChain placeholder_;
  std::unique_ptr<testing::NginxServer> nginx_;
  std::unique_ptr<testing::ServiceStack> stack_;
  std::unique_ptr<DiagnosisApi> api_;
};

TEST_F(DiagnoseServiceE2eTest, SaysWhatIsServedInsteadOfTheDeployment) {
  auto a = stack_->ImportFor("shop-a", {"shop.example.com"});
  ASSERT_THAT(a, IsOk());
  v1::DeployCertificateRequest deploy;
  deploy.set_certificate_id(a->id);
  deploy.add_targets("web");
  auto queued = stack_->deployments().DeployCertificate(deploy);
  ASSERT_THAT(queued, IsOk());
  auto deployed =
      stack_->Finish(queued->operation(), queued->deployments(0).id());
  ASSERT_THAT(deployed, IsOk());
  ASSERT_EQ(deployed->state(), v1::DEPLOYMENT_STATE_SUCCEEDED)
      << deployed->error();

  v1::DiagnoseEndpointRequest by_target = Request();
  by_target.set_expected_target("web");
  auto report = api_->DiagnoseEndpoint(by_target);
  ASSERT_THAT(report, IsOk());
  ASSERT_NE(FindingWithId(*report, "SERVED_AS_DEPLOYED"), nullptr);
  EXPECT_EQ(report->chain(0).sha256(), a->leaf_sha256);

  // Someone puts the old files back by hand and reloads: the deployment
  // still says succeeded, the endpoint serves something else.
  Write(placeholder_);
  auto reload = testing::RunProgram(nginx_->ReloadCommand());
  ASSERT_THAT(reload, IsOk());
  ASSERT_EQ(reload->exit_code, 0) << reload->output;
  // nginx's old worker may answer a few more handshakes after a reload:
  // wait until three diagnoses in a row see the old files.
  std::optional<v1::Finding> stale;
  int in_a_row = 0;
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        report = api_->DiagnoseEndpoint(by_target);
        const v1::Finding* f =
            report.ok() ? FindingWithId(*report, "SERVED_NOT_DEPLOYED")
                        : nullptr;
        in_a_row = f != nullptr ? in_a_row + 1 : 0;
        if (f != nullptr) stale = *f;
        return in_a_row >= 3;
      },
      absl::Seconds(20)));
  EXPECT_EQ(stale->severity(), v1::SEVERITY_HIGH);
  EXPECT_THAT(stale->evidence(), HasSubstr(a->leaf_sha256));
  EXPECT_THAT(stale->remedy(0), HasSubstr("reload"));

  // Asked about A by id, the same answer.
  v1::DiagnoseEndpointRequest by_certificate = Request();
  by_certificate.set_expected_certificate_id(a->id);
  report = api_->DiagnoseEndpoint(by_certificate);
  ASSERT_THAT(report, IsOk());
  EXPECT_NE(FindingWithId(*report, "SERVED_NOT_DEPLOYED"), nullptr);
}

TEST_F(DiagnoseServiceE2eTest, TrustBundleDecidesTrust) {
  v1::DiagnoseEndpointRequest request = Request();
  auto untrusted = api_->DiagnoseEndpoint(request);
  ASSERT_THAT(untrusted, IsOk());
  EXPECT_NE(FindingWithId(*untrusted, "CHAIN_UNTRUSTED_ISSUER"), nullptr);
  EXPECT_EQ(untrusted->worst(), v1::SEVERITY_CRITICAL);

  request.set_trust_bundle_pem(placeholder_.root.cert_pem);
  auto trusted = api_->DiagnoseEndpoint(request);
  ASSERT_THAT(trusted, IsOk());
  EXPECT_NE(FindingWithId(*trusted, "CHAIN_TRUSTED"), nullptr);
  EXPECT_NE(FindingWithId(*trusted, "HOSTNAME_MATCH"), nullptr);
  EXPECT_FALSE(trusted->protocol().empty());
  EXPECT_GT(trusted->elapsed().nanos() + trusted->elapsed().seconds(), 0);
  // Nothing HIGH or worse on a correctly configured endpoint.
  EXPECT_LT(trusted->worst(), v1::SEVERITY_HIGH);
}

TEST_F(DiagnoseServiceE2eTest, BadInputNamesTheField) {
  v1::DiagnoseEndpointRequest url = Request();
  url.set_host("https://shop.example.com/");
  EXPECT_THAT(api_->DiagnoseEndpoint(url).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("host")));
  v1::DiagnoseEndpointRequest both = Request();
  both.set_expected_target("web");
  both.set_expected_certificate_id("5f0b3c2e-1d2a-4e5f-9a8b-7c6d5e4f3a2b");
  EXPECT_THAT(api_->DiagnoseEndpoint(both).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("expected_certificate_id, expected_target")));
  v1::DiagnoseEndpointRequest unknown = Request();
  unknown.set_expected_target("nope");
  EXPECT_THAT(api_->DiagnoseEndpoint(unknown).status(),
              StatusIs(absl::StatusCode::kNotFound));
  v1::DiagnoseEndpointRequest never = Request();
  never.set_expected_target("web");  // no deployment yet
  EXPECT_THAT(api_->DiagnoseEndpoint(never).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("no successful deployment")));
  v1::DiagnoseEndpointRequest slow = Request();
  slow.mutable_deadline()->set_seconds(600);
  EXPECT_THAT(
      api_->DiagnoseEndpoint(slow).status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("deadline")));
  v1::DiagnoseEndpointRequest port = Request();
  port.set_port(70000);
  EXPECT_THAT(api_->DiagnoseEndpoint(port).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("port")));
}

}  // namespace
}  // namespace certferry::service
