// Deploy, verify and roll back through DeploymentApi, the job runner and
// DeployHandler to a file target that Debian's nginx serves on loopback,
// with a real PostgreSQL: deploy A, nginx serves A; deploy B, it serves B;
// roll back, it serves A again; a failed reload leaves A served and the
// files unchanged; a name mismatch is refused before anything is written; a
// certificate nginx rejects is put back automatically; a deployment nginx
// never takes into use fails verification and is rolled back.

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pki/digest.h"
#include "service/deployment_api.h"
#include "storage/audit_repository.h"
#include "targets/endpoint_probe.h"
#include "targets/target_config.h"
#include "tests/support/nginx_server.h"
#include "tests/support/service_stack.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_database.h"
#include "tests/support/test_pki.h"

namespace certferry::service {
namespace {

using ::certferry::testing::IsOk;
using ::testing::HasSubstr;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void WriteFile(const std::string& path, const std::string& content,
               std::filesystem::perms perms) {
  std::ofstream(path, std::ios::binary) << content;
  std::filesystem::permissions(path, perms);
}

std::vector<std::string> FindingIds(const v1::Deployment& d) {
  std::vector<std::string> ids;
  for (const v1::Finding& f : d.findings()) ids.push_back(f.id());
  return ids;
}

class DeploymentE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = absl::StrCat(::testing::TempDir(), "deploy-XXXXXX");
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    root_ = templ;
    dir_ = root_ + "/certs";
    std::filesystem::create_directory(dir_);
    auto nginx = testing::NginxServer::Create(dir_);
    ASSERT_THAT(nginx, IsOk());
    nginx_ = *std::move(nginx);
    // nginx needs files to start: a placeholder certferry did not deploy.
    placeholder_ = testing::MakeChain({"shop.example.com"});
    WriteFile(dir_ + "/fullchain.pem", placeholder_.fullchain_pem(),
              std::filesystem::perms(0644));
    WriteFile(dir_ + "/privkey.pem", placeholder_.leaf.key.private_key_pem,
              std::filesystem::perms(0600));
    ASSERT_THAT(nginx_->Start(), IsOk());

    testing::ServiceStackOptions options;
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
    stack_.reset();  // workers stop before nginx and the files go
    nginx_.reset();
    std::filesystem::remove_all(root_);
  }

  // A target on the nginx directory; `reload` overrides the reload command.
  void CreateTarget(const std::string& name, bool with_check,
                    std::vector<std::string> reload = {}) {
    v1::CreateTargetRequest request;
    v1::Target* t = request.mutable_target();
    t->set_name(name);
    t->set_kind("file");
    t->add_domains("shop.example.com");
    v1::FileTargetConfig* file = t->mutable_file();
    file->set_directory(dir_);
    if (with_check) {
      for (const auto& arg : nginx_->CheckCommand()) {
        file->add_check_command(arg);
      }
    }
    if (reload.empty()) reload = nginx_->ReloadCommand();
    for (const auto& arg : reload) file->add_reload_command(arg);
    t->mutable_verify_endpoint()->set_host("127.0.0.1");
    t->mutable_verify_endpoint()->set_port(nginx_->port());
    t->mutable_verify_endpoint()->set_sni("shop.example.com");
    ASSERT_THAT(stack_->targets().CreateTarget(request), IsOk());
  }

  struct Imported {
    std::string id;
    std::string leaf_sha256;
  };
  Imported Import(const std::string& name, const testing::TestChain& chain,
                  const testing::TestIdentity& leaf) {
    v1::ImportCertificateRequest request;
    request.set_name(name);
    request.set_chain_pem(leaf.cert_pem + chain.intermediate.cert_pem);
    request.set_private_key_pem(leaf.key.private_key_pem);
    auto imported = stack_->certificates().ImportCertificate(request);
    EXPECT_THAT(imported, IsOk());
    return {imported.ok() ? imported->id() : "", pki::Sha256Hex(leaf.cert_der)};
  }
  Imported Import(const std::string& name, std::vector<std::string> names) {
    testing::TestChain chain = testing::MakeChain(names);
    return Import(name, chain, chain.leaf);
  }

  // Runs a deployment or rollback operation to its end; returns the
  // deployment record.
  v1::Deployment Finish(const v1::Operation& op, int64_t deployment_id) {
    auto d = stack_->Finish(op, deployment_id);
    EXPECT_THAT(d, IsOk());
    return d.ok() ? *d : v1::Deployment();
  }

  v1::Deployment Deploy(const std::string& certificate_id,
                        const std::string& target) {
    v1::DeployCertificateRequest request;
    request.set_certificate_id(certificate_id);
    request.add_targets(target);
    auto queued = stack_->deployments().DeployCertificate(request);
    EXPECT_THAT(queued, IsOk());
    if (!queued.ok()) return v1::Deployment();
    return Finish(queued->operation(), queued->deployments(0).id());
  }

  // The leaf nginx serves once it serves `expected` (old workers of a
  // reload may answer for a moment), or what it served at the deadline.
  std::string ServedOnceSettled(const std::string& expected) {
    const targets::VerifyEndpoint endpoint{"127.0.0.1", nginx_->port(),
                                           "shop.example.com"};
    auto served = targets::WaitForServedLeaf(
        endpoint, expected, absl::Seconds(10), absl::Milliseconds(50));
    if (served.ok()) return served->leaf_sha256;
    auto last = targets::FetchServedCertificate(endpoint, absl::Seconds(5));
    EXPECT_THAT(last, IsOk());
    return last.ok() ? last->leaf_sha256 : "";
  }

  std::unique_ptr<testing::ServiceStack> stack_;
  std::string root_, dir_;
  std::unique_ptr<testing::NginxServer> nginx_;
  testing::TestChain placeholder_;
};

TEST_F(DeploymentE2eTest, DeployVerifyAndRollBackAgainstNginx) {
  CreateTarget("web", /*with_check=*/true);
  const Imported a = Import("shop-a", {"shop.example.com"});
  const Imported b = Import("shop-b", {"shop.example.com", "www.example.com"});

  const v1::Deployment first = Deploy(a.id, "web");
  ASSERT_EQ(first.state(), v1::DEPLOYMENT_STATE_SUCCEEDED) << first.error();
  EXPECT_EQ(ServedOnceSettled(a.leaf_sha256), a.leaf_sha256);
  // The verifying handshake's chain is diagnosed and kept, worst first: the
  // test CA's root is nobody's trusted root.
  EXPECT_THAT(FindingIds(first),
              ::testing::IsSupersetOf({"CHAIN_UNTRUSTED_ISSUER",
                                       "HOSTNAME_MATCH", "SERVED_AS_DEPLOYED",
                                       "CERT_VALIDITY_OK"}));
  ASSERT_GT(first.findings_size(), 0);
  EXPECT_EQ(first.findings(0).severity(), v1::SEVERITY_CRITICAL);
  // What was there before was not certferry's: recorded by fingerprint.
  EXPECT_EQ(first.previous_leaf_sha256(),
            pki::Sha256Hex(placeholder_.leaf.cert_der));
  EXPECT_TRUE(first.previous_certificate_id().empty());
  EXPECT_EQ(std::filesystem::status(dir_ + "/privkey.pem").permissions() &
                std::filesystem::perms::all,
            std::filesystem::perms(0600));

  const v1::Deployment second = Deploy(b.id, "web");
  ASSERT_EQ(second.state(), v1::DEPLOYMENT_STATE_SUCCEEDED) << second.error();
  EXPECT_EQ(ServedOnceSettled(b.leaf_sha256), b.leaf_sha256);
  EXPECT_EQ(second.previous_certificate_id(), a.id);

  // The first is no longer the latest: refused, naming the second.
  v1::RollbackDeploymentRequest rollback;
  rollback.set_deployment(first.id());
  EXPECT_THAT(stack_->deployments().RollbackDeployment(rollback),
              testing::StatusIs(absl::StatusCode::kFailedPrecondition,
                                HasSubstr(absl::StrCat(second.id()))));
  rollback.set_deployment(second.id());
  auto undo = stack_->deployments().RollbackDeployment(rollback);
  ASSERT_THAT(undo, IsOk());
  const v1::Deployment undone =
      Finish(undo->operation(), undo->deployment().id());
  ASSERT_EQ(undone.state(), v1::DEPLOYMENT_STATE_SUCCEEDED) << undone.error();
  EXPECT_EQ(undone.rolls_back(), second.id());
  EXPECT_EQ(ServedOnceSettled(a.leaf_sha256), a.leaf_sha256);
  v1::GetDeploymentRequest get;
  get.set_id(second.id());
  EXPECT_EQ(stack_->deployments().GetDeployment(get)->state(),
            v1::DEPLOYMENT_STATE_ROLLED_BACK);

  // Rolling back the first deployment now puts the placeholder back, key
  // and all, from the sealed copy taken before it.
  rollback.set_deployment(first.id());
  auto to_placeholder = stack_->deployments().RollbackDeployment(rollback);
  ASSERT_THAT(to_placeholder, IsOk());
  EXPECT_EQ(
      Finish(to_placeholder->operation(), to_placeholder->deployment().id())
          .state(),
      v1::DEPLOYMENT_STATE_SUCCEEDED);
  EXPECT_EQ(ServedOnceSettled(pki::Sha256Hex(placeholder_.leaf.cert_der)),
            pki::Sha256Hex(placeholder_.leaf.cert_der));
  EXPECT_EQ(ReadFile(dir_ + "/privkey.pem"),
            placeholder_.leaf.key.private_key_pem);

  // Every deployment's outcome is in an intact audit log.
  auto verified = stack_->db().RunInTransaction<storage::AuditVerification>(
      "verify", [](storage::Transaction& tx) {
        return storage::AuditRepository::Verify(tx);
      });
  ASSERT_THAT(verified, IsOk());
  EXPECT_TRUE(verified->intact);
  auto events = stack_->db().RunInTransaction<std::vector<storage::AuditEvent>>(
      "list", [&](storage::Transaction& tx) {
        storage::AuditQuery query;
        query.resource = absl::StrCat("deployments/", second.id());
        return storage::AuditRepository::List(tx, query);
      });
  ASSERT_THAT(events, IsOk());
  std::vector<std::string> actions;
  for (const auto& e : *events) actions.push_back(e.event.action);
  EXPECT_THAT(actions, ::testing::Contains("deployment.succeeded"));
  EXPECT_THAT(actions, ::testing::Contains("deployment.rolled_back"));
}

TEST_F(DeploymentE2eTest, FailedReloadLeavesTheServedFilesUnchanged) {
  CreateTarget("web", /*with_check=*/true);
  const Imported a = Import("shop-a", {"shop.example.com"});
  ASSERT_EQ(Deploy(a.id, "web").state(), v1::DEPLOYMENT_STATE_SUCCEEDED);
  const std::string chain_before = ReadFile(dir_ + "/fullchain.pem");
  const std::string key_before = ReadFile(dir_ + "/privkey.pem");

  // Same files, but a reload that fails.
  CreateTarget("web-broken-reload", /*with_check=*/false,
               {"/bin/sh", "-c", "echo reload refused >&2; exit 3"});
  const Imported b = Import("shop-b", {"shop.example.com"});
  const v1::Deployment failed = Deploy(b.id, "web-broken-reload");
  EXPECT_EQ(failed.state(), v1::DEPLOYMENT_STATE_FAILED);
  EXPECT_THAT(failed.error(), HasSubstr("reload refused"));
  EXPECT_EQ(ReadFile(dir_ + "/fullchain.pem"), chain_before);
  EXPECT_EQ(ReadFile(dir_ + "/privkey.pem"), key_before);
  EXPECT_EQ(ServedOnceSettled(a.leaf_sha256), a.leaf_sha256);
}

TEST_F(DeploymentE2eTest, NameMismatchIsRefusedBeforeAnythingIsWritten) {
  CreateTarget("web", /*with_check=*/true);
  const std::string chain_before = ReadFile(dir_ + "/fullchain.pem");
  const Imported other = Import("other", {"other.example.com"});
  v1::DeployCertificateRequest request;
  request.set_certificate_id(other.id);
  request.add_targets("web");
  EXPECT_THAT(stack_->deployments().DeployCertificate(request),
              testing::StatusIs(absl::StatusCode::kFailedPrecondition,
                                HasSubstr("shop.example.com")));
  EXPECT_EQ(ReadFile(dir_ + "/fullchain.pem"), chain_before);
  auto count =
      testing::QueryScalar(stack_->dsn(), "SELECT count(*) FROM deployments");
  ASSERT_THAT(count, IsOk());
  EXPECT_EQ(*count, "0");
}

TEST_F(DeploymentE2eTest, CertificateNginxRejectsIsPutBackAutomatically) {
  CreateTarget("web", /*with_check=*/false);  // nginx's reload must catch it
  const Imported a = Import("shop-a", {"shop.example.com"});
  ASSERT_EQ(Deploy(a.id, "web").state(), v1::DEPLOYMENT_STATE_SUCCEEDED);
  const std::string chain_before = ReadFile(dir_ + "/fullchain.pem");

  // An RSA-1024 leaf: certferry stores it, OpenSSL's default security level
  // in nginx refuses to load it.
  testing::TestChain chain = testing::MakeChain({"shop.example.com"});
  testing::CertSpec weak;
  weak.common_name = "shop.example.com";
  weak.dns_names = {"shop.example.com"};
  weak.key_type = testing::TestKeyType::kRsa1024;
  const testing::TestIdentity weak_leaf =
      testing::MakeCertificate(weak, &chain.intermediate);
  const Imported rejected = Import("shop-weak", chain, weak_leaf);
  const v1::Deployment d = Deploy(rejected.id, "web");
  EXPECT_EQ(d.state(), v1::DEPLOYMENT_STATE_FAILED);
  EXPECT_THAT(d.error(), HasSubstr("restored"));
  EXPECT_EQ(ReadFile(dir_ + "/fullchain.pem"), chain_before);
  EXPECT_EQ(ServedOnceSettled(a.leaf_sha256), a.leaf_sha256);
}

TEST_F(DeploymentE2eTest, UnverifiedDeploymentIsRolledBackWithEvidence) {
  // The reload does nothing: nginx keeps serving what it loaded.
  CreateTarget("web", /*with_check=*/true);
  const Imported a = Import("shop-a", {"shop.example.com"});
  ASSERT_EQ(Deploy(a.id, "web").state(), v1::DEPLOYMENT_STATE_SUCCEEDED);
  CreateTarget("web-no-reload", /*with_check=*/true, {"/bin/true"});
  const std::string chain_before = ReadFile(dir_ + "/fullchain.pem");
  const Imported b = Import("shop-b", {"shop.example.com"});
  const v1::Deployment d = Deploy(b.id, "web-no-reload");
  EXPECT_EQ(d.state(), v1::DEPLOYMENT_STATE_FAILED);
  EXPECT_TRUE(d.auto_rolled_back());
  EXPECT_THAT(d.error(), HasSubstr("verification failed"));
  EXPECT_THAT(d.evidence(), HasSubstr(a.leaf_sha256));  // what was served
  EXPECT_THAT(FindingIds(d), ::testing::Contains("SERVED_NOT_DEPLOYED"));
  EXPECT_EQ(ReadFile(dir_ + "/fullchain.pem"), chain_before);
  EXPECT_EQ(ServedOnceSettled(a.leaf_sha256), a.leaf_sha256);
}

// Two deployments to one target never apply at once: the second waits for
// the first's claim on the target. The reload command logs its start and
// end, taking a moment in between, so overlapping runs would interleave.
TEST_F(DeploymentE2eTest, DeploymentsToOneTargetRunOneAtATime) {
  const std::string dir = root_ + "/serial";
  const std::string log = root_ + "/reloads.log";
  v1::CreateTargetRequest request;
  v1::Target* t = request.mutable_target();
  t->set_name("serial");
  t->add_domains("shop.example.com");
  t->mutable_file()->set_directory(dir);
  for (const char* arg :
       {"/bin/sh", "-c",
        "echo start >> \"$0\"; sleep 0.3; echo end >> \"$0\""}) {
    t->mutable_file()->add_reload_command(arg);
  }
  t->mutable_file()->add_reload_command(log);
  ASSERT_THAT(stack_->targets().CreateTarget(request), IsOk());
  const Imported a = Import("shop-a", {"shop.example.com"});
  const Imported b = Import("shop-b", {"shop.example.com"});

  // Both queued before either runs; two workers take them at once.
  std::vector<v1::DeployCertificateResponse> queued;
  for (const Imported* c : {&a, &b}) {
    v1::DeployCertificateRequest deploy;
    deploy.set_certificate_id(c->id);
    deploy.add_targets("serial");
    auto response = stack_->deployments().DeployCertificate(deploy);
    ASSERT_THAT(response, IsOk());
    queued.push_back(*response);
  }
  for (const auto& q : queued) {
    EXPECT_EQ(Finish(q.operation(), q.deployments(0).id()).state(),
              v1::DEPLOYMENT_STATE_SUCCEEDED);
  }
  EXPECT_EQ(ReadFile(log), "start\nend\nstart\nend\n");
}

}  // namespace
}  // namespace certferry::service
