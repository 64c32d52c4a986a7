// Renewal end to end, with a real PostgreSQL and Debian's nginx serving a
// file target on loopback: a certificate issued by the built-in CA and
// deployed to nginx is renewed by the scheduler's thread and the new
// version is deployed, verified and served, with no call from anyone; a
// renewal that fails shows its error and is retried; a renewed version that
// nginx does not take into use is rolled back by the normal deploy path.
//
// Time: the stack runs on a FakeClock. IssueCertificate's shortest validity
// is one hour, and with the CA's five-minute backdate a certificate much
// shorter than that would be due the moment it is issued, and so would its
// renewal. Moving the clock 45 minutes past a one-hour certificate's
// issuance makes it due (two thirds of 65 minutes, from notBefore) while
// the version renewal then issues is not, so exactly one renewal happens.

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/proto_convert.h"
#include "targets/endpoint_probe.h"
#include "targets/target_config.h"
#include "tests/support/fake_clock.h"
#include "tests/support/nginx_server.h"
#include "tests/support/service_stack.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_database.h"
#include "tests/support/test_pki.h"
#include "tests/support/wait_for.h"

namespace certferry::service {
namespace {

using ::certferry::testing::IsOk;
using ::certferry::testing::WaitFor;
using ::testing::HasSubstr;

void WriteFile(const std::string& path, const std::string& content,
               std::filesystem::perms perms) {
  std::ofstream(path, std::ios::binary) << content;
  std::filesystem::permissions(path, perms);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

class RenewalE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = absl::StrCat(::testing::TempDir(), "renew-XXXXXX");
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    root_ = templ;
    dir_ = root_ + "/certs";
    std::filesystem::create_directory(dir_);
    auto nginx = testing::NginxServer::Create(dir_);
    ASSERT_THAT(nginx, IsOk());
    nginx_ = *std::move(nginx);
    // nginx needs files to start: a placeholder certferry did not deploy.
    const testing::TestChain placeholder =
        testing::MakeChain({"shop.example.com"});
    WriteFile(dir_ + "/fullchain.pem", placeholder.fullchain_pem(),
              std::filesystem::perms(0644));
    WriteFile(dir_ + "/privkey.pem", placeholder.leaf.key.private_key_pem,
              std::filesystem::perms(0600));
    ASSERT_THAT(nginx_->Start(), IsOk());
    // The target reloads through a script a test can break later.
    reload_script_ = root_ + "/reload.sh";
    SetReload(/*works=*/true);

    testing::ServiceStackOptions options;
    options.clock = &clock_;
    options.renewal_scan_interval = absl::Milliseconds(100);
    options.job_backoff.initial = absl::Milliseconds(50);
    options.job_backoff.maximum = absl::Milliseconds(200);
    options.deploy.verify_deadline = absl::Seconds(3);
    options.deploy.verify_retry_interval = absl::Milliseconds(100);
    auto stack = testing::ServiceStack::Create(options);
    ASSERT_THAT(stack, IsOk());
    stack_ = *std::move(stack);
    ASSERT_THAT(stack_->Start([](const model::Target& t) {
      return targets::MakeDeployTarget(t);
    }),
                IsOk());
  }

  void TearDown() override {
    stack_.reset();  // workers and the scheduler stop before nginx goes
    nginx_.reset();
    std::filesystem::remove_all(root_);
  }

  void SetReload(bool works) {
    std::string script = "#!/bin/sh\nexit 0\n";
    if (works) {
      script = "#!/bin/sh\nexec";
      for (const std::string& arg : nginx_->ReloadCommand()) {
        absl::StrAppend(&script, " '", arg, "'");
      }
      script += "\n";
    }
    WriteFile(reload_script_, script, std::filesystem::perms(0755));
  }

  // The default CA, valid for `validity` from the (fake) now.
  void CreateCa(absl::Duration validity) {
    issuers::CreateAuthorityParams params;
    params.name = "e2e-root";
    params.validity = validity;
    params.make_default = true;
    ASSERT_THAT(stack_->authorities().Create(params), IsOk());
  }

  void CreateTarget() {
    v1::CreateTargetRequest request;
    v1::Target* t = request.mutable_target();
    t->set_name("web");
    t->set_kind("file");
    t->add_domains("shop.example.com");
    v1::FileTargetConfig* file = t->mutable_file();
    file->set_directory(dir_);
    for (const auto& arg : nginx_->CheckCommand()) {
      file->add_check_command(arg);
    }
    file->add_reload_command("/bin/sh");
    file->add_reload_command(reload_script_);
    t->mutable_verify_endpoint()->set_host("127.0.0.1");
    t->mutable_verify_endpoint()->set_port(nginx_->port());
    t->mutable_verify_endpoint()->set_sni("shop.example.com");
    ASSERT_THAT(stack_->targets().CreateTarget(request), IsOk());
  }

  // Issues a one-hour certificate for shop.example.com and deploys it to
  // the target; returns it once nginx serves it.
  v1::Certificate IssueAndDeploy() {
    v1::IssueCertificateRequest issue;
    issue.set_name("shop");
    issue.add_domains("shop.example.com");
    issue.mutable_validity()->set_seconds(3600);
    auto op = stack_->certificates().IssueCertificate(issue);
    EXPECT_THAT(op, IsOk());
    if (!op.ok()) return {};
    v1::WaitOperationRequest wait;
    wait.set_name(op->name());
    wait.mutable_timeout()->set_seconds(60);
    auto done =
        stack_->operations().WaitOperation(wait, absl::InfiniteFuture());
    v1::Certificate issued;
    EXPECT_TRUE(done.ok() && done->response().UnpackTo(&issued));

    v1::DeployCertificateRequest deploy;
    deploy.set_certificate_id(issued.id());
    deploy.add_targets("web");
    auto queued = stack_->deployments().DeployCertificate(deploy);
    EXPECT_THAT(queued, IsOk());
    if (!queued.ok()) return issued;
    auto deployed =
        stack_->Finish(queued->operation(), queued->deployments(0).id());
    EXPECT_THAT(deployed, IsOk());
    EXPECT_EQ(deployed->state(), v1::DEPLOYMENT_STATE_SUCCEEDED)
        << deployed->error();
    EXPECT_EQ(Served(issued.version().sha256_fingerprint()),
              issued.version().sha256_fingerprint());
    return issued;
  }

  // The leaf nginx serves once it serves `expected`, or what it served at
  // the deadline.
  std::string Served(const std::string& expected,
                     absl::Duration deadline = absl::Seconds(10)) {
    const targets::VerifyEndpoint endpoint{"127.0.0.1", nginx_->port(),
                                           "shop.example.com"};
    auto served = targets::WaitForServedLeaf(endpoint, expected, deadline,
                                             absl::Milliseconds(50));
    if (served.ok()) return served->leaf_sha256;
    auto last = targets::FetchServedCertificate(endpoint, absl::Seconds(5));
    EXPECT_THAT(last, IsOk());
    return last.ok() ? last->leaf_sha256 : "";
  }

  v1::Certificate Get(const std::string& id, int version = 0) {
    v1::GetCertificateRequest get;
    get.set_id(id);
    get.set_version(version);
    auto got = stack_->certificates().GetCertificate(get);
    EXPECT_THAT(got, IsOk());
    return got.ok() ? *got : v1::Certificate();
  }

  // The target's deployments, newest first.
  std::vector<v1::Deployment> Deployments() {
    v1::ListDeploymentsRequest list;
    list.set_target("web");
    auto listed = stack_->deployments().ListDeployments(list);
    EXPECT_THAT(listed, IsOk());
    if (!listed.ok()) return {};
    return {listed->deployments().begin(), listed->deployments().end()};
  }

  testing::FakeClock clock_;
  std::string root_, dir_, reload_script_;
  std::unique_ptr<testing::NginxServer> nginx_;
  std::unique_ptr<testing::ServiceStack> stack_;
};

TEST_F(RenewalE2eTest, RenewedVersionIsServedWithoutAnyCall) {
  CreateCa(absl::Hours(24 * 365));
  CreateTarget();
  const v1::Certificate v1 = IssueAndDeploy();
  ASSERT_EQ(v1.version().version(), 1);
  EXPECT_EQ(v1.renewal().state(), v1::RENEWAL_STATE_SCHEDULED);

  clock_.Advance(absl::Minutes(45));
  // From here on only the scheduler's thread and the workers act.
  v1::Certificate now;
  ASSERT_TRUE(WaitFor(
      [&] {
        now = Get(v1.id());
        return now.version_count() == 2;
      },
      absl::Seconds(60)))
      << now.renewal().DebugString();
  const v1::Certificate v2 = Get(v1.id(), 2);
  const std::string leaf2 = v2.version().sha256_fingerprint();
  EXPECT_EQ(Served(leaf2, absl::Seconds(60)), leaf2);

  // Through the normal deploy path: verified against nginx.
  std::vector<v1::Deployment> deployments;
  ASSERT_TRUE(WaitFor(
      [&] {
        deployments = Deployments();
        return !deployments.empty() &&
               deployments.front().state() == v1::DEPLOYMENT_STATE_SUCCEEDED;
      },
      absl::Seconds(30)));
  const v1::Deployment& d = deployments.front();
  EXPECT_EQ(d.certificate_version(), 2);
  EXPECT_EQ(d.leaf_sha256(), leaf2);
  EXPECT_EQ(d.previous_version(), 1);
  EXPECT_EQ(d.actor(), "system");
  EXPECT_EQ(deployments.size(), 2u);

  // Same certificate, next renewal scheduled; no second renewal.
  now = Get(v1.id());
  EXPECT_THAT(now.version().dns_names(),
              ::testing::ElementsAre("shop.example.com"));
  EXPECT_EQ(now.version().issuer(), v1.version().issuer());
  EXPECT_EQ(now.renewal().state(), v1::RENEWAL_STATE_SCHEDULED);
  EXPECT_EQ(now.renewal().renewed_from_version(), 1);
  EXPECT_EQ(now.renewal().renewed_to_version(), 2);
  EXPECT_GT(FromProto(now.renewal().next_renewal_time()), clock_.Now());
  EXPECT_THAT(stack_->renewal_scheduler().ScanOnce(), testing::IsOkAndHolds(0));
  EXPECT_EQ(Get(v1.id()).version_count(), 2);
}

TEST_F(RenewalE2eTest, FailingRenewalShowsItsLastErrorAndIsRetried) {
  // The CA ends 90 minutes from now: the one-hour certificate fits, its
  // renewal 45 minutes later would outlive the CA.
  CreateCa(absl::Minutes(90));
  CreateTarget();
  const v1::Certificate v1 = IssueAndDeploy();
  clock_.Advance(absl::Minutes(45));

  v1::Certificate now;
  ASSERT_TRUE(WaitFor(
      [&] {
        now = Get(v1.id());
        return now.renewal().state() == v1::RENEWAL_STATE_RETRYING &&
               now.renewal().attempts() >= 3;
      },
      absl::Seconds(60)))
      << now.renewal().DebugString();
  EXPECT_THAT(now.renewal().last_error(),
              HasSubstr("after the issuing CA 'e2e-root' expires"));
  EXPECT_THAT(now.renewal().last_error(), HasSubstr("retried with backoff"));
  EXPECT_TRUE(now.renewal().has_last_attempt_time());
  EXPECT_TRUE(now.renewal().has_next_renewal_time());
  // Nothing changed where it is served.
  EXPECT_EQ(now.version_count(), 1);
  EXPECT_EQ(Deployments().size(), 1u);
  EXPECT_EQ(Served(v1.version().sha256_fingerprint()),
            v1.version().sha256_fingerprint());

  // The certificate expires: renewal gives up and says why.
  clock_.Advance(absl::Minutes(20));
  ASSERT_TRUE(WaitFor(
      [&] {
        now = Get(v1.id());
        return now.renewal().state() == v1::RENEWAL_STATE_FAILED;
      },
      absl::Seconds(60)))
      << now.renewal().DebugString();
  EXPECT_THAT(now.renewal().last_error(), HasSubstr("expired at"));
}

TEST_F(RenewalE2eTest, RenewedVersionNginxDoesNotTakeIsRolledBack) {
  CreateCa(absl::Hours(24 * 365));
  CreateTarget();
  const v1::Certificate v1 = IssueAndDeploy();
  const std::string chain1 = ReadFile(dir_ + "/fullchain.pem");
  // From now on the reload does nothing: nginx keeps serving version 1.
  SetReload(/*works=*/false);
  clock_.Advance(absl::Minutes(45));

  std::vector<v1::Deployment> deployments;
  ASSERT_TRUE(WaitFor(
      [&] {
        deployments = Deployments();
        return deployments.size() == 2 &&
               deployments.front().state() == v1::DEPLOYMENT_STATE_FAILED;
      },
      absl::Seconds(60)));
  const v1::Deployment& d = deployments.front();
  EXPECT_EQ(d.certificate_version(), 2);
  EXPECT_TRUE(d.auto_rolled_back());
  EXPECT_THAT(d.error(), HasSubstr("verification failed"));
  EXPECT_EQ(ReadFile(dir_ + "/fullchain.pem"), chain1);
  EXPECT_EQ(Served(v1.version().sha256_fingerprint()),
            v1.version().sha256_fingerprint());
  EXPECT_EQ(Get(v1.id()).version_count(), 2);
}

}  // namespace
}  // namespace certferry::service
