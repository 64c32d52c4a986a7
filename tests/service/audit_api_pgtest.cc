// The audit trail end to end below gRPC: mutating calls record who did what
// (accepted or refused), audited jobs record their outcomes, and AuditApi
// lists (filters, page tokens, validation) and verifies the log.

#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "issuers/certificate_authorities.h"
#include "pki/key_envelope.h"
#include "service/audit_api.h"
#include "service/audit_trail.h"
#include "service/certificate_api.h"
#include "service/certificate_authority_api.h"
#include "service/operation_api.h"
#include "storage/audit_repository.h"
#include "storage/job_repository.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_database.h"
#include "tests/support/test_pki.h"
#include "workers/handlers/issue_certificate_handler.h"
#include "workers/job_runner.h"

namespace certferry::service {
namespace {

using ::certferry::testing::IsOk;
using ::certferry::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

class AuditApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto test_db = testing::CreateMigratedTestDatabase();
    ASSERT_THAT(test_db, IsOk());
    dsn_ = test_db->dsn;
    auto db = testing::ConnectTestDatabase(dsn_, 6);
    ASSERT_THAT(db, IsOk());
    db_ = *std::move(db);
    auto kek = pki::KeyEncryptionKeyFromBytes(std::string(32, '\x29'));
    ASSERT_THAT(kek, IsOk());
    keys_ = std::make_unique<pki::KeyRing>(*std::move(kek));
    cas_ =
        std::make_unique<issuers::CertificateAuthorities>(*db_, *keys_, clock_);
    operations_ = std::make_unique<OperationApi>(*db_);
    notifier_ = std::make_unique<storage::JobNotifier>(*db_);
    certificates_ = std::make_unique<CertificateApi>(
        *db_, *keys_, clock_, *cas_, *operations_, *notifier_);
    authorities_ = std::make_unique<CertificateAuthorityApi>(*db_, *cas_);
    audit_ = std::make_unique<AuditApi>(*db_);
  }

  void TearDown() override {
    if (runner_) runner_->Shutdown(absl::Seconds(5));
  }

  // Events about `resource`, newest first.
  std::vector<v1::AuditEvent> EventsFor(const std::string& resource) {
    v1::ListAuditEventsRequest request;
    request.set_resource(resource);
    auto response = audit_->ListAuditEvents(request);
    EXPECT_THAT(response, IsOk());
    if (!response.ok()) return {};
    return {response->events().begin(), response->events().end()};
  }

  void AppendEvent(const std::string& actor, const std::string& resource) {
    ASSERT_THAT(db_->RunInTransaction(
                    "append",
                    [&](storage::Transaction& tx) {
                      return storage::AuditRepository::Append(
                          tx, {AuditEventFor({actor}, "Test", resource, "",
                                             absl::OkStatus(), "")});
                    }),
                IsOk());
  }

  void StartWorkers() {
    workers::WorkerConfig config;
    config.worker_threads = 2;
    config.poll_interval = absl::Milliseconds(100);
    runner_ =
        std::make_unique<workers::JobRunner>(*db_, SecretString(dsn_), config);
    runner_->RegisterHandler(workers::IssueCertificateHandler::kKind,
                             std::make_shared<workers::IssueCertificateHandler>(
                                 *db_, *cas_, *keys_));
    ASSERT_THAT(runner_->Start(), IsOk());
  }

  std::string dsn_;
  SystemClock clock_;
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<pki::KeyRing> keys_;
  std::unique_ptr<issuers::CertificateAuthorities> cas_;
  std::unique_ptr<OperationApi> operations_;
  std::unique_ptr<storage::JobNotifier> notifier_;
  std::unique_ptr<CertificateApi> certificates_;
  std::unique_ptr<CertificateAuthorityApi> authorities_;
  std::unique_ptr<AuditApi> audit_;
  std::unique_ptr<workers::JobRunner> runner_;
};

TEST_F(AuditApiTest, CreatedAuthorityIsRecordedWithTheCallersActor) {
  v1::CreateCertificateAuthorityRequest request;
  request.set_name("corp-root");
  request.set_request_id("create-1");
  auto created = authorities_->CreateCertificateAuthority(request, {"alice"});
  ASSERT_THAT(created, IsOk());

  const auto events = EventsFor("certificate_authorities/corp-root");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].actor(), "alice");
  EXPECT_EQ(events[0].action(), "CreateCertificateAuthority");
  EXPECT_EQ(events[0].outcome(), "ok");
  EXPECT_EQ(events[0].request_id(), "create-1");
  EXPECT_THAT(events[0].summary(), HasSubstr(created->id()));
}

TEST_F(AuditApiTest, RefusedAuthorityIsRecordedWithItsErrorCode) {
  v1::CreateCertificateAuthorityRequest request;
  request.set_name("bad name!");
  EXPECT_THAT(authorities_->CreateCertificateAuthority(request, {"bob"}),
              StatusIs(absl::StatusCode::kInvalidArgument));

  const auto events = EventsFor("certificate_authorities/bad name!");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].actor(), "bob");
  EXPECT_EQ(events[0].outcome(), "INVALID_ARGUMENT");
  EXPECT_THAT(events[0].summary(), StartsWith("name:"));
}

TEST_F(AuditApiTest, ImportSuccessAndRefusalAreRecordedWithoutTheKey) {
  testing::TestChain chain = testing::MakeChain({"shop.example.com"});
  v1::ImportCertificateRequest request;
  request.set_name("shop");
  request.set_chain_pem(chain.fullchain_pem());
  request.set_private_key_pem(chain.leaf.key.private_key_pem);
  auto imported = certificates_->ImportCertificate(request, {"carol"});
  ASSERT_THAT(imported, IsOk());

  // A key that does not belong to the chain is refused.
  testing::TestChain other = testing::MakeChain({"other.example.com"});
  request.set_private_key_pem(other.leaf.key.private_key_pem);
  EXPECT_THAT(certificates_->ImportCertificate(request, {"dave"}), Not(IsOk()));

  const auto events = EventsFor("certificates/shop");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].actor(), "carol");
  EXPECT_EQ(events[1].action(), "ImportCertificate");
  EXPECT_EQ(events[1].outcome(), "ok");
  EXPECT_THAT(events[1].summary(),
              HasSubstr(imported->version().sha256_fingerprint()));
  EXPECT_EQ(events[0].actor(), "dave");
  EXPECT_NE(events[0].outcome(), "ok");
  for (const std::string* pem :
       {&chain.leaf.key.private_key_pem, &other.leaf.key.private_key_pem}) {
    for (absl::string_view line : absl::StrSplit(*pem, '\n')) {
      if (line.size() < 20 || line.find("-----") != line.npos) continue;
      for (const auto& e : events) {
        EXPECT_THAT(e.summary(), Not(HasSubstr(std::string(line))));
      }
    }
  }
}

TEST_F(AuditApiTest, IssueAndTheJobOutcomeAreRecordedInOrder) {
  issuers::CreateAuthorityParams root;
  root.name = "issuing-root";
  ASSERT_THAT(cas_->Create(root), IsOk());
  StartWorkers();
  v1::IssueCertificateRequest request;
  request.set_name("api");
  request.add_domains("api.example.com");
  auto op = certificates_->IssueCertificate(request, {"erin"});
  ASSERT_THAT(op, IsOk());

  const auto issued = EventsFor("certificates/api");
  ASSERT_EQ(issued.size(), 1u);
  EXPECT_EQ(issued[0].actor(), "erin");
  EXPECT_EQ(issued[0].action(), "IssueCertificate");
  EXPECT_EQ(issued[0].summary(), "queued " + op->name());

  v1::WaitOperationRequest wait;
  wait.set_name(op->name());
  wait.mutable_timeout()->set_seconds(30);
  auto done = operations_->WaitOperation(wait, absl::InfiniteFuture());
  ASSERT_THAT(done, IsOk());
  ASSERT_EQ(done->metadata().state(), v1::OPERATION_STATE_SUCCEEDED);
  // Newest first: the start, then the outcome, both after the call.
  const auto outcome = EventsFor(op->name());
  ASSERT_EQ(outcome.size(), 2u);
  EXPECT_EQ(outcome[0].actor(), "system");
  EXPECT_EQ(outcome[0].action(), "job.succeeded");
  EXPECT_EQ(outcome[0].summary(), "issue_certificate");
  EXPECT_EQ(outcome[1].action(), "job.running");
  EXPECT_GT(outcome[0].id(), outcome[1].id());
  EXPECT_GT(outcome[1].id(), issued[0].id());
  auto verified = audit_->VerifyAuditLog({});
  ASSERT_THAT(verified, IsOk());
  EXPECT_TRUE(verified->intact()) << verified->problem();
}

TEST_F(AuditApiTest, CancelIsRecordedInItsTransactionAndRefusalsToo) {
  auto job = db_->RunInTransaction<storage::EnqueuedJob>(
      "enqueue", [](storage::Transaction& tx) {
        return storage::JobRepository::Enqueue(tx, {.kind = "unhandled"});
      });
  ASSERT_THAT(job, IsOk());
  v1::CancelOperationRequest cancel;
  cancel.set_name(OperationApi::OperationName(job->id));
  ASSERT_THAT(operations_->CancelOperation(cancel, {"frank"}), IsOk());
  cancel.set_name("operations/999999");
  EXPECT_THAT(operations_->CancelOperation(cancel, {"frank"}),
              StatusIs(absl::StatusCode::kNotFound));

  const auto cancelled = EventsFor(OperationApi::OperationName(job->id));
  ASSERT_EQ(cancelled.size(), 1u);
  EXPECT_EQ(cancelled[0].actor(), "frank");
  EXPECT_EQ(cancelled[0].action(), "CancelOperation");
  EXPECT_EQ(cancelled[0].summary(), "unhandled now cancelled");
  const auto refused = EventsFor("operations/999999");
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].outcome(), "NOT_FOUND");
}

TEST_F(AuditApiTest, ListFiltersAndPagesThroughEveryMatchOnce) {
  for (int i = 0; i < 7; ++i) AppendEvent("alice", "certificates/web");
  AppendEvent("bob", "certificates/web");
  AppendEvent("alice", "certificates/db");

  v1::ListAuditEventsRequest request;
  request.set_resource("certificates/web");
  request.set_actor("alice");
  request.set_page_size(3);
  std::vector<int64_t> ids;
  for (int page = 0; page < 10; ++page) {
    auto response = audit_->ListAuditEvents(request);
    ASSERT_THAT(response, IsOk());
    for (const auto& e : response->events()) {
      EXPECT_EQ(e.actor(), "alice");
      EXPECT_EQ(e.resource(), "certificates/web");
      ids.push_back(e.id());
    }
    if (response->next_page_token().empty()) break;
    request.set_page_token(response->next_page_token());
  }
  EXPECT_THAT(ids, ::testing::ElementsAre(7, 6, 5, 4, 3, 2, 1));
}

TEST_F(AuditApiTest, ListFiltersByTimeRange) {
  AppendEvent("alice", "r");
  v1::ListAuditEventsRequest request;
  request.mutable_start_time()->set_seconds(absl::ToUnixSeconds(absl::Now()) +
                                            3600);
  auto future = audit_->ListAuditEvents(request);
  ASSERT_THAT(future, IsOk());
  EXPECT_EQ(future->events_size(), 0);
  request.mutable_start_time()->set_seconds(absl::ToUnixSeconds(absl::Now()) -
                                            3600);
  auto recent = audit_->ListAuditEvents(request);
  ASSERT_THAT(recent, IsOk());
  EXPECT_EQ(recent->events_size(), 1);
}

TEST_F(AuditApiTest, PageTokenIsBoundToItsFilters) {
  for (int i = 0; i < 3; ++i) AppendEvent("alice", "certificates/web");
  v1::ListAuditEventsRequest request;
  request.set_actor("alice");
  request.set_page_size(1);
  auto first = audit_->ListAuditEvents(request);
  ASSERT_THAT(first, IsOk());
  ASSERT_FALSE(first->next_page_token().empty());

  request.set_page_token(first->next_page_token());
  request.set_actor("bob");
  EXPECT_THAT(audit_->ListAuditEvents(request),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("page_token: was issued for different")));
  request.set_page_token("not-a-token");
  EXPECT_THAT(
      audit_->ListAuditEvents(request),
      StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("page_token:")));
}

TEST_F(AuditApiTest, BadFiltersNameTheField) {
  v1::ListAuditEventsRequest request;
  request.set_page_size(-1);
  EXPECT_THAT(
      audit_->ListAuditEvents(request),
      StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("page_size:")));
  request.set_page_size(1001);
  EXPECT_THAT(
      audit_->ListAuditEvents(request),
      StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("page_size:")));

  request = {};
  request.set_actor(std::string(300, 'a'));
  EXPECT_THAT(
      audit_->ListAuditEvents(request),
      StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("actor:")));

  request = {};
  request.set_resource("certificates/\x01");
  EXPECT_THAT(
      audit_->ListAuditEvents(request),
      StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("resource:")));

  request = {};
  request.mutable_start_time()->set_nanos(-5);
  EXPECT_THAT(
      audit_->ListAuditEvents(request),
      StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("start_time:")));

  request = {};
  request.mutable_start_time()->set_seconds(2000000000);
  request.mutable_end_time()->set_seconds(1000000000);
  EXPECT_THAT(
      audit_->ListAuditEvents(request),
      StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("end_time:")));
}

TEST_F(AuditApiTest, VerifyReportsATamperedEvent) {
  for (int i = 0; i < 4; ++i) AppendEvent("alice", "r");
  auto intact = audit_->VerifyAuditLog({});
  ASSERT_THAT(intact, IsOk());
  EXPECT_TRUE(intact->intact());
  EXPECT_EQ(intact->events_checked(), 4);

  ASSERT_THAT(testing::ExecAsSuperuser(
                  dsn_,
                  "SET LOCAL session_replication_role = replica; "
                  "UPDATE audit_events SET actor = 'mallory' WHERE id = 2"),
              IsOk());
  auto broken = audit_->VerifyAuditLog({});
  ASSERT_THAT(broken, IsOk());
  EXPECT_FALSE(broken->intact());
  EXPECT_EQ(broken->first_broken_event_id(), 2);
  EXPECT_FALSE(broken->problem().empty());
}

}  // namespace
}  // namespace certferry::service
