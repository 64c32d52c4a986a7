// RevokeCertificate and the CRLs against a real PostgreSQL, through the
// service layer as certferryd wires it (tests/support/service_stack.h):
// revocation with the CRL in the same transaction, request_id replays, the
// audit event, refusals (imported certificates, reasons, repeats), deploys
// and rollbacks of revoked versions refused, the scheduled refresh, and the
// CRL listener over real HTTP. The CRLs are checked with OpenSSL.

#include <httplib.h>
#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/crl_http_server.h"
#include "storage/audit_repository.h"
#include "storage/deployment_repository.h"
#include "tests/support/fake_clock.h"
#include "tests/support/service_stack.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_database.h"

namespace certferry::service {
namespace {

using ::certferry::testing::IsOk;
using ::certferry::testing::IsOkAndHolds;
using ::certferry::testing::ServiceStack;
using ::certferry::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using ::testing::UnorderedElementsAre;

constexpr char kBaseUrl[] = "http://crl.test:8080";

struct CrlFree {
  void operator()(X509_CRL* crl) const { X509_CRL_free(crl); }
};
using CrlPtr = std::unique_ptr<X509_CRL, CrlFree>;

// What a test needs to know about a parsed CRL.
struct CrlFacts {
  int64_t number = 0;
  bool signature_ok = false;
  std::set<std::string> serials;       // uppercase hex
  std::map<std::string, int> reasons;  // serial -> reasonCode, -1 if none
};

CrlFacts ReadCrl(const std::string& der, const std::string& ca_chain_pem) {
  CrlFacts facts;
  const auto* data = reinterpret_cast<const unsigned char*>(der.data());
  CrlPtr crl(d2i_X509_CRL(nullptr, &data, static_cast<long>(der.size())));
  EXPECT_NE(crl, nullptr) << "not a DER CRL";
  if (crl == nullptr) return facts;
  BIO* bio = BIO_new_mem_buf(ca_chain_pem.data(),
                             static_cast<int>(ca_chain_pem.size()));
  X509* ca = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (ca != nullptr) {
    EVP_PKEY* key = X509_get_pubkey(ca);
    facts.signature_ok = X509_CRL_verify(crl.get(), key) == 1;
    EVP_PKEY_free(key);
    X509_free(ca);
  }
  auto* number = static_cast<ASN1_INTEGER*>(
      X509_CRL_get_ext_d2i(crl.get(), NID_crl_number, nullptr, nullptr));
  if (number != nullptr) {
    facts.number = ASN1_INTEGER_get(number);
    ASN1_INTEGER_free(number);
  }
  STACK_OF(X509_REVOKED)* entries = X509_CRL_get_REVOKED(crl.get());
  for (int i = 0; i < sk_X509_REVOKED_num(entries); ++i) {
    X509_REVOKED* entry = sk_X509_REVOKED_value(entries, i);
    BIGNUM* bn =
        ASN1_INTEGER_to_BN(X509_REVOKED_get0_serialNumber(entry), nullptr);
    char* hex = BN_bn2hex(bn);
    const std::string serial(hex);
    OPENSSL_free(hex);
    BN_free(bn);
    facts.serials.insert(serial);
    auto* reason = static_cast<ASN1_ENUMERATED*>(
        X509_REVOKED_get_ext_d2i(entry, NID_crl_reason, nullptr, nullptr));
    facts.reasons[serial] =
        reason == nullptr ? -1 : static_cast<int>(ASN1_ENUMERATED_get(reason));
    ASN1_ENUMERATED_free(reason);
  }
  return facts;
}

class RevocationApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::ServiceStackOptions options;
    options.crl_base_url = kBaseUrl;
    auto stack = ServiceStack::Create(options);
    ASSERT_THAT(stack, IsOk());
    stack_ = *std::move(stack);
    alice_.actor = "alice";
  }

  // Issues `name` for `domains` from the stack's CA; returns its id.
  std::string Issue(const std::string& name, std::vector<std::string> domains) {
    auto issued = stack_->IssueFor(name, domains);
    EXPECT_THAT(issued, IsOk());
    return issued.ok() ? issued->id : "";
  }

  v1::Certificate Get(const std::string& id, int version = 0) {
    v1::GetCertificateRequest get;
    get.set_id(id);
    get.set_version(version);
    auto certificate = stack_->certificates().GetCertificate(get);
    EXPECT_THAT(certificate, IsOk());
    return certificate.ok() ? *certificate : v1::Certificate();
  }

  model::CertificateAuthority Ca() {
    auto ca = stack_->authorities().Get("stack-root");
    EXPECT_THAT(ca, IsOk());
    return ca.ok() ? *ca : model::CertificateAuthority();
  }

  CrlFacts CurrentCrl() {
    const model::CertificateAuthority ca = Ca();
    auto crl = stack_->crls().Current(ca.id);
    EXPECT_THAT(crl, IsOk());
    return crl.ok() ? ReadCrl(crl->der, ca.chain_pem) : CrlFacts();
  }

  absl::StatusOr<v1::RevokeCertificateResponse> Revoke(
      const std::string& id, v1::RevocationReason reason,
      const std::string& request_id = "", int version = 0,
      bool all_versions = false) {
    v1::RevokeCertificateRequest request;
    request.set_id(id);
    request.set_version(version);
    request.set_all_versions(all_versions);
    request.set_reason(reason);
    request.set_request_id(request_id);
    return stack_->revocations().RevokeCertificate(request, alice_);
  }

  // Seals queued audit events first, so queries see them.
  int Count(const std::string& sql) {
    EXPECT_THAT(stack_->db().RunInTransaction(
                    "seal",
                    [](storage::Transaction& tx) {
                      return storage::AuditRepository::SealAll(tx);
                    }),
                IsOk());
    auto value = testing::QueryScalar(stack_->dsn(), sql);
    EXPECT_THAT(value, IsOk());
    return value.ok() ? std::stoi(*value) : -1;
  }

  std::string CreateTarget(const std::string& name, const std::string& domain) {
    v1::CreateTargetRequest request;
    v1::Target* t = request.mutable_target();
    t->set_name(name);
    t->set_kind("file");
    t->mutable_file()->set_directory("/tmp/certferry-targets/" + name);
    t->mutable_file()->add_reload_command("/bin/true");
    t->add_domains(domain);
    auto created = stack_->targets().CreateTarget(request);
    EXPECT_THAT(created, IsOk());
    return created.ok() ? created->id() : "";
  }

  std::unique_ptr<ServiceStack> stack_;
  CallInfo alice_;
};

TEST_F(RevocationApiTest, RevokesTheLatestVersionAndPublishesItsCrl) {
  const std::string id = Issue("web", {"web.example.com"});
  const v1::Certificate certificate = Get(id);

  auto revoked = Revoke(id, v1::REVOCATION_REASON_KEY_COMPROMISE, "req-1");
  ASSERT_THAT(revoked, IsOk());
  ASSERT_EQ(revoked->revocations_size(), 1);
  const v1::Revocation& r = revoked->revocations(0);
  EXPECT_EQ(r.certificate_id(), id);
  EXPECT_EQ(r.version(), 1);
  EXPECT_EQ(r.serial_number(), certificate.version().serial_number());
  EXPECT_EQ(r.issuer_ca_id(), Ca().id);
  EXPECT_EQ(r.reason(), v1::REVOCATION_REASON_KEY_COMPROMISE);
  EXPECT_EQ(r.actor(), "alice");
  EXPECT_EQ(r.request_id(), "req-1");
  EXPECT_EQ(r.crl_url(), absl::StrCat(kBaseUrl, "/crl/", Ca().id, ".crl"));
  EXPECT_GT(r.revoke_time().seconds(), 0);

  // GetCertificate shows it; ListCertificates does not look it up.
  const v1::Certificate after = Get(id);
  ASSERT_TRUE(after.version().has_revocation());
  EXPECT_EQ(after.version().revocation().SerializeAsString(),
            r.SerializeAsString());

  // The CRL was published with the revocation, before any fetch.
  EXPECT_EQ(Count("SELECT crl_number FROM certificate_revocation_lists"), 1);
  const CrlFacts crl = CurrentCrl();
  EXPECT_TRUE(crl.signature_ok);
  EXPECT_EQ(crl.number, 1);
  EXPECT_THAT(crl.serials, ElementsAre(certificate.version().serial_number()));
  EXPECT_EQ(crl.reasons.at(certificate.version().serial_number()), 1);

  EXPECT_EQ(Count("SELECT count(*) FROM audit_events WHERE action = "
                  "'RevokeCertificate' AND outcome = 'ok' AND actor = 'alice' "
                  "AND resource = 'certificates/" +
                  id +
                  "' AND request_id = 'req-1' AND summary LIKE "
                  "'revoked version 1 serial %(keyCompromise); CRL 1 %'"),
            1);
}

TEST_F(RevocationApiTest, RepeatedRequestIdReturnsTheFirstResultOnly) {
  const std::string id = Issue("web", {"web.example.com"});
  auto first = Revoke(id, v1::REVOCATION_REASON_SUPERSEDED, "req-1");
  ASSERT_THAT(first, IsOk());
  auto again = Revoke(id, v1::REVOCATION_REASON_SUPERSEDED, "req-1");
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->SerializeAsString(), first->SerializeAsString());

  EXPECT_EQ(Count("SELECT count(*) FROM revocations"), 1);
  EXPECT_EQ(Count("SELECT crl_number FROM certificate_revocation_lists"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM audit_events WHERE action = "
                  "'RevokeCertificate'"),
            1);

  // The same id for another request is refused, naming request_id.
  EXPECT_THAT(
      Revoke(id, v1::REVOCATION_REASON_KEY_COMPROMISE, "req-1"),
      StatusIs(absl::StatusCode::kAlreadyExists, StartsWith("request_id: ")));
  EXPECT_EQ(Count("SELECT count(*) FROM revocations"), 1);
}

TEST_F(RevocationApiTest, RevokingARevokedVersionAgainSaysWhenAndWhy) {
  const std::string id = Issue("web", {"web.example.com"});
  ASSERT_THAT(Revoke(id, v1::REVOCATION_REASON_KEY_COMPROMISE), IsOk());
  EXPECT_THAT(Revoke(id, v1::REVOCATION_REASON_SUPERSEDED, "req-2"),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       AllOf(HasSubstr("web version 1 was revoked at "),
                             HasSubstr("(keyCompromise, by alice)"))));
  EXPECT_EQ(Count("SELECT count(*) FROM revocations"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM audit_events WHERE action = "
                  "'RevokeCertificate' AND outcome = 'ALREADY_EXISTS' AND "
                  "request_id = 'req-2'"),
            1);
}

TEST_F(RevocationApiTest, ImportedCertificatesMustBeRevokedAtTheirCa) {
  auto imported = stack_->ImportFor("partner", {"partner.example.com"});
  ASSERT_THAT(imported, IsOk());
  EXPECT_THAT(
      Revoke(imported->id, v1::REVOCATION_REASON_KEY_COMPROMISE, "req-1"),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               AllOf(HasSubstr("partner: version 1 (issuer "),
                     HasSubstr("was imported"),
                     HasSubstr("revoke it at the CA that issued it"))));
  EXPECT_EQ(Count("SELECT count(*) FROM revocations"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM certificate_revocation_lists"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM request_ids"), 0);  // not claimed
  EXPECT_EQ(Count("SELECT count(*) FROM audit_events WHERE action = "
                  "'RevokeCertificate' AND outcome = 'FAILED_PRECONDITION'"),
            1);
}

TEST_F(RevocationApiTest, AllVersionsRevokesTheRestOrNothing) {
  const std::string id = Issue("api", {"api.example.com"});
  Issue("api", {"api.example.com"});
  Issue("api", {"api.example.com"});
  ASSERT_THAT(Revoke(id, v1::REVOCATION_REASON_SUPERSEDED, "", 2), IsOk());

  auto rest =
      Revoke(id, v1::REVOCATION_REASON_CESSATION_OF_OPERATION, "", 0, true);
  ASSERT_THAT(rest, IsOk());
  std::vector<int> versions;
  for (const auto& r : rest->revocations()) versions.push_back(r.version());
  EXPECT_THAT(versions, ElementsAre(1, 3));
  const CrlFacts crl = CurrentCrl();
  EXPECT_EQ(crl.number, 2);
  EXPECT_THAT(crl.serials,
              UnorderedElementsAre(Get(id, 1).version().serial_number(),
                                   Get(id, 2).version().serial_number(),
                                   Get(id, 3).version().serial_number()));
  EXPECT_THAT(Revoke(id, v1::REVOCATION_REASON_SUPERSEDED, "", 0, true),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       HasSubstr("api: every version is revoked already")));

  // An imported version blocks all_versions; the built-in one alone works.
  ASSERT_THAT(stack_->ImportFor("mixed", {"mixed.example.com"}), IsOk());
  const std::string mixed = Issue("mixed", {"mixed.example.com"});
  EXPECT_THAT(Revoke(mixed, v1::REVOCATION_REASON_SUPERSEDED, "", 0, true),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("version 1 (issuer"),
                             HasSubstr("nothing was revoked"))));
  EXPECT_EQ(Count("SELECT count(*) FROM revocations WHERE certificate_id = '" +
                  mixed + "'"),
            0);
  ASSERT_THAT(Revoke(mixed, v1::REVOCATION_REASON_SUPERSEDED, "", 2), IsOk());
}

TEST_F(RevocationApiTest, CrlKeepsEveryRevocationWithItsReason) {
  const std::string a = Issue("a", {"a.example.com"});
  const std::string b = Issue("b", {"b.example.com"});
  ASSERT_THAT(Revoke(a, v1::REVOCATION_REASON_UNSPECIFIED), IsOk());
  ASSERT_THAT(Revoke(b, v1::REVOCATION_REASON_PRIVILEGE_WITHDRAWN), IsOk());
  const CrlFacts crl = CurrentCrl();
  EXPECT_EQ(crl.number, 2);
  EXPECT_EQ(crl.serials.size(), 2u);
  EXPECT_EQ(crl.reasons.at(Get(a).version().serial_number()), -1);
  EXPECT_EQ(crl.reasons.at(Get(b).version().serial_number()), 9);
}

TEST_F(RevocationApiTest, RefusesBadInputNamingTheField) {
  const std::string id = Issue("web", {"web.example.com"});
  for (v1::RevocationReason reason : {v1::REVOCATION_REASON_CA_COMPROMISE,
                                      v1::REVOCATION_REASON_CERTIFICATE_HOLD,
                                      v1::REVOCATION_REASON_REMOVE_FROM_CRL,
                                      v1::REVOCATION_REASON_AA_COMPROMISE,
                                      static_cast<v1::RevocationReason>(7)}) {
    EXPECT_THAT(Revoke(id, reason), StatusIs(absl::StatusCode::kInvalidArgument,
                                             StartsWith("reason: ")))
        << reason;
  }
  EXPECT_THAT(Revoke(id, v1::REVOCATION_REASON_CERTIFICATE_HOLD),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("revocations in certferry are final")));
  EXPECT_THAT(Revoke("web", v1::REVOCATION_REASON_UNSPECIFIED),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("id: ")));
  EXPECT_THAT(
      Revoke(id, v1::REVOCATION_REASON_UNSPECIFIED, "", -1),
      StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("version: ")));
  EXPECT_THAT(Revoke(id, v1::REVOCATION_REASON_UNSPECIFIED, "", 1, true),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       StartsWith("version: must be 0 with all_versions")));
  EXPECT_THAT(
      Revoke(id, v1::REVOCATION_REASON_UNSPECIFIED, "a b"),
      StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("request_id: ")));
  EXPECT_THAT(Revoke(id, v1::REVOCATION_REASON_UNSPECIFIED, "", 9),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("version 9")));
  EXPECT_THAT(Revoke("00000000-0000-4000-8000-000000000000",
                     v1::REVOCATION_REASON_UNSPECIFIED),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(Count("SELECT count(*) FROM revocations"), 0);
}

TEST_F(RevocationApiTest, ARevokedVersionCannotBeDeployed) {
  CreateTarget("web-1", "web.example.com");
  const std::string id = Issue("web", {"web.example.com"});
  Issue("web", {"web.example.com"});
  ASSERT_THAT(Revoke(id, v1::REVOCATION_REASON_KEY_COMPROMISE, "", 1), IsOk());

  v1::DeployCertificateRequest deploy;
  deploy.set_certificate_id(id);
  deploy.set_version(1);
  deploy.add_targets("web-1");
  EXPECT_THAT(
      stack_->deployments().DeployCertificate(deploy, alice_),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               AllOf(HasSubstr("certificate web version 1 (serial "),
                     HasSubstr("was revoked at "),
                     HasSubstr("(keyCompromise, by alice)"),
                     HasSubstr("a revoked certificate cannot be deployed"))));
  deploy.set_validate_only(true);
  EXPECT_THAT(
      stack_->deployments().DeployCertificate(deploy, alice_),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("revoked")));
  EXPECT_EQ(Count("SELECT count(*) FROM deployments"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM audit_events WHERE action = "
                  "'DeployCertificate' AND outcome = 'FAILED_PRECONDITION'"),
            1);

  // The latest version is not revoked and deploys.
  deploy.set_validate_only(false);
  deploy.set_version(0);
  EXPECT_THAT(stack_->deployments().DeployCertificate(deploy, alice_), IsOk());
}

TEST_F(RevocationApiTest, RollingBackToARevokedVersionIsRefused) {
  const std::string target = CreateTarget("web-1", "web.example.com");
  const std::string id = Issue("web", {"web.example.com"});
  Issue("web", {"web.example.com"});
  // Version 2 replaced version 1 on the target (as a finished deployment).
  v1::DeployCertificateRequest deploy;
  deploy.set_certificate_id(id);
  deploy.add_targets("web-1");
  auto queued = stack_->deployments().DeployCertificate(deploy, alice_);
  ASSERT_THAT(queued, IsOk());
  const int64_t deployment = queued->deployments(0).id();
  model::DeployedContents previous;
  previous.certificate_id = id;
  previous.certificate_version = 1;
  previous.leaf_sha256 = Get(id, 1).version().sha256_fingerprint();
  ASSERT_THAT(
      stack_->db().RunInTransaction(
          "finish",
          [&](storage::Transaction& tx) -> absl::Status {
            CF_RETURN_IF_ERROR(storage::DeploymentRepository::RecordPrevious(
                tx, deployment, previous));
            return storage::DeploymentRepository::SetState(
                tx, deployment, model::DeploymentState::kSucceeded, "", "");
          }),
      IsOk());
  ASSERT_THAT(Revoke(id, v1::REVOCATION_REASON_KEY_COMPROMISE, "", 1), IsOk());

  v1::RollbackDeploymentRequest rollback;
  rollback.set_deployment(deployment);
  EXPECT_THAT(
      stack_->deployments().RollbackDeployment(rollback, alice_),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               AllOf(HasSubstr(absl::StrCat("rolling back deployment ",
                                            deployment, " would put back")),
                     HasSubstr("certificate web version 1"),
                     HasSubstr("was revoked"))));
  EXPECT_EQ(Count("SELECT count(*) FROM deployments"), 1);
}

TEST_F(RevocationApiTest, ScheduledRefreshRepublishesOnlyDueCrls) {
  const std::string id = Issue("web", {"web.example.com"});
  testing::FakeClock clock;
  issuers::CrlConfig config;
  config.validity = absl::Hours(2);
  issuers::CrlPublisher crls(stack_->db(), stack_->authorities(), clock,
                             config);

  // No CRL yet: the refresh publishes one, then nothing until it is due.
  EXPECT_THAT(crls.RefreshDue(), IsOkAndHolds(1));
  EXPECT_THAT(crls.RefreshDue(), IsOkAndHolds(0));
  clock.Advance(absl::Minutes(59));
  EXPECT_THAT(crls.RefreshDue(), IsOkAndHolds(0));
  clock.Advance(absl::Minutes(2));  // past half of the 2 h validity
  EXPECT_THAT(crls.RefreshDue(), IsOkAndHolds(1));
  EXPECT_THAT(crls.RefreshDue(), IsOkAndHolds(0));

  auto current = crls.Current(Ca().id);
  ASSERT_THAT(current, IsOk());
  EXPECT_EQ(current->crl_number, 2);
  // Whole seconds, as the CRL holds them.
  EXPECT_EQ(current->this_update,
            absl::FromUnixSeconds(absl::ToUnixSeconds(clock.Now())));
  EXPECT_EQ(current->next_update - current->this_update, absl::Hours(2));

  // A fetch of a due CRL publishes it even without the refresh, with the
  // revocations since. (The stack's own publisher published number 3 with
  // the revocation, valid for its default 7 days from the real clock.)
  ASSERT_THAT(Revoke(id, v1::REVOCATION_REASON_SUPERSEDED), IsOk());
  clock.Advance(absl::Hours(24 * 4));
  current = crls.Current(Ca().id);
  ASSERT_THAT(current, IsOk());
  EXPECT_EQ(current->crl_number, 4);
  EXPECT_EQ(ReadCrl(current->der, Ca().chain_pem).serials.size(), 1u);
}

TEST_F(RevocationApiTest, ConcurrentRevocationsAllReachTheCrl) {
  constexpr int kCertificates = 6;
  std::vector<std::string> ids;
  for (int i = 0; i < kCertificates; ++i) {
    ids.push_back(Issue(absl::StrCat("c", i), {"c.example.com"}));
  }
  std::vector<std::thread> threads;
  std::vector<absl::Status> results(kCertificates);
  for (int i = 0; i < kCertificates; ++i) {
    threads.emplace_back([&, i] {
      results[i] =
          Revoke(ids[i], v1::REVOCATION_REASON_KEY_COMPROMISE).status();
    });
  }
  for (std::thread& t : threads) t.join();
  for (const absl::Status& status : results) EXPECT_THAT(status, IsOk());
  const CrlFacts crl = CurrentCrl();
  EXPECT_EQ(crl.number, kCertificates);  // one CRL per revocation, in order
  EXPECT_EQ(crl.serials.size(), static_cast<size_t>(kCertificates));
}

TEST_F(RevocationApiTest, CrlListenerServesDerCrlsOverHttp) {
  const std::string id = Issue("web", {"web.example.com"});
  ASSERT_THAT(Revoke(id, v1::REVOCATION_REASON_KEY_COMPROMISE), IsOk());
  auto server = CrlHttpServer::Bind("127.0.0.1:0");
  ASSERT_THAT(server, IsOk());
  (*server)->Serve(stack_->crls());
  httplib::Client client("127.0.0.1", (*server)->port());
  client.set_connection_timeout(5);
  client.set_read_timeout(10);

  auto crl = client.Get(absl::StrCat("/crl/", Ca().id, ".crl"));
  ASSERT_TRUE(crl) << httplib::to_string(crl.error());
  EXPECT_EQ(crl->status, 200);
  EXPECT_EQ(crl->get_header_value("Content-Type"), "application/pkix-crl");
  const CrlFacts facts = ReadCrl(crl->body, Ca().chain_pem);
  EXPECT_TRUE(facts.signature_ok);
  EXPECT_THAT(facts.serials, ElementsAre(Get(id).version().serial_number()));

  auto unknown = client.Get("/crl/00000000-0000-4000-8000-000000000000.crl");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  auto other = client.Get("/crl/stack-root.crl");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 404);
  (*server)->Stop();
}

TEST_F(RevocationApiTest, ADeploymentQueuedBeforeTheRevocationFailsUntouched) {
  CreateTarget("web-1", "web.example.com");
  const std::string id = Issue("web", {"web.example.com"});
  v1::DeployCertificateRequest deploy;
  deploy.set_certificate_id(id);
  deploy.add_targets("web-1");
  auto queued = stack_->deployments().DeployCertificate(deploy, alice_);
  ASSERT_THAT(queued, IsOk());
  ASSERT_THAT(Revoke(id, v1::REVOCATION_REASON_KEY_COMPROMISE), IsOk());

  // The workers start only now; the target must not even be opened.
  std::atomic<bool> opened{false};
  ASSERT_THAT(
      stack_->Start(
          [&](const model::Target&)
              -> absl::StatusOr<std::unique_ptr<targets::DeployTarget>> {
            opened = true;
            return absl::InternalError("the target must not be opened");
          }),
      IsOk());
  auto finished =
      stack_->Finish(queued->operation(), queued->deployments(0).id());
  ASSERT_THAT(finished, IsOk());
  EXPECT_EQ(finished->state(), v1::DEPLOYMENT_STATE_FAILED);
  EXPECT_THAT(finished->error(),
              AllOf(HasSubstr("version 1 was revoked at "),
                    HasSubstr("the target keeps what it had")));
  EXPECT_FALSE(opened);
}

}  // namespace
}  // namespace certferry::service
