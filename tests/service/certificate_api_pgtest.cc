// CertificateApi against a real PostgreSQL: import, idempotency, bad input
// stores nothing, keys encrypted at rest, get and list.

#include <thread>
#include <vector>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pki/key_envelope.h"
#include "service/certificate_api.h"
#include "service/proto_convert.h"
#include "storage/certificate_repository.h"
#include "tests/support/fake_clock.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_database.h"
#include "tests/support/test_pki.h"

namespace certferry::service {
namespace {

using ::certferry::testing::IsOk;
using ::certferry::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

class CertificateApiTest : public ::testing::Test {
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
    api_ = std::make_unique<CertificateApi>(*db_, *keys_, clock_, *authorities_,
                                            *operations_, *notifier_);
  }

  int Count(const std::string& table) {
    auto value = testing::QueryScalar(dsn_, "SELECT count(*) FROM " + table);
    EXPECT_THAT(value, IsOk());
    return value.ok() ? std::stoi(*value) : -1;
  }

  void ExpectNothingStored() {
    EXPECT_EQ(Count("certificates"), 0);
    EXPECT_EQ(Count("certificate_versions"), 0);
    EXPECT_EQ(Count("private_keys"), 0);
    EXPECT_EQ(Count("request_ids"), 0);
  }

  v1::ImportCertificateRequest ImportRequest(const std::string& name,
                                             const testing::TestChain& chain) {
    v1::ImportCertificateRequest request;
    request.set_name(name);
    request.set_chain_pem(chain.fullchain_pem());
    request.set_private_key_pem(chain.leaf.key.private_key_pem);
    return request;
  }

  std::string dsn_;
  testing::FakeClock clock_;
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<pki::KeyRing> keys_;
  std::unique_ptr<issuers::CertificateAuthorities> authorities_;
  std::unique_ptr<OperationApi> operations_;
  std::unique_ptr<storage::JobNotifier> notifier_;
  std::unique_ptr<CertificateApi> api_;
};

// The body lines of a PEM key, for "never appears anywhere" assertions.
std::vector<std::string> KeyBodyLines(const std::string& pem) {
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(pem, '\n', absl::SkipEmpty())) {
    if (line.find("-----") == absl::string_view::npos) {
      lines.emplace_back(line);
    }
  }
  return lines;
}

TEST_F(CertificateApiTest, ImportThenGetReturnsSameFingerprint) {
  testing::TestChain chain =
      testing::MakeChain({"api.example.com", "www.example.com"});
  auto imported = api_->ImportCertificate(ImportRequest("shop", chain));
  ASSERT_THAT(imported, IsOk());
  EXPECT_EQ(imported->name(), "shop");
  EXPECT_EQ(imported->version().version(), 1);
  EXPECT_EQ(imported->version().chain_length(), 2);
  EXPECT_THAT(imported->domains(),
              ElementsAre("api.example.com", "www.example.com"));
  EXPECT_EQ(imported->version().source(), v1::CERTIFICATE_SOURCE_IMPORTED);

  v1::GetCertificateRequest get;
  get.set_id(imported->id());
  auto fetched = api_->GetCertificate(get);
  ASSERT_THAT(fetched, IsOk());
  EXPECT_EQ(fetched->version().sha256_fingerprint(),
            imported->version().sha256_fingerprint());
  EXPECT_EQ(fetched->version().chain_pem(), chain.fullchain_pem());
  EXPECT_EQ(fetched->version().not_after().seconds(),
            imported->version().not_after().seconds());
  // The response never carries the key.
  EXPECT_THAT(fetched->DebugString(), Not(HasSubstr("PRIVATE KEY")));
}

TEST_F(CertificateApiTest, PrivateKeyIsStoredEncryptedAndOpensWithTheKek) {
  testing::TestChain chain = testing::MakeChain();
  auto imported = api_->ImportCertificate(ImportRequest("enc", chain));
  ASSERT_THAT(imported, IsOk());

  auto key = db_->RunInTransaction<model::EncryptedPrivateKey>(
      "load", [&](storage::Transaction& tx) {
        return storage::CertificateRepository::GetPrivateKey(tx, imported->id(),
                                                             1);
      });
  ASSERT_THAT(key, IsOk());
  EXPECT_EQ(key->kek_id, keys_->current_kek_id());
  for (const std::string& line : KeyBodyLines(chain.leaf.key.private_key_pem)) {
    EXPECT_EQ(key->ciphertext.find(line), std::string::npos);
  }
  pki::SealedSecret sealed{key->kek_id, key->nonce, key->ciphertext};
  auto opened = keys_->Open(sealed, "certferry/private_key/" + key->id);
  ASSERT_THAT(opened, IsOk());
  EXPECT_EQ(opened->Reveal(), chain.leaf.key.private_key_pem);
}

TEST_F(CertificateApiTest, SameRequestIdTwiceStoresOneVersion) {
  testing::TestChain chain = testing::MakeChain();
  auto request = ImportRequest("idem", chain);
  request.set_request_id("req-1");
  auto first = api_->ImportCertificate(request);
  auto second = api_->ImportCertificate(request);
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(first->id(), second->id());
  EXPECT_EQ(second->version().version(), 1);
  EXPECT_EQ(Count("certificate_versions"), 1);
  EXPECT_EQ(Count("private_keys"), 1);
}

TEST_F(CertificateApiTest, ConcurrentSameRequestIdStoresOneVersion) {
  testing::TestChain chain = testing::MakeChain();
  auto request = ImportRequest("race", chain);
  request.set_request_id("req-race");
  std::vector<absl::StatusOr<v1::Certificate>> results(4,
                                                       absl::UnknownError(""));
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back(
        [&, i] { results[i] = api_->ImportCertificate(request); });
  }
  for (auto& t : threads) t.join();
  for (const auto& r : results) {
    ASSERT_THAT(r, IsOk());
    EXPECT_EQ(r->id(), results[0]->id());
    EXPECT_EQ(r->version().version(), 1);
  }
  EXPECT_EQ(Count("certificate_versions"), 1);
}

TEST_F(CertificateApiTest, ReusedRequestIdWithDifferentContentIsRejected) {
  auto first = ImportRequest("a", testing::MakeChain());
  first.set_request_id("req-2");
  ASSERT_THAT(api_->ImportCertificate(first), IsOk());
  auto second = ImportRequest("b", testing::MakeChain());
  second.set_request_id("req-2");
  EXPECT_THAT(
      api_->ImportCertificate(second),
      StatusIs(absl::StatusCode::kAlreadyExists, StartsWith("request_id: ")));
  EXPECT_EQ(Count("certificates"), 1);
}

TEST_F(CertificateApiTest, ImportUnderSameNameAddsAVersion) {
  auto v1 = api_->ImportCertificate(
      ImportRequest("rotating", testing::MakeChain({"a.example.com"})));
  auto v2 = api_->ImportCertificate(
      ImportRequest("rotating", testing::MakeChain({"b.example.com"})));
  ASSERT_THAT(v1, IsOk());
  ASSERT_THAT(v2, IsOk());
  EXPECT_EQ(v2->id(), v1->id());
  EXPECT_EQ(v2->version().version(), 2);
  EXPECT_EQ(v2->version_count(), 2);
  EXPECT_THAT(v2->domains(), ElementsAre("b.example.com"));

  v1::GetCertificateRequest get;
  get.set_id(v1->id());
  get.set_version(1);
  auto old = api_->GetCertificate(get);
  ASSERT_THAT(old, IsOk());
  EXPECT_EQ(old->version().sha256_fingerprint(),
            v1->version().sha256_fingerprint());
  get.set_version(3);
  EXPECT_THAT(api_->GetCertificate(get), StatusIs(absl::StatusCode::kNotFound));
}

struct BadImport {
  std::string label;
  std::function<void(v1::ImportCertificateRequest&, const testing::TestChain&)>
      mutate;
  absl::StatusCode code;
  std::string field;
};

TEST_F(CertificateApiTest, EveryBadInputNamesTheFieldAndStoresNothing) {
  const testing::TestChain chain = testing::MakeChain();
  const testing::TestChain other = testing::MakeChain();
  const std::vector<BadImport> cases = {
      {"empty chain", [](auto& r, auto&) { r.set_chain_pem(""); },
       absl::StatusCode::kInvalidArgument, "chain_pem: "},
      {"garbage chain", [](auto& r, auto&) { r.set_chain_pem("hello world"); },
       absl::StatusCode::kInvalidArgument, "chain_pem: "},
      {"DER chain", [](auto& r, auto& c) { r.set_chain_pem(c.leaf.cert_der); },
       absl::StatusCode::kInvalidArgument, "chain_pem: "},
      {"truncated chain",
       [](auto& r, auto& c) {
         r.set_chain_pem(c.leaf.cert_pem.substr(0, c.leaf.cert_pem.size() / 2));
       },
       absl::StatusCode::kInvalidArgument, "chain_pem: "},
      {"intermediate first",
       [](auto& r, auto& c) {
         r.set_chain_pem(c.intermediate.cert_pem + c.leaf.cert_pem);
       },
       absl::StatusCode::kInvalidArgument, "chain_pem: "},
      {"unrelated intermediate",
       [&other](auto& r, auto& c) {
         r.set_chain_pem(c.leaf.cert_pem + other.intermediate.cert_pem);
       },
       absl::StatusCode::kInvalidArgument, "chain_pem: "},
      {"key of another certificate",
       [&other](auto& r, auto&) {
         r.set_private_key_pem(other.leaf.key.private_key_pem);
       },
       absl::StatusCode::kInvalidArgument, "private_key_pem: "},
      {"encrypted key",
       [](auto& r, auto& c) {
         r.set_private_key_pem(testing::EncryptPrivateKeyPem(
             c.leaf.key.private_key_pem, "secret-pass"));
       },
       absl::StatusCode::kInvalidArgument, "private_key_pem: "},
      {"two keys",
       [](auto& r, auto& c) {
         r.set_private_key_pem(c.leaf.key.private_key_pem +
                               c.leaf.key.private_key_pem);
       },
       absl::StatusCode::kInvalidArgument, "private_key_pem: "},
      {"empty key", [](auto& r, auto&) { r.set_private_key_pem(""); },
       absl::StatusCode::kInvalidArgument, "private_key_pem: "},
      {"missing name", [](auto& r, auto&) { r.set_name(""); },
       absl::StatusCode::kInvalidArgument, "name: "},
      {"bad name", [](auto& r, auto&) { r.set_name("has space"); },
       absl::StatusCode::kInvalidArgument, "name: "},
      {"bad request id", [](auto& r, auto&) { r.set_request_id("a b"); },
       absl::StatusCode::kInvalidArgument, "request_id: "},
      {"oversized chain",
       [](auto& r, auto&) { r.set_chain_pem(std::string(70 * 1024, 'A')); },
       absl::StatusCode::kInvalidArgument, "chain_pem: "},
  };
  for (const BadImport& c : cases) {
    SCOPED_TRACE(c.label);
    v1::ImportCertificateRequest request = ImportRequest("bad", chain);
    request.set_request_id("bad-" + std::to_string(&c - cases.data()));
    c.mutate(request, chain);
    auto result = api_->ImportCertificate(request);
    EXPECT_THAT(result, StatusIs(c.code, StartsWith(c.field)));
    for (const std::string& line : KeyBodyLines(request.private_key_pem())) {
      EXPECT_THAT(std::string(result.status().message()), Not(HasSubstr(line)));
    }
  }
  ExpectNothingStored();
}

TEST_F(CertificateApiTest, NonV3CertificateIsRejected) {
  testing::CertSpec spec;
  spec.x509_version = 1;
  testing::TestIdentity v1_cert = testing::MakeCertificate(spec);
  v1::ImportCertificateRequest request;
  request.set_name("old");
  request.set_chain_pem(v1_cert.cert_pem);
  request.set_private_key_pem(v1_cert.key.private_key_pem);
  EXPECT_THAT(
      api_->ImportCertificate(request),
      StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("chain_pem: ")));
  ExpectNothingStored();
}

TEST_F(CertificateApiTest, ExpiredChainNeedsAcceptExpired) {
  testing::TestChain chain =
      testing::MakeChain({"old.example.com"}, absl::Now() - absl::Hours(24),
                         absl::Now() - absl::Hours(24 * 30));
  auto request = ImportRequest("expired", chain);
  EXPECT_THAT(
      api_->ImportCertificate(request),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("chain_pem")));
  ExpectNothingStored();
  request.set_accept_expired(true);
  EXPECT_THAT(api_->ImportCertificate(request), IsOk());
}

TEST_F(CertificateApiTest, ValidityIsJudgedByTheInjectedClock) {
  testing::TestChain chain =
      testing::MakeChain({"soon.example.com"}, absl::Now() + absl::Hours(48));
  clock_.Advance(absl::Hours(72));
  EXPECT_THAT(api_->ImportCertificate(ImportRequest("soon", chain)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(CertificateApiTest, GetRejectsMalformedAndUnknownIds) {
  v1::GetCertificateRequest get;
  get.set_id("not-a-uuid");
  EXPECT_THAT(api_->GetCertificate(get),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("id: ")));
  get.set_id("00000000-0000-4000-8000-000000000000");
  EXPECT_THAT(api_->GetCertificate(get), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(CertificateApiTest, ListPagesInStableNameOrder) {
  for (const char* name : {"g", "c", "a", "e", "b", "f", "d"}) {
    ASSERT_THAT(
        api_->ImportCertificate(ImportRequest(name, testing::MakeChain())),
        IsOk());
  }
  v1::ListCertificatesRequest request;
  request.set_page_size(3);
  std::vector<std::string> names;
  int pages = 0;
  do {
    auto page = api_->ListCertificates(request);
    ASSERT_THAT(page, IsOk());
    ++pages;
    for (const auto& c : page->certificates()) names.push_back(c.name());
    request.set_page_token(page->next_page_token());
  } while (!request.page_token().empty());
  EXPECT_EQ(pages, 3);
  EXPECT_THAT(names, ElementsAre("a", "b", "c", "d", "e", "f", "g"));
}

TEST_F(CertificateApiTest, ListFiltersByDomainIncludingWildcards) {
  ASSERT_THAT(api_->ImportCertificate(ImportRequest(
                  "exact", testing::MakeChain({"api.example.com"}))),
              IsOk());
  ASSERT_THAT(api_->ImportCertificate(
                  ImportRequest("wild", testing::MakeChain({"*.example.com"}))),
              IsOk());
  ASSERT_THAT(api_->ImportCertificate(ImportRequest(
                  "other", testing::MakeChain({"api.other.org"}))),
              IsOk());
  v1::ListCertificatesRequest request;
  request.set_domain("api.example.com");
  auto page = api_->ListCertificates(request);
  ASSERT_THAT(page, IsOk());
  std::vector<std::string> names;
  for (const auto& c : page->certificates()) names.push_back(c.name());
  EXPECT_THAT(names, ElementsAre("exact", "wild"));

  request.set_domain("a.api.example.com");  // wildcard covers one label only
  page = api_->ListCertificates(request);
  ASSERT_THAT(page, IsOk());
  EXPECT_EQ(page->certificates_size(), 0);

  request.set_domain("bad domain");
  EXPECT_THAT(
      api_->ListCertificates(request),
      StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("domain: ")));
}

TEST_F(CertificateApiTest, ListFiltersByExpiry) {
  const absl::Time now = absl::Now();
  ASSERT_THAT(api_->ImportCertificate(ImportRequest(
                  "short", testing::MakeChain({"s.example.com"},
                                              now + absl::Hours(24 * 10)))),
              IsOk());
  ASSERT_THAT(api_->ImportCertificate(ImportRequest(
                  "long", testing::MakeChain({"l.example.com"},
                                             now + absl::Hours(24 * 200)))),
              IsOk());
  v1::ListCertificatesRequest request;
  ToProto(now + absl::Hours(24 * 30), request.mutable_expiring_before());
  auto page = api_->ListCertificates(request);
  ASSERT_THAT(page, IsOk());
  ASSERT_EQ(page->certificates_size(), 1);
  EXPECT_EQ(page->certificates(0).name(), "short");
}

TEST_F(CertificateApiTest, PageTokenIsBoundToItsFilters) {
  for (const char* name : {"a", "b", "c"}) {
    ASSERT_THAT(
        api_->ImportCertificate(ImportRequest(name, testing::MakeChain())),
        IsOk());
  }
  v1::ListCertificatesRequest request;
  request.set_page_size(1);
  auto page = api_->ListCertificates(request);
  ASSERT_THAT(page, IsOk());
  ASSERT_FALSE(page->next_page_token().empty());
  request.set_page_token(page->next_page_token());
  request.set_domain("leaf.example.com");
  EXPECT_THAT(
      api_->ListCertificates(request),
      StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("page_token: ")));
  request.set_page_token("garbage!");
  EXPECT_THAT(
      api_->ListCertificates(request),
      StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("page_token: ")));
  request.clear_page_token();
  request.set_page_size(5000);
  EXPECT_THAT(
      api_->ListCertificates(request),
      StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("page_size: ")));
}

}  // namespace
}  // namespace certferry::service
