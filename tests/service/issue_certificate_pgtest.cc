// Issuance from the built-in CA through the API, the job queue and the
// handler, against a real PostgreSQL; chains verified with OpenSSL.

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <memory>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "issuers/certificate_authorities.h"
#include "model/issue_job.h"
#include "service/certificate_api.h"
#include "service/operation_api.h"
#include "storage/job_repository.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_database.h"
#include "tests/support/wait_for.h"
#include "workers/handlers/issue_certificate_handler.h"
#include "workers/job_runner.h"

namespace certferry::service {
namespace {

using ::certferry::testing::IsOk;
using ::certferry::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// Verifies `chain_pem` (leaf first) against `root_pem` as a TLS server
// certificate for `host`, the way a client would. Returns "" or the error.
std::string VerifyChain(const std::string& chain_pem,
                        const std::string& root_pem, const std::string& host) {
  auto read_all = [](const std::string& pem) {
    std::vector<X509*> certs;
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
      certs.push_back(cert);
    }
    BIO_free(bio);
    return certs;
  };
  std::vector<X509*> chain = read_all(chain_pem);
  std::vector<X509*> roots = read_all(root_pem);
  if (chain.empty() || roots.empty()) return "no certificates";
  X509_STORE* store = X509_STORE_new();
  for (X509* root : roots) X509_STORE_add_cert(store, root);
  STACK_OF(X509)* untrusted = sk_X509_new_null();
  for (size_t i = 1; i < chain.size(); ++i) sk_X509_push(untrusted, chain[i]);
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, chain[0], untrusted);
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx);
  X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
  X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_SSL_SERVER);
  X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_X509_STRICT);
  std::string error;
  if (X509_verify_cert(ctx) != 1) {
    error = X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx));
  }
  X509_STORE_CTX_free(ctx);
  sk_X509_free(untrusted);
  X509_STORE_free(store);
  for (X509* c : chain) X509_free(c);
  for (X509* c : roots) X509_free(c);
  return error;
}

class IssueCertificateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto test_db = testing::CreateMigratedTestDatabase();
    ASSERT_THAT(test_db, IsOk());
    dsn_ = test_db->dsn;
    auto db = testing::ConnectTestDatabase(dsn_, 6);
    ASSERT_THAT(db, IsOk());
    db_ = *std::move(db);
    auto kek = pki::KeyEncryptionKeyFromBytes(std::string(32, '\x17'));
    ASSERT_THAT(kek, IsOk());
    keys_ = std::make_unique<pki::KeyRing>(*std::move(kek));
    cas_ =
        std::make_unique<issuers::CertificateAuthorities>(*db_, *keys_, clock_);
    operations_ = std::make_unique<OperationApi>(*db_);
    notifier_ = std::make_unique<storage::JobNotifier>(*db_);
    api_ = std::make_unique<CertificateApi>(*db_, *keys_, clock_, *cas_,
                                            *operations_, *notifier_);
    issuers::CreateAuthorityParams root;
    root.name = "test-root";
    auto created = cas_->Create(root);
    ASSERT_THAT(created, IsOk());
    root_ = *created;
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
    runner_->RegisterHandler(
        workers::IssueCertificatesBatchHandler::kKind,
        std::make_shared<workers::IssueCertificatesBatchHandler>(*cas_,
                                                                 *keys_));
    ASSERT_THAT(runner_->Start(), IsOk());
  }

  absl::StatusOr<v1::Operation> Wait(const v1::Operation& op) {
    v1::WaitOperationRequest wait;
    wait.set_name(op.name());
    wait.mutable_timeout()->set_seconds(30);
    return operations_->WaitOperation(wait, absl::InfiniteFuture());
  }

  int CountRows(const std::string& table) {
    return std::stoi(
        *testing::QueryScalar(dsn_, "SELECT count(*) FROM " + table));
  }

  std::string dsn_;
  SystemClock clock_;
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<pki::KeyRing> keys_;
  std::unique_ptr<issuers::CertificateAuthorities> cas_;
  std::unique_ptr<OperationApi> operations_;
  std::unique_ptr<storage::JobNotifier> notifier_;
  std::unique_ptr<CertificateApi> api_;
  std::unique_ptr<workers::JobRunner> runner_;
  model::CertificateAuthority root_;
};

TEST_F(IssueCertificateTest, IssuesAChainThatVerifiesForEveryName) {
  StartWorkers();
  v1::IssueCertificateRequest request;
  request.set_name("shop");
  request.add_domains("shop.example.com");
  request.add_domains("*.api.example.com");
  request.add_domains("10.1.2.3");
  auto op = api_->IssueCertificate(request);
  ASSERT_THAT(op, IsOk());
  EXPECT_THAT(op->name(), StartsWith("operations/"));
  EXPECT_FALSE(op->done());
  auto done = Wait(*op);
  ASSERT_THAT(done, IsOk());
  ASSERT_TRUE(done->done());
  ASSERT_TRUE(done->has_response()) << done->error().message();
  v1::Certificate certificate;
  ASSERT_TRUE(done->response().UnpackTo(&certificate));
  EXPECT_EQ(certificate.name(), "shop");
  EXPECT_EQ(certificate.version().source(), v1::CERTIFICATE_SOURCE_ISSUED);
  EXPECT_THAT(certificate.version().dns_names(),
              ElementsAre("shop.example.com", "*.api.example.com"));
  EXPECT_THAT(certificate.version().ip_addresses(), ElementsAre("10.1.2.3"));
  EXPECT_EQ(certificate.version().subject(), "CN=shop.example.com");
  EXPECT_EQ(certificate.version().key_type(), "ECDSA");
  const std::string root_pem =
      issuers::CertificateAuthorities::RootOf(root_.chain_pem);
  for (const char* host : {"shop.example.com", "v1.api.example.com"}) {
    EXPECT_EQ(VerifyChain(certificate.version().chain_pem(), root_pem, host),
              "")
        << host;
  }
  EXPECT_NE(VerifyChain(certificate.version().chain_pem(), root_pem,
                        "a.b.api.example.com"),
            "");
  // The key was stored sealed along with the version.
  EXPECT_EQ(CountRows("private_keys"), 2);  // the CA's and the leaf's
}

TEST_F(IssueCertificateTest, BatchIssuesEveryRequestInOrderOnce) {
  v1::BatchIssueCertificatesRequest batch;
  batch.set_request_id("fleet-1");
  for (const char* name : {"b1", "b2", "b1"}) {  // b1 twice: two versions
    v1::IssueCertificateRequest* item = batch.add_requests();
    item->set_name(name);
    item->add_domains(std::string(name) + ".fleet.example.com");
  }
  auto response = api_->BatchIssueCertificates(batch);
  ASSERT_THAT(response, IsOk());
  EXPECT_THAT(response->operation().name(), StartsWith("operations/"));
  EXPECT_EQ(response->operation().metadata().kind(), "issue_certificates");
  // A repeated call returns the same operation and queues nothing new.
  auto again = api_->BatchIssueCertificates(batch);
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->operation().name(), response->operation().name());
  EXPECT_EQ(CountRows("jobs"), 1);

  StartWorkers();
  auto done = Wait(response->operation());
  ASSERT_THAT(done, IsOk());
  ASSERT_TRUE(done->has_response()) << done->error().message();
  v1::BatchIssueCertificatesResult result;
  ASSERT_TRUE(done->response().UnpackTo(&result));
  ASSERT_EQ(result.certificates_size(), 3);
  EXPECT_EQ(result.certificates(0).name(), "b1");
  EXPECT_EQ(result.certificates(1).name(), "b2");
  EXPECT_EQ(result.certificates(2).name(), "b1");
  EXPECT_EQ(result.certificates(0).certificate_id(),
            result.certificates(2).certificate_id());
  EXPECT_EQ(result.certificates(0).version(), 1);
  EXPECT_EQ(result.certificates(2).version(), 2);
  EXPECT_EQ(CountRows("certificate_versions"), 3);

  // Each listed version is stored with the names asked for and verifies.
  const std::string root_pem =
      issuers::CertificateAuthorities::RootOf(root_.chain_pem);
  for (int i = 0; i < 3; ++i) {
    v1::GetCertificateRequest get;
    get.set_id(result.certificates(i).certificate_id());
    get.set_version(result.certificates(i).version());
    auto certificate = api_->GetCertificate(get);
    ASSERT_THAT(certificate, IsOk());
    const std::string host =
        result.certificates(i).name() + ".fleet.example.com";
    EXPECT_THAT(certificate->version().dns_names(), ElementsAre(host));
    EXPECT_EQ(VerifyChain(certificate->version().chain_pem(), root_pem, host),
              "");
  }

  // The same request_id with different content is refused.
  batch.mutable_requests(0)->set_name("other");
  EXPECT_THAT(api_->BatchIssueCertificates(batch),
              StatusIs(absl::StatusCode::kAlreadyExists));
}

// A batch whose item fails when it runs stores none of its certificates.
TEST_F(IssueCertificateTest, BatchFailingAtOneItemStoresNone) {
  model::IssueBatchJobPayload payload;
  for (int i = 0; i < 3; ++i) {
    model::IssueJobPayload& item = payload.items.emplace_back();
    item.name = "all-or-none-" + std::to_string(i);
    item.names = {item.name + ".example.com"};
    item.key_type = "ecdsa-p256";
    item.validity_seconds = 3600;
    item.issuer_id = root_.id;
  }
  // The CA the third item names does not exist (any more).
  payload.items[2].issuer_id = "00000000-0000-4000-8000-000000000000";
  storage::NewJob job;
  job.kind = workers::IssueCertificatesBatchHandler::kKind;
  job.payload_json = model::ToJson(payload);
  auto queued = db_->RunInTransaction<std::vector<model::Job>>(
      "enqueue", [&](storage::Transaction& tx) {
        return storage::JobRepository::EnqueueMany(tx, {job});
      });
  ASSERT_THAT(queued, IsOk());
  StartWorkers();
  v1::Operation op;
  op.set_name(OperationApi::OperationName(queued->front().id));
  auto done = Wait(op);
  ASSERT_THAT(done, IsOk());
  ASSERT_TRUE(done->done());
  EXPECT_EQ(done->metadata().state(), v1::OPERATION_STATE_FAILED);
  EXPECT_EQ(done->error().code(),
            static_cast<int>(absl::StatusCode::kNotFound));
  EXPECT_THAT(done->error().message(),
              AllOf(StartsWith("requests[2]: "),
                    HasSubstr("no certificate of the batch was stored")));
  EXPECT_EQ(CountRows("certificate_versions"), 0);
  EXPECT_EQ(CountRows("certificates"), 0);
}

TEST_F(IssueCertificateTest, BatchWithOneBadRequestQueuesNothing) {
  v1::BatchIssueCertificatesRequest batch;
  batch.add_requests()->set_name("good");
  batch.mutable_requests(0)->add_domains("good.example.com");
  batch.add_requests()->set_name("bad");
  batch.mutable_requests(1)->add_domains("bad..example.com");
  EXPECT_THAT(api_->BatchIssueCertificates(batch),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       StartsWith("requests[1].domains[0]: ")));
  batch.mutable_requests(1)->set_domains(0, "fine.example.com");
  batch.mutable_requests(1)->set_request_id("per-item");
  EXPECT_THAT(api_->BatchIssueCertificates(batch),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       StartsWith("requests[1].request_id: ")));
  EXPECT_THAT(api_->BatchIssueCertificates(v1::BatchIssueCertificatesRequest()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       StartsWith("requests: empty")));
  EXPECT_EQ(CountRows("jobs"), 0);
}

TEST_F(IssueCertificateTest, IntermediateCaChainsLeafThenIntermediate) {
  issuers::CreateAuthorityParams params;
  params.name = "team-intermediate";
  params.parent = "test-root";
  params.key_type = pki::KeyType::kEcdsaP384;
  auto intermediate = cas_->Create(params);
  ASSERT_THAT(intermediate, IsOk());
  StartWorkers();
  v1::IssueCertificateRequest request;
  request.set_name("team");
  request.add_domains("svc.team.example.com");
  request.set_issuer("team-intermediate");
  request.set_key_type("rsa-2048");
  auto op = api_->IssueCertificate(request);
  ASSERT_THAT(op, IsOk());
  auto done = Wait(*op);
  ASSERT_THAT(done, IsOk());
  v1::Certificate certificate;
  ASSERT_TRUE(done->response().UnpackTo(&certificate))
      << done->error().message();
  EXPECT_EQ(certificate.version().chain_length(), 2);
  EXPECT_EQ(certificate.version().key_type(), "RSA");
  EXPECT_EQ(certificate.version().key_bits(), 2048);
  EXPECT_EQ(VerifyChain(certificate.version().chain_pem(),
                        issuers::CertificateAuthorities::RootOf(
                            intermediate->chain_pem),
                        "svc.team.example.com"),
            "");
}

TEST_F(IssueCertificateTest, BadNamesAreRefusedBeforeAnyJobIsQueued) {
  struct Case {
    std::vector<std::string> domains;
    std::string field;
    std::string mentions;
  };
  const std::string long_label(64, 'a');
  std::string long_name;
  while (long_name.size() < 260) long_name += "abcdefghi.";
  long_name += "com";
  const std::vector<Case> cases = {
      {{}, "domains: ", "empty"},
      {{"ok.example.com", "bad_name.example.com"},
       "domains[1]: ",
       "bad_name.example.com"},
      {{"example.com."}, "domains[0]: ", "example.com."},
      {{"example.com/"}, "domains[0]: ", "example.com/"},
      {{"a.*.example.com"}, "domains[0]: ", "a.*.example.com"},
      {{"*.*.example.com"}, "domains[0]: ", "*.*.example.com"},
      {{long_label + ".example.com"}, "domains[0]: ", long_label},
      {{long_name}, "domains[0]: ", long_name},
  };
  for (const Case& c : cases) {
    v1::IssueCertificateRequest request;
    request.set_name("bad");
    for (const auto& d : c.domains) request.add_domains(d);
    SCOPED_TRACE(request.ShortDebugString());
    EXPECT_THAT(api_->IssueCertificate(request),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         AllOf(StartsWith(c.field), HasSubstr(c.mentions))));
  }
  v1::IssueCertificateRequest with_file;
  with_file.set_name("bad");
  with_file.set_san_domains(
      "ok.example.com\nbad..example.com\n# comment\n"
      "\nexample.com/\n");
  EXPECT_THAT(api_->IssueCertificate(with_file),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(StartsWith("san_domains"), HasSubstr("line 2"),
                             HasSubstr("line 5"))));
  EXPECT_EQ(CountRows("jobs"), 0);
}

TEST_F(IssueCertificateTest, ValidityBeyondTheCaAndUnknownIssuerAreRefused) {
  v1::IssueCertificateRequest request;
  request.set_name("too-long");
  request.add_domains("x.example.com");
  request.mutable_validity()->set_seconds(
      absl::ToInt64Seconds(root_.not_after - absl::Now() + absl::Hours(24)));
  EXPECT_THAT(
      api_->IssueCertificate(request),
      StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("validity: ")));
  request.clear_validity();
  request.set_issuer("no-such-ca");
  EXPECT_THAT(api_->IssueCertificate(request),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("no-such-ca")));
  request.set_issuer("");
  request.set_key_type("dsa-1024");
  EXPECT_THAT(
      api_->IssueCertificate(request),
      StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("key_type")));
  EXPECT_EQ(CountRows("jobs"), 0);
}

TEST_F(IssueCertificateTest, SameRequestIdReturnsTheSameOperation) {
  v1::IssueCertificateRequest request;
  request.set_name("idem");
  request.add_domains("idem.example.com");
  request.set_request_id("issue-1");
  auto first = api_->IssueCertificate(request);
  auto second = api_->IssueCertificate(request);
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(first->name(), second->name());
  EXPECT_EQ(CountRows("jobs"), 1);
  request.add_domains("other.example.com");
  EXPECT_THAT(
      api_->IssueCertificate(request),
      StatusIs(absl::StatusCode::kAlreadyExists, StartsWith("request_id")));
}

TEST_F(IssueCertificateTest, CancelledBeforeItRunsIssuesNothing) {
  v1::IssueCertificateRequest request;
  request.set_name("cancel-me");
  request.add_domains("c.example.com");
  auto op = api_->IssueCertificate(request);
  ASSERT_THAT(op, IsOk());
  v1::CancelOperationRequest cancel;
  cancel.set_name(op->name());
  auto cancelled = operations_->CancelOperation(cancel);
  ASSERT_THAT(cancelled, IsOk());
  EXPECT_TRUE(cancelled->done());
  EXPECT_EQ(cancelled->metadata().state(), v1::OPERATION_STATE_CANCELLED);
  EXPECT_EQ(cancelled->error().code(),
            static_cast<int>(absl::StatusCode::kCancelled));
  StartWorkers();
  v1::IssueCertificateRequest other = request;
  other.set_name("after");
  auto later = api_->IssueCertificate(other);
  ASSERT_THAT(later, IsOk());
  ASSERT_THAT(Wait(*later), IsOk());
  EXPECT_EQ(CountRows("certificate_versions"), 1);  // only "after"
}

// Run signs but stores nothing: the version is written by CommitEffects in
// the transaction that completes the job, so a run whose completion never
// commits (crash, lease lost) leaves no version behind.
TEST_F(IssueCertificateTest, RunStoresNothingUntilItsEffectCommits) {
  v1::IssueCertificateRequest request;
  request.set_name("rerun");
  request.add_domains("rerun.example.com");
  auto op = api_->IssueCertificate(request);
  ASSERT_THAT(op, IsOk());
  auto claimed = db_->RunInTransaction<std::vector<storage::ClaimedJob>>(
      "claim", [&](storage::Transaction& tx) {
        return storage::JobRepository::Claim(tx, {"issue_certificate"}, "t", 1,
                                             absl::Minutes(1));
      });
  ASSERT_THAT(claimed, IsOk());
  ASSERT_EQ(claimed->size(), 1u);
  workers::IssueCertificateHandler handler(*db_, *cas_, *keys_);
  workers::JobContext first((*claimed)[0].id, 1, 5, (*claimed)[0].payload_json,
                            nullptr);
  workers::JobContext second((*claimed)[0].id, 2, 5, (*claimed)[0].payload_json,
                             nullptr);
  ASSERT_THAT(handler.Run(first), IsOk());
  ASSERT_THAT(handler.Run(second), IsOk());
  EXPECT_EQ(CountRows("certificate_versions"), 0);
  EXPECT_EQ(CountRows("private_keys"), 1);  // the CA's key only

  std::shared_ptr<workers::JobEffect> effect = second.TakeEffect();
  ASSERT_NE(effect, nullptr);
  std::string result;
  std::vector<workers::PendingEffect> effects{
      {(*claimed)[0].id, effect.get(), &result}};
  ASSERT_THAT(db_->RunInTransaction("commit_effects",
                                    [&](storage::Transaction& tx) {
                                      return handler.CommitEffects(tx, effects);
                                    }),
              IsOk());
  EXPECT_EQ(CountRows("certificate_versions"), 1);
  EXPECT_THAT(result, HasSubstr("\"version\":1"));
}

TEST_F(IssueCertificateTest, OperationsAreListedNewestFirstByState) {
  for (const char* name : {"l1", "l2", "l3"}) {
    v1::IssueCertificateRequest request;
    request.set_name(name);
    request.add_domains(std::string(name) + ".example.com");
    ASSERT_THAT(api_->IssueCertificate(request), IsOk());
  }
  v1::ListOperationsRequest list;
  list.set_page_size(2);
  list.set_state(v1::OPERATION_STATE_QUEUED);
  auto page = operations_->ListOperations(list);
  ASSERT_THAT(page, IsOk());
  ASSERT_EQ(page->operations_size(), 2);
  EXPECT_FALSE(page->next_page_token().empty());
  list.set_page_token(page->next_page_token());
  auto rest = operations_->ListOperations(list);
  ASSERT_THAT(rest, IsOk());
  ASSERT_EQ(rest->operations_size(), 1);
  EXPECT_TRUE(rest->next_page_token().empty());
  list.clear_page_token();
  list.set_state(v1::OPERATION_STATE_SUCCEEDED);
  auto none = operations_->ListOperations(list);
  ASSERT_THAT(none, IsOk());
  EXPECT_EQ(none->operations_size(), 0);
  v1::GetOperationRequest get;
  get.set_name("operations/abc");
  EXPECT_THAT(operations_->GetOperation(get),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("name")));
  get.set_name("operations/999999");
  EXPECT_THAT(operations_->GetOperation(get),
              StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace certferry::service
