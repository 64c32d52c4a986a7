// TargetApi and DeploymentApi against a real PostgreSQL: target validation,
// the name-coverage preview, refusal before anything is queued, request_id
// idempotency, rollback preconditions and listing. Running deployments is
// tested with real nginx in tests/e2e/deployment_e2e_test.cc.

#include <memory>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pki/key_envelope.h"
#include "service/certificate_api.h"
#include "service/deployment_api.h"
#include "service/target_api.h"
#include "storage/audit_repository.h"
#include "storage/deployment_repository.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_database.h"
#include "tests/support/test_pki.h"

namespace certferry::service {
namespace {

using ::certferry::testing::IsOk;
using ::certferry::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class DeploymentApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto test_db = testing::CreateMigratedTestDatabase();
    ASSERT_THAT(test_db, IsOk());
    dsn_ = test_db->dsn;
    auto db = testing::ConnectTestDatabase(dsn_, 4);
    ASSERT_THAT(db, IsOk());
    db_ = *std::move(db);
    auto kek = pki::KeyEncryptionKeyFromBytes(std::string(32, '\x42'));
    ASSERT_THAT(kek, IsOk());
    keys_ = std::make_unique<pki::KeyRing>(*std::move(kek));
    authorities_ =
        std::make_unique<issuers::CertificateAuthorities>(*db_, *keys_, clock_);
    operations_ = std::make_unique<OperationApi>(*db_);
    notifier_ = std::make_unique<storage::JobNotifier>(*db_);
    certificates_ = std::make_unique<CertificateApi>(
        *db_, *keys_, clock_, *authorities_, *operations_, *notifier_);
    targets_ = std::make_unique<TargetApi>(*db_);
    deployments_ =
        std::make_unique<DeploymentApi>(*db_, *operations_, *notifier_);
  }

  // Imports a certificate for `names`; returns its id.
  std::string ImportFor(const std::string& name,
                        std::vector<std::string> names) {
    testing::TestChain chain = testing::MakeChain(names);
    v1::ImportCertificateRequest request;
    request.set_name(name);
    request.set_chain_pem(chain.fullchain_pem());
    request.set_private_key_pem(chain.leaf.key.private_key_pem);
    auto imported = certificates_->ImportCertificate(request);
    EXPECT_THAT(imported, IsOk());
    return imported.ok() ? imported->id() : "";
  }

  v1::CreateTargetRequest FileTarget(const std::string& name,
                                     std::vector<std::string> domains) {
    v1::CreateTargetRequest request;
    v1::Target* t = request.mutable_target();
    t->set_name(name);
    t->set_kind("file");
    t->mutable_file()->set_directory("/tmp/certferry-targets/" + name);
    t->mutable_file()->add_reload_command("/bin/true");
    for (const auto& d : domains) t->add_domains(d);
    t->mutable_verify_endpoint()->set_host("127.0.0.1");
    t->mutable_verify_endpoint()->set_port(8443);
    return request;
  }

  // Seals queued audit events first, so queries see them.
  int Count(const std::string& sql) {
    EXPECT_THAT(
        db_->RunInTransaction("seal",
                              [](storage::Transaction& tx) {
                                return storage::AuditRepository::SealAll(tx);
                              }),
        IsOk());
    auto value = testing::QueryScalar(dsn_, sql);
    EXPECT_THAT(value, IsOk());
    return value.ok() ? std::stoi(*value) : -1;
  }

  std::string dsn_;
  SystemClock clock_;
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<pki::KeyRing> keys_;
  std::unique_ptr<issuers::CertificateAuthorities> authorities_;
  std::unique_ptr<OperationApi> operations_;
  std::unique_ptr<storage::JobNotifier> notifier_;
  std::unique_ptr<CertificateApi> certificates_;
  std::unique_ptr<TargetApi> targets_;
  std::unique_ptr<DeploymentApi> deployments_;
};

TEST_F(DeploymentApiTest, TargetsAreCreatedListedAndDeleted) {
  auto created =
      targets_->CreateTarget(FileTarget("web-1", {"Shop.Example.com"}));
  ASSERT_THAT(created, IsOk());
  EXPECT_EQ(created->kind(), "file");
  EXPECT_THAT(created->domains(), ElementsAre("shop.example.com"));
  EXPECT_EQ(created->file().chain_file(), "fullchain.pem");
  EXPECT_EQ(created->file().key_file(), "privkey.pem");
  EXPECT_EQ(created->verify_endpoint().sni(), "shop.example.com");
  EXPECT_THAT(
      targets_->CreateTarget(FileTarget("web-1", {"x.example.com"})),
      StatusIs(absl::StatusCode::kAlreadyExists, StartsWith("target.name: ")));
  ASSERT_THAT(targets_->CreateTarget(FileTarget("web-2", {"b.example.com"})),
              IsOk());

  v1::ListTargetsRequest list;
  list.set_page_size(1);
  auto page = targets_->ListTargets(list);
  ASSERT_THAT(page, IsOk());
  ASSERT_EQ(page->targets_size(), 1);
  EXPECT_EQ(page->targets(0).name(), "web-1");
  list.set_page_token(page->next_page_token());
  page = targets_->ListTargets(list);
  ASSERT_THAT(page, IsOk());
  ASSERT_EQ(page->targets_size(), 1);
  EXPECT_EQ(page->targets(0).name(), "web-2");
  EXPECT_TRUE(page->next_page_token().empty());

  v1::DeleteTargetRequest del;
  del.set_name("web-1");
  ASSERT_THAT(targets_->DeleteTarget(del), IsOk());
  v1::GetTargetRequest get;
  get.set_name("web-1");
  EXPECT_THAT(targets_->GetTarget(get),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("web-1")));
  // The name is free again.
  EXPECT_THAT(targets_->CreateTarget(FileTarget("web-1", {"a.example.com"})),
              IsOk());
}

TEST_F(DeploymentApiTest, BadTargetsAreRefusedNamingTheField) {
  struct Case {
    std::function<void(v1::Target*)> mutate;
    std::string field;
  };
  const std::vector<Case> cases = {
      {[](v1::Target* t) { t->set_name("bad name"); }, "target.name: "},
      {[](v1::Target* t) { t->clear_domains(); }, "target.domains: "},
      {[](v1::Target* t) { t->set_domains(0, "bad..example.com"); },
       "target.domains[0]: "},
      {[](v1::Target* t) { t->mutable_file()->set_directory("relative/dir"); },
       "target.file.directory: "},
      {[](v1::Target* t) { t->mutable_file()->set_key_file("../key.pem"); },
       "target.file.key_file: "},
      {[](v1::Target* t) {
         t->mutable_file()->set_reload_command(0, "no-such-program-xyz");
       },
       "target.file.reload_command[0]: "},
      {[](v1::Target* t) { t->set_kind("ftp"); }, "target.kind: "},
      {[](v1::Target* t) { t->set_kind("cas"); }, "target.cas: "},
      {[](v1::Target* t) {
         t->set_kind("cas");
         t->mutable_cas()->set_contact_id(1);
       },
       "target.cas.resource_id: "},
      {[](v1::Target* t) {
         t->set_kind("cas");
         t->mutable_cas()->set_resource_id(1001);
       },
       "target.cas.contact_id: "},
      {[](v1::Target* t) { t->mutable_verify_endpoint()->set_port(70000); },
       "target.verify_endpoint.port: "},
  };
  for (const Case& c : cases) {
    v1::CreateTargetRequest request = FileTarget("t", {"a.example.com"});
    c.mutate(request.mutable_target());
    SCOPED_TRACE(c.field);
    EXPECT_THAT(
        targets_->CreateTarget(request),
        StatusIs(absl::StatusCode::kInvalidArgument, StartsWith(c.field)));
  }
  EXPECT_EQ(Count("SELECT count(*) FROM targets"), 0);
}

TEST_F(DeploymentApiTest, ValidateOnlyPreviewsWithoutQueueing) {
  const std::string id =
      ImportFor("shop", {"shop.example.com", "*.api.example.com"});
  ASSERT_THAT(targets_->CreateTarget(FileTarget(
                  "web", {"shop.example.com", "v1.api.example.com",
                          "a.b.api.example.com", "other.example.com"})),
              IsOk());
  v1::DeployCertificateRequest request;
  request.set_certificate_id(id);
  request.add_targets("web");
  request.set_validate_only(true);
  auto preview = deployments_->DeployCertificate(request);
  ASSERT_THAT(preview, IsOk());
  EXPECT_FALSE(preview->has_operation());
  ASSERT_EQ(preview->previews_size(), 1);
  EXPECT_THAT(preview->previews(0).matching_domains(),
              ElementsAre("shop.example.com", "v1.api.example.com"));
  EXPECT_THAT(preview->previews(0).unmatched_domains(),
              ElementsAre("a.b.api.example.com", "other.example.com"));
  EXPECT_EQ(preview->previews(0).matching_certificates(), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM jobs"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM deployments"), 0);
}

// A CAS resource the certificate does not cover: the preview counts 0
// matching certificates, and deploying is refused in CAS's own words
// before any job (ours or CAS's) exists.
TEST_F(DeploymentApiTest, CasResourceWithNoMatchingCertificateIsRefused) {
  const std::string id = ImportFor("shop", {"shop.example.com"});
  for (const auto& [name, domain] :
       {std::pair{"slb-ok", "shop.example.com"},
        std::pair{"slb-other", "other.example.com"}}) {
    v1::CreateTargetRequest request;
    request.mutable_target()->set_name(name);
    request.mutable_target()->set_kind("cas");
    request.mutable_target()->mutable_cas()->set_resource_id(1001);
    request.mutable_target()->mutable_cas()->set_contact_id(1);
    request.mutable_target()->add_domains(domain);
    ASSERT_THAT(targets_->CreateTarget(request), IsOk());
  }
  v1::DeployCertificateRequest request;
  request.set_certificate_id(id);
  request.add_targets("slb-ok");
  request.add_targets("slb-other");
  request.set_validate_only(true);
  auto preview = deployments_->DeployCertificate(request);
  ASSERT_THAT(preview, IsOk());
  ASSERT_EQ(preview->previews_size(), 2);
  EXPECT_EQ(preview->previews(0).matching_certificates(), 1);
  EXPECT_EQ(preview->previews(1).matching_certificates(), 0);
  request.set_validate_only(false);
  EXPECT_THAT(deployments_->DeployCertificate(request),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("target 'slb-other': other.example.com "
                                 "(Number of matching certificates is 0)")));
  EXPECT_EQ(Count("SELECT count(*) FROM jobs"), 0);
}

TEST_F(DeploymentApiTest, UncoveredDomainsAreRefusedBeforeAnythingIsQueued) {
  const std::string id = ImportFor("shop", {"shop.example.com"});
  ASSERT_THAT(targets_->CreateTarget(FileTarget("ok", {"shop.example.com"})),
              IsOk());
  ASSERT_THAT(
      targets_->CreateTarget(FileTarget(
          "bad", {"shop.example.com", "www.example.com", "api.example.com"})),
      IsOk());
  v1::DeployCertificateRequest request;
  request.set_certificate_id(id);
  request.add_targets("ok");
  request.add_targets("bad");
  EXPECT_THAT(deployments_->DeployCertificate(request),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("target 'bad': www.example.com, "
                                       "api.example.com"),
                             ::testing::Not(HasSubstr("target 'ok'")))));
  EXPECT_EQ(Count("SELECT count(*) FROM jobs"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM deployments"), 0);
  // The refusal is audited.
  EXPECT_EQ(Count("SELECT count(*) FROM audit_events WHERE action = "
                  "'DeployCertificate' AND outcome = 'FAILED_PRECONDITION'"),
            1);

  request.clear_targets();
  request.add_targets("missing");
  EXPECT_THAT(deployments_->DeployCertificate(request),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("missing")));
  request.set_certificate_id("not-a-uuid");
  EXPECT_THAT(deployments_->DeployCertificate(request),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       StartsWith("certificate_id: ")));
}

TEST_F(DeploymentApiTest, DeployQueuesOneRecordPerTargetOnceByRequestId) {
  const std::string id = ImportFor("shop", {"*.example.com"});
  for (const char* name : {"a", "b"}) {
    ASSERT_THAT(targets_->CreateTarget(
                    FileTarget(name, {std::string(name) + ".example.com"})),
                IsOk());
  }
  v1::DeployCertificateRequest request;
  request.set_certificate_id(id);
  request.add_targets("a");
  request.add_targets("b");
  request.set_request_id("deploy-1");
  CallInfo call;
  call.actor = "team-a";
  auto first = deployments_->DeployCertificate(request, call);
  ASSERT_THAT(first, IsOk());
  ASSERT_EQ(first->deployments_size(), 2);
  EXPECT_EQ(first->deployments(0).target(), "a");
  EXPECT_EQ(first->deployments(1).target(), "b");
  EXPECT_EQ(first->deployments(0).state(), v1::DEPLOYMENT_STATE_QUEUED);
  EXPECT_EQ(first->deployments(0).actor(), "team-a");
  EXPECT_EQ(first->deployments(0).certificate_version(), 1);
  EXPECT_EQ(first->deployments(0).operation(), first->operation().name());
  EXPECT_EQ(first->operation().metadata().kind(), kDeployJobKind);

  // The call is in the audit log with its actor, once.
  EXPECT_EQ(Count("SELECT count(*) FROM audit_events WHERE action = "
                  "'DeployCertificate' AND actor = 'team-a' AND outcome = "
                  "'ok'"),
            1);
  auto again = deployments_->DeployCertificate(request, call);
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->operation().name(), first->operation().name());
  EXPECT_EQ(again->deployments(1).id(), first->deployments(1).id());
  EXPECT_EQ(Count("SELECT count(*) FROM deployments"), 2);
  EXPECT_EQ(Count("SELECT count(*) FROM jobs"), 1);

  request.add_targets("a-third");
  EXPECT_THAT(
      deployments_->DeployCertificate(request, call),
      StatusIs(absl::StatusCode::kAlreadyExists, StartsWith("request_id: ")));

  // A target with an unfinished deployment cannot be deleted.
  v1::DeleteTargetRequest del;
  del.set_name("a");
  EXPECT_THAT(targets_->DeleteTarget(del),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr(absl::StrCat(first->deployments(0).id()))));

  // Listing by target, by certificate and by state.
  v1::ListDeploymentsRequest list;
  list.set_target("b");
  auto by_target = deployments_->ListDeployments(list);
  ASSERT_THAT(by_target, IsOk());
  ASSERT_EQ(by_target->deployments_size(), 1);
  EXPECT_EQ(by_target->deployments(0).id(), first->deployments(1).id());
  list.Clear();
  list.set_certificate_id(id);
  list.set_page_size(1);
  auto page = deployments_->ListDeployments(list);
  ASSERT_THAT(page, IsOk());
  ASSERT_EQ(page->deployments_size(), 1);
  EXPECT_EQ(page->deployments(0).id(), first->deployments(1).id());
  list.set_page_token(page->next_page_token());
  page = deployments_->ListDeployments(list);
  ASSERT_THAT(page, IsOk());
  ASSERT_EQ(page->deployments_size(), 1);
  EXPECT_EQ(page->deployments(0).id(), first->deployments(0).id());
  list.set_state(v1::DEPLOYMENT_STATE_SUCCEEDED);
  EXPECT_THAT(
      deployments_->ListDeployments(list),
      StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("page_token: ")));
  list.clear_page_token();
  auto none = deployments_->ListDeployments(list);
  ASSERT_THAT(none, IsOk());
  EXPECT_EQ(none->deployments_size(), 0);
}

TEST_F(DeploymentApiTest, OnlyTheTargetsLatestSucceededDeploymentRollsBack) {
  const std::string id = ImportFor("shop", {"shop.example.com"});
  ASSERT_THAT(targets_->CreateTarget(FileTarget("web", {"shop.example.com"})),
              IsOk());
  v1::DeployCertificateRequest request;
  request.set_certificate_id(id);
  request.add_targets("web");
  auto first = deployments_->DeployCertificate(request);
  auto second = deployments_->DeployCertificate(request);
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(second, IsOk());
  const int64_t older = first->deployments(0).id();
  const int64_t newer = second->deployments(0).id();

  v1::RollbackDeploymentRequest rollback;
  rollback.set_deployment(newer);
  EXPECT_THAT(
      deployments_->RollbackDeployment(rollback),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("is queued")));
  // As if both had run.
  for (int64_t d : {older, newer}) {
    ASSERT_THAT(db_->RunInTransaction(
                    "done",
                    [&](storage::Transaction& tx) {
                      return storage::DeploymentRepository::SetState(
                          tx, d, model::DeploymentState::kSucceeded, "", "");
                    }),
                IsOk());
  }
  rollback.set_deployment(older);
  EXPECT_THAT(deployments_->RollbackDeployment(rollback),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr(absl::StrCat("deployment ", newer,
                                              " came after it"))));
  rollback.set_deployment(newer);
  rollback.set_request_id("undo-1");
  auto undo = deployments_->RollbackDeployment(rollback);
  ASSERT_THAT(undo, IsOk());
  EXPECT_EQ(undo->deployment().kind(), "rollback");
  EXPECT_EQ(undo->deployment().rolls_back(), newer);
  EXPECT_EQ(undo->operation().metadata().kind(), kRollbackJobKind);
  auto undo_again = deployments_->RollbackDeployment(rollback);
  ASSERT_THAT(undo_again, IsOk());
  EXPECT_EQ(undo_again->deployment().id(), undo->deployment().id());
  rollback.set_deployment(999999);
  rollback.clear_request_id();
  EXPECT_THAT(deployments_->RollbackDeployment(rollback),
              StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace certferry::service
