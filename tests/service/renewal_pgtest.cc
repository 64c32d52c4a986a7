// Renewal through the API, the scheduler, the job runner and the renewal
// handler, against a real PostgreSQL, on a fake clock: a renewed version is
// issued like the one it replaces and queued for deployment wherever that
// one is served; a failing renewal shows its error, is retried and stops
// when the version expires; a superseded version is not renewed; the
// certificate's renewal status and policy; listing by expiry.

#include <memory>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "issuers/certificate_authorities.h"
#include "issuers/own_ca_issuer.h"
#include "model/renewal.h"
#include "service/certificate_api.h"
#include "service/operation_api.h"
#include "service/proto_convert.h"
#include "storage/certificate_repository.h"
#include "storage/deployment_repository.h"
#include "tests/support/fake_clock.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_database.h"
#include "tests/support/test_pki.h"
#include "tests/support/wait_for.h"
#include "workers/handlers/issue_certificate_handler.h"
#include "workers/handlers/renew_certificate_handler.h"
#include "workers/job_runner.h"
#include "workers/renewal_scheduler.h"

namespace certferry::service {
namespace {

using ::certferry::testing::IsOk;
using ::certferry::testing::StatusIs;
using ::certferry::testing::WaitFor;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const absl::Time kT0 = absl::FromUnixSeconds(1893456000);  // 2030-01-01

class RenewalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto test_db = testing::CreateMigratedTestDatabase();
    ASSERT_THAT(test_db, IsOk());
    dsn_ = test_db->dsn;
    auto db = testing::ConnectTestDatabase(dsn_, 8);
    ASSERT_THAT(db, IsOk());
    db_ = *std::move(db);
    auto kek = pki::KeyEncryptionKeyFromBytes(std::string(32, '\x2a'));
    ASSERT_THAT(kek, IsOk());
    keys_ = std::make_unique<pki::KeyRing>(*std::move(kek));
    cas_ =
        std::make_unique<issuers::CertificateAuthorities>(*db_, *keys_, clock_);
    issuer_ = std::make_unique<issuers::OwnCaIssuer>(*cas_, *keys_);
    operations_ = std::make_unique<OperationApi>(*db_);
    notifier_ = std::make_unique<storage::JobNotifier>(*db_);
    api_ = std::make_unique<CertificateApi>(*db_, *keys_, clock_, *cas_,
                                            *operations_, *notifier_);
    workers::RenewalSchedulerConfig config;
    config.interval = absl::ZeroDuration();  // scanned by the tests
    scheduler_ = std::make_unique<workers::RenewalScheduler>(
        *db_, clock_, std::vector<std::string>{model::kBuiltInCaIssuer},
        notifier_.get(), config);
  }

  void TearDown() override {
    for (auto& runner : runners_) runner->Shutdown(absl::Seconds(5));
  }

  // A root CA valid for `validity` from now (the fake clock).
  model::CertificateAuthority CreateCa(const std::string& name,
                                       absl::Duration validity) {
    issuers::CreateAuthorityParams params;
    params.name = name;
    params.validity = validity;
    params.make_default = true;
    auto created = cas_->Create(params);
    EXPECT_THAT(created, IsOk());
    return created.ok() ? *created : model::CertificateAuthority();
  }

  // A runner for issuance (`issue`) and/or renewal (`renew`) jobs.
  void StartRunner(bool issue, bool renew) {
    workers::WorkerConfig config;
    config.worker_threads = 2;
    config.poll_interval = absl::Milliseconds(50);
    config.backoff.initial = absl::Milliseconds(50);
    config.backoff.maximum = absl::Milliseconds(100);
    auto runner =
        std::make_unique<workers::JobRunner>(*db_, SecretString(dsn_), config);
    if (issue) {
      runner->RegisterHandler(
          workers::IssueCertificateHandler::kKind,
          std::make_shared<workers::IssueCertificateHandler>(*db_, *cas_,
                                                             *keys_));
    }
    if (renew) {
      runner->RegisterHandler(
          workers::RenewCertificateHandler::kKind,
          std::make_shared<workers::RenewCertificateHandler>(
              *db_, clock_, std::vector<issuers::Issuer*>{issuer_.get()}));
    }
    ASSERT_THAT(runner->Start(), IsOk());
    runners_.push_back(std::move(runner));
  }

  absl::StatusOr<v1::Operation> Wait(const std::string& operation) {
    v1::WaitOperationRequest wait;
    wait.set_name(operation);
    wait.mutable_timeout()->set_seconds(30);
    return operations_->WaitOperation(wait, absl::InfiniteFuture());
  }

  // Issues certificate `name` and waits for it.
  v1::Certificate Issue(const std::string& name,
                        const std::vector<std::string>& domains,
                        absl::Duration validity,
                        const std::string& key_type = "") {
    v1::IssueCertificateRequest request;
    request.set_name(name);
    for (const auto& d : domains) request.add_domains(d);
    request.mutable_validity()->set_seconds(absl::ToInt64Seconds(validity));
    request.set_key_type(key_type);
    auto op = api_->IssueCertificate(request);
    EXPECT_THAT(op, IsOk());
    if (!op.ok()) return v1::Certificate();
    auto done = Wait(op->name());
    EXPECT_THAT(done, IsOk());
    v1::Certificate certificate;
    EXPECT_TRUE(done.ok() && done->response().UnpackTo(&certificate))
        << (done.ok() ? done->error().message() : "");
    return certificate;
  }

  v1::Certificate Get(const std::string& id, int version = 0) {
    v1::GetCertificateRequest get;
    get.set_id(id);
    get.set_version(version);
    auto got = api_->GetCertificate(get);
    EXPECT_THAT(got, IsOk());
    return got.ok() ? *got : v1::Certificate();
  }

  int Scan() {
    auto created = scheduler_->ScanOnce();
    EXPECT_THAT(created, IsOk());
    return created.ok() ? *created : -1;
  }

  std::string Scalar(const std::string& sql) {
    auto value = testing::QueryScalar(dsn_, sql);
    EXPECT_THAT(value, IsOk());
    return value.ok() ? *value : "";
  }

  // A target, and a succeeded deployment of `leaf` there.
  std::string Target(const std::string& name) {
    storage::NewTarget t;
    t.name = name;
    t.kind = "file";
    t.config_json = R"({"directory":"/nonexistent"})";
    t.domains = {"shop.example.com"};
    auto created = db_->RunInTransaction<model::Target>(
        "target", [&](storage::Transaction& tx) {
          return storage::DeploymentRepository::CreateTarget(tx, t);
        });
    EXPECT_THAT(created, IsOk());
    return created.ok() ? created->id : "";
  }
  void Deployed(const std::string& target_id, const std::string& certificate_id,
                int version, const std::string& leaf) {
    ASSERT_THAT(
        db_->RunInTransaction(
            "deployed",
            [&](storage::Transaction& tx) -> absl::Status {
              storage::NewDeployment d;
              d.target_id = target_id;
              d.kind = "deploy";
              d.contents.certificate_id = certificate_id;
              d.contents.certificate_version = version;
              d.contents.leaf_sha256 = leaf;
              d.job_id = 0;
              d.actor = "test";
              CF_ASSIGN_OR_RETURN(
                  int64_t id,
                  storage::DeploymentRepository::InsertDeployment(tx, d));
              return storage::DeploymentRepository::SetState(
                  tx, id, model::DeploymentState::kSucceeded, "", "");
            }),
        IsOk());
  }

  testing::FakeClock clock_{kT0};
  std::string dsn_;
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<pki::KeyRing> keys_;
  std::unique_ptr<issuers::CertificateAuthorities> cas_;
  std::unique_ptr<issuers::OwnCaIssuer> issuer_;
  std::unique_ptr<OperationApi> operations_;
  std::unique_ptr<storage::JobNotifier> notifier_;
  std::unique_ptr<CertificateApi> api_;
  std::unique_ptr<workers::RenewalScheduler> scheduler_;
  std::vector<std::unique_ptr<workers::JobRunner>> runners_;
};

TEST_F(RenewalTest, RenewsLikeTheVersionItReplacesAndDeploysWhereItIsServed) {
  const model::CertificateAuthority ca =
      CreateCa("root", absl::Hours(24 * 365));
  StartRunner(/*issue=*/true, /*renew=*/true);
  const v1::Certificate v1 =
      Issue("shop", {"shop.example.com", "10.0.0.7", "www.example.com"},
            absl::Hours(48), "ecdsa-p384");
  ASSERT_EQ(v1.version().version(), 1);
  EXPECT_EQ(v1.renewal().state(), v1::RENEWAL_STATE_SCHEDULED);
  EXPECT_TRUE(v1.renewal().policy().enabled());
  // Two thirds of notBefore (5 minutes back) to notAfter.
  const absl::Time due =
      kT0 - absl::Minutes(5) + (absl::Hours(48) + absl::Minutes(5)) * 2 / 3;
  EXPECT_EQ(FromProto(v1.renewal().next_renewal_time()), due);

  // Where version 1 is served now, and where it is not (any more).
  const std::string live = Target("live");
  const std::string elsewhere = Target("elsewhere");
  const std::string replaced = Target("replaced");
  const std::string deleted = Target("deleted");
  const std::string leaf1 = v1.version().sha256_fingerprint();
  Deployed(live, v1.id(), 1, leaf1);
  Deployed(elsewhere, v1.id(), 0, "other-leaf");
  Deployed(replaced, v1.id(), 1, leaf1);
  Deployed(replaced, "", 0, "other-leaf");
  Deployed(deleted, v1.id(), 1, leaf1);
  ASSERT_THAT(db_->RunInTransaction(
                  "delete",
                  [&](storage::Transaction& tx) {
                    return storage::DeploymentRepository::DeleteTarget(tx,
                                                                       deleted);
                  }),
              IsOk());

  clock_.Set(due - absl::Seconds(1));
  EXPECT_EQ(Scan(), 0);
  clock_.Set(due + absl::Seconds(1));
  EXPECT_EQ(Scan(), 1);
  EXPECT_TRUE(WaitFor([&] { return Get(v1.id()).version_count() == 2; }));

  const v1::Certificate v2 = Get(v1.id());
  EXPECT_EQ(v2.name(), "shop");
  EXPECT_THAT(v2.version().dns_names(),
              ElementsAre("shop.example.com", "www.example.com"));
  EXPECT_THAT(v2.version().ip_addresses(), ElementsAre("10.0.0.7"));
  EXPECT_EQ(v2.version().subject(), v1.version().subject());
  EXPECT_EQ(v2.version().issuer(), v1.version().issuer());
  EXPECT_EQ(v2.version().key_type(), "ECDSA");
  EXPECT_EQ(v2.version().key_bits(), 384);
  EXPECT_EQ(FromProto(v2.version().not_after()) -
                FromProto(v2.version().not_before()),
            FromProto(v1.version().not_after()) -
                FromProto(v1.version().not_before()));
  EXPECT_EQ(FromProto(v2.version().not_after()),
            clock_.Now() + absl::Hours(48));
  EXPECT_NE(v2.version().sha256_fingerprint(), leaf1);
  // Issued by the same CA, with the same record to renew it again.
  EXPECT_EQ(Scalar(absl::StrCat("SELECT issuer_ca_id FROM certificate_versions "
                                "WHERE version = 2 AND certificate_id = '",
                                v1.id(), "'")),
            ca.id);
  EXPECT_EQ(Scalar("SELECT count(DISTINCT issue_params) FROM "
                   "certificate_versions"),
            "1");
  // The status says renewal made it and when the next is due.
  EXPECT_EQ(v2.renewal().state(), v1::RENEWAL_STATE_SCHEDULED);
  EXPECT_EQ(v2.renewal().renewed_from_version(), 1);
  EXPECT_EQ(v2.renewal().renewed_to_version(), 2);
  EXPECT_EQ(v2.renewal().attempts(), 0);
  EXPECT_THAT(v2.renewal().operation(), ::testing::StartsWith("operations/"));
  EXPECT_GT(FromProto(v2.renewal().next_renewal_time()), clock_.Now());

  // One deployment, with its own job, only where version 1 is served.
  auto deployments = db_->RunInTransaction<std::vector<model::Deployment>>(
      "list", [&](storage::Transaction& tx) {
        storage::DeploymentQuery q;
        q.target_id = live;
        return storage::DeploymentRepository::ListDeployments(tx, q);
      });
  ASSERT_THAT(deployments, IsOk());
  ASSERT_EQ(deployments->size(), 2u);
  const model::Deployment& d = deployments->front();  // newest first
  EXPECT_EQ(d.state, model::DeploymentState::kQueued);
  EXPECT_EQ(d.contents.certificate_version, 2);
  EXPECT_EQ(d.contents.leaf_sha256, v2.version().sha256_fingerprint());
  EXPECT_TRUE(d.verify);
  EXPECT_TRUE(d.auto_rollback);
  EXPECT_EQ(d.actor, "system");
  EXPECT_EQ(Scalar(absl::StrCat("SELECT kind FROM jobs WHERE id = ", d.job_id)),
            "deploy_certificate");
  EXPECT_EQ(Scalar("SELECT count(*) FROM deployments WHERE "
                   "certificate_version = 2"),
            "1");
  // The renewal operation's response is the new version.
  auto op = Wait(v2.renewal().operation());
  ASSERT_THAT(op, IsOk());
  v1::Certificate response;
  ASSERT_TRUE(op->response().UnpackTo(&response));
  EXPECT_EQ(response.version().version(), 2);
  // Recorded in the audit log.
  EXPECT_EQ(Scalar("SELECT summary FROM audit_outbox WHERE action = "
                   "'certificate.renewed' UNION ALL SELECT summary FROM "
                   "audit_events WHERE action = 'certificate.renewed'"),
            absl::StrCat("version 1 renewed as version 2 by ",
                         v2.renewal().operation(), "; deploying to live"));
  // Version 2 is not due yet: nothing more to do.
  EXPECT_EQ(Scan(), 0);
}

TEST_F(RenewalTest, FailingRenewalShowsItsErrorIsRetriedAndStopsAtExpiry) {
  // The CA ends 40 hours from now: a 24-hour certificate fits now, its
  // renewal 17 hours later does not.
  CreateCa("short-lived-root", absl::Hours(40));
  StartRunner(/*issue=*/true, /*renew=*/true);
  const v1::Certificate v1 =
      Issue("shop", {"shop.example.com"}, absl::Hours(24));
  clock_.Advance(absl::Hours(17));
  EXPECT_EQ(Scan(), 1);

  v1::Certificate seen;
  EXPECT_TRUE(WaitFor([&] {
    seen = Get(v1.id());
    return seen.renewal().state() == v1::RENEWAL_STATE_RETRYING &&
           seen.renewal().attempts() >= 3;
  })) << seen.renewal().DebugString();
  EXPECT_EQ(seen.version().version(), 1);
  EXPECT_THAT(seen.renewal().last_error(),
              HasSubstr("UNAVAILABLE: renewing certificate shop version 1: "
                        "INVALID_ARGUMENT: validity: would end"));
  EXPECT_THAT(seen.renewal().last_error(),
              HasSubstr("after the issuing CA 'short-lived-root' expires"));
  EXPECT_TRUE(seen.renewal().has_last_attempt_time());
  EXPECT_TRUE(seen.renewal().has_next_renewal_time());

  // Once version 1 has expired, renewal stops and says so.
  clock_.Advance(absl::Hours(8));
  EXPECT_TRUE(WaitFor([&] {
    seen = Get(v1.id());
    return seen.renewal().state() == v1::RENEWAL_STATE_FAILED;
  })) << seen.renewal().DebugString();
  EXPECT_THAT(seen.renewal().last_error(),
              HasSubstr("FAILED_PRECONDITION: certificate shop version 1 "
                        "expired at"));
  EXPECT_EQ(Scan(), 0);
}

TEST_F(RenewalTest, SupersededVersionIsNotRenewed) {
  CreateCa("root", absl::Hours(24 * 365));
  StartRunner(/*issue=*/true, /*renew=*/false);
  const v1::Certificate v1 =
      Issue("shop", {"shop.example.com"}, absl::Hours(24));
  clock_.Advance(absl::Hours(20));
  EXPECT_EQ(Scan(), 1);  // queued; no renewal worker yet
  // Someone issues version 2 by hand meanwhile.
  Issue("shop", {"shop.example.com"}, absl::Hours(24));
  StartRunner(/*issue=*/false, /*renew=*/true);
  ASSERT_TRUE(WaitFor([&] {
    return Scalar("SELECT state FROM jobs WHERE kind = 'renew_certificate'") ==
           "succeeded";
  }));
  auto result = model::ParseRenewJobResult(
      Scalar("SELECT result FROM jobs WHERE kind = 'renew_certificate'"));
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->renewed_from, 1);
  EXPECT_EQ(result->version, 0);
  const v1::Certificate now = Get(v1.id());
  EXPECT_EQ(now.version_count(), 2);
  EXPECT_EQ(now.renewal().state(), v1::RENEWAL_STATE_SCHEDULED);
  EXPECT_EQ(now.renewal().renewed_to_version(), 0);  // issued by hand
}

TEST_F(RenewalTest, ImportedCertificatesAreNotRenewable) {
  testing::TestChain chain = testing::MakeChain({"shop.example.com"});
  v1::ImportCertificateRequest request;
  request.set_name("imported");
  request.set_chain_pem(chain.fullchain_pem());
  request.set_private_key_pem(chain.leaf.key.private_key_pem);
  request.set_accept_expired(true);
  auto imported = api_->ImportCertificate(request);
  ASSERT_THAT(imported, IsOk());
  EXPECT_EQ(Get(imported->id()).renewal().state(),
            v1::RENEWAL_STATE_NOT_RENEWABLE);
}

TEST_F(RenewalTest, PolicyUpdatesAreValidatedShownAndAudited) {
  CreateCa("root", absl::Hours(24 * 365));
  StartRunner(/*issue=*/true, /*renew=*/false);
  const v1::Certificate c =
      Issue("shop", {"shop.example.com"}, absl::Hours(24 * 90));

  v1::UpdateRenewalPolicyRequest request;
  request.set_certificate_id("nope");
  request.mutable_policy();
  EXPECT_THAT(api_->UpdateRenewalPolicy(request),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("certificate_id")));
  request.set_certificate_id("6d0f4a0e-8a8e-4a43-9d5b-6d8b3f7e2a11");
  EXPECT_THAT(api_->UpdateRenewalPolicy(request),
              StatusIs(absl::StatusCode::kNotFound));
  request.set_certificate_id(c.id());
  request.clear_policy();
  EXPECT_THAT(
      api_->UpdateRenewalPolicy(request),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("policy:")));
  request.mutable_policy()->set_lifetime_fraction(0.5);
  request.mutable_policy()->set_days_before_expiry(30);
  EXPECT_THAT(api_->UpdateRenewalPolicy(request),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("both")));
  request.mutable_policy()->set_days_before_expiry(0);
  request.mutable_policy()->set_lifetime_fraction(0.99);
  EXPECT_THAT(api_->UpdateRenewalPolicy(request),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("policy.lifetime_fraction")));
  request.mutable_policy()->set_lifetime_fraction(0);
  request.mutable_policy()->set_days_before_expiry(-3);
  EXPECT_THAT(api_->UpdateRenewalPolicy(request),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("policy.days_before_expiry")));

  request.mutable_policy()->set_days_before_expiry(30);
  auto updated = api_->UpdateRenewalPolicy(request, {"alice"});
  ASSERT_THAT(updated, IsOk());
  EXPECT_EQ(updated->renewal().policy().days_before_expiry(), 30);
  EXPECT_EQ(FromProto(updated->renewal().next_renewal_time()),
            FromProto(c.version().not_after()) - absl::Hours(24 * 30));

  request.mutable_policy()->set_days_before_expiry(0);
  request.mutable_policy()->set_enabled(false);
  updated = api_->UpdateRenewalPolicy(request, {"alice"});
  ASSERT_THAT(updated, IsOk());
  EXPECT_EQ(updated->renewal().state(), v1::RENEWAL_STATE_DISABLED);
  EXPECT_FALSE(updated->renewal().has_next_renewal_time());
  clock_.Advance(absl::Hours(24 * 80));
  EXPECT_EQ(Scan(), 0);
  EXPECT_EQ(Scalar("SELECT (SELECT count(*) FROM audit_outbox WHERE action "
                   "= 'UpdateRenewalPolicy' AND actor = 'alice' AND outcome "
                   "= 'ok') + (SELECT count(*) FROM audit_events WHERE action "
                   "= 'UpdateRenewalPolicy' AND actor = 'alice' AND outcome "
                   "= 'ok')"),
            "2");
}

TEST_F(RenewalTest, ListsSoonestExpiryFirstAcrossPages) {
  CreateCa("root", absl::Hours(24 * 365));
  StartRunner(/*issue=*/true, /*renew=*/false);
  // Issued in name order, expiring in another.
  const std::vector<std::pair<std::string, int>> certs = {
      {"a", 30}, {"b", 10}, {"c", 50}, {"d", 20}, {"e", 40}};
  for (const auto& [name, days] : certs) {
    Issue(name, {name + ".example.com"}, absl::Hours(24 * days));
  }
  v1::ListCertificatesRequest request;
  request.set_order_by("not_after");
  request.set_page_size(2);
  std::vector<std::string> order;
  do {
    auto page = api_->ListCertificates(request);
    ASSERT_THAT(page, IsOk());
    EXPECT_LE(page->certificates_size(), 2);
    for (const v1::Certificate& c : page->certificates()) {
      order.push_back(c.name());
      EXPECT_EQ(c.renewal().state(), v1::RENEWAL_STATE_SCHEDULED);
    }
    request.set_page_token(page->next_page_token());
  } while (!request.page_token().empty());
  EXPECT_THAT(order, ElementsAre("b", "d", "a", "e", "c"));

  // Expiring within 25 days, soonest first.
  request.set_page_size(0);
  ToProto(clock_.Now() + absl::Hours(24 * 25),
          request.mutable_expiring_before());
  auto expiring = api_->ListCertificates(request);
  ASSERT_THAT(expiring, IsOk());
  ASSERT_EQ(expiring->certificates_size(), 2);
  EXPECT_EQ(expiring->certificates(0).name(), "b");
  EXPECT_EQ(expiring->certificates(1).name(), "d");

  // A token is bound to its order.
  v1::ListCertificatesRequest by_name;
  by_name.set_page_size(2);
  auto first = api_->ListCertificates(by_name);
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(first->certificates(0).name(), "a");
  v1::ListCertificatesRequest mixed;
  mixed.set_order_by("not_after");
  mixed.set_page_token(first->next_page_token());
  EXPECT_THAT(
      api_->ListCertificates(mixed),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_token")));
  v1::ListCertificatesRequest bad;
  bad.set_order_by("expiry desc");
  EXPECT_THAT(
      api_->ListCertificates(bad),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("order_by")));
}

}  // namespace
}  // namespace certferry::service
