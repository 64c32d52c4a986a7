// AcmeClient against Debian's pebble on loopback: accounts, http-01 with
// certferry's own listener, dns-01 through a hook that drives
// pebble-challtestsrv, a failing challenge, badNonce storms and concurrent
// orders. Issued chains are verified with OpenSSL against pebble's root.

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/ids.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "issuers/acme/acme_client.h"
#include "issuers/acme/dns01_solver.h"
#include "issuers/acme/http01_solver.h"
#include "issuers/acme/problem.h"
#include "tests/support/pebble_server.h"
#include "tests/support/status_matchers.h"

namespace certferry::issuers::acme {
namespace {

using ::certferry::testing::IsOk;
using ::certferry::testing::PebbleOptions;
using ::certferry::testing::PebbleServer;
using ::certferry::testing::StatusIs;
using ::testing::AllOf;
using ::testing::Gt;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;
using ::testing::UnorderedElementsAreArray;

// A fresh DNS label per use: pebble reuses valid authorizations of the
// same account, so each test orders names nobody validated before.
std::string UniqueLabel() { return absl::StrCat("t", NewUuid().substr(0, 8)); }

struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

std::vector<X509Ptr> ReadCertificates(const std::string& pem) {
  std::vector<X509Ptr> certificates;
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    certificates.emplace_back(cert);
  }
  return certificates;
}

// Verifies `issued` independently of certferry's pki/: the chain leads to
// `root_pem`, the leaf is valid for every name (a wildcard checked with a
// host under it) and belongs to the returned key. Empty when all holds.
std::string VerifyIssued(const AcmeIssued& issued, const std::string& root_pem,
                         const std::vector<std::string>& names) {
  std::vector<X509Ptr> chain = ReadCertificates(issued.chain_pem);
  std::vector<X509Ptr> roots = ReadCertificates(root_pem);
  if (chain.empty() || roots.empty()) return "no certificates";
  std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(
      X509_STORE_new(), X509_STORE_free);
  X509_STORE_add_cert(store.get(), roots.front().get());
  STACK_OF(X509)* untrusted = sk_X509_new_null();
  for (size_t i = 1; i < chain.size(); ++i) {
    sk_X509_push(untrusted, chain[i].get());
  }
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store.get(), chain.front().get(), untrusted);
  const bool verified = X509_verify_cert(ctx) == 1;
  const std::string error =
      X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx));
  X509_STORE_CTX_free(ctx);
  sk_X509_free(untrusted);
  if (!verified) return "chain does not verify: " + error;

  for (const std::string& name : names) {
    const std::string host =
        absl::StartsWith(name, "*.") ? "any" + name.substr(1) : name;
    if (X509_check_host(chain.front().get(), host.data(), host.size(), 0,
                        nullptr) != 1) {
      return "leaf not valid for " + host;
    }
  }
  const std::string& key_pem = issued.private_key_pem.Reveal();
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())),
      BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr),
      EVP_PKEY_free);
  if (key == nullptr) return "key does not parse";
  if (X509_check_private_key(chain.front().get(), key.get()) != 1) {
    return "key does not match the leaf";
  }
  return "";
}

// Serves a wrong key authorization through the real http-01 listener.
class WrongAnswerSolver final : public ChallengeSolver {
 public:
  explicit WrongAnswerSolver(Http01Solver& inner) : inner_(inner) {}
  std::string type() const override { return "http-01"; }
  absl::Status Present(const AcmeChallenge& challenge) override {
    AcmeChallenge wrong = challenge;
    wrong.key_authorization = "not-the-token." + challenge.key_authorization;
    presented_.fetch_add(1);
    return inner_.Present(wrong);
  }
  absl::Status CleanUp(const AcmeChallenge& challenge) override {
    cleaned_up_.fetch_add(1);
    return inner_.CleanUp(challenge);
  }
  int presented() const { return presented_.load(); }
  int cleaned_up() const { return cleaned_up_.load(); }

 private:
  Http01Solver& inner_;
  std::atomic<int> presented_{0};
  std::atomic<int> cleaned_up_{0};
};

class AcmePebbleTest : public ::testing::Test {
 protected:
  // One listener and one pebble for the suite; tests use fresh names.
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<Http01Solver>> http01 =
        Http01Solver::Start({.address = "127.0.0.1", .port = 0});
    if (!http01.ok()) {
      *setup_error_ = http01.status().ToString();
      return;
    }
    http01_ = http01->release();
    absl::StatusOr<std::unique_ptr<PebbleServer>> pebble =
        PebbleServer::Start({.http_port = http01_->port()});
    if (!pebble.ok()) {
      *setup_error_ = pebble.status().ToString();
      return;
    }
    pebble_ = pebble->release();
  }

  static void TearDownTestSuite() {
    delete pebble_;
    pebble_ = nullptr;
    delete http01_;
    http01_ = nullptr;
  }

  void SetUp() override {
    ASSERT_THAT(*setup_error_, IsEmpty())
        << "pebble is needed: ./scripts/test installs Debian's pebble";
    absl::StatusOr<SecretString> key = GenerateAccountKey();
    ASSERT_THAT(key, IsOk());
    account_key_ = *std::move(key);
  }

  AcmeClientConfig Config(const PebbleServer& pebble) const {
    AcmeClientConfig config;
    config.directory_url = pebble.directory_url();
    config.ca_file = pebble.ca_file();
    config.contact = {"mailto:acme-test@example.com"};
    config.terms_of_service_agreed = true;
    return config;
  }

  std::unique_ptr<AcmeClient> Client(std::vector<ChallengeSolver*> solvers,
                                     const PebbleServer* pebble = nullptr) {
    if (pebble == nullptr) pebble = pebble_;
    absl::StatusOr<std::unique_ptr<AcmeClient>> client =
        AcmeClient::Create(Config(*pebble), account_key_, std::move(solvers));
    EXPECT_THAT(client, IsOk()) << pebble->Output();
    return client.ok() ? *std::move(client) : nullptr;
  }

  // A dns-01 hook that sets TXT records through challtestsrv with curl.
  std::string WriteDnsHook() {
    const std::string path =
        absl::StrCat(::testing::TempDir(), "dns-hook-", UniqueLabel(), ".sh");
    const std::string api = pebble_->challtestsrv_url();
    std::ofstream(path)
        << "#!/bin/sh\n"
           "# certferry dns-01 hook: present|cleanup RECORD VALUE\n"
           "set -e\n"
           "case \"$1\" in\n"
           "  present) curl -sS -f -X POST -d "
           "\"{\\\"host\\\":\\\"$2.\\\",\\\"value\\\":\\\"$3\\\"}\" "
        << api
        << "/set-txt ;;\n"
           "  cleanup) curl -sS -f -X POST -d \"{\\\"host\\\":\\\"$2.\\\"}\" "
        << api
        << "/clear-txt ;;\n"
           "  *) echo \"unknown action $1\" >&2; exit 2 ;;\n"
           "esac\n";
    ::chmod(path.c_str(), 0700);
    return path;
  }

  std::string Root() {
    absl::StatusOr<std::string> root = pebble_->RootPem();
    EXPECT_THAT(root, IsOk());
    return root.ok() ? *root : "";
  }

  static inline std::string* setup_error_ = new std::string();
  static inline Http01Solver* http01_ = nullptr;
  static inline PebbleServer* pebble_ = nullptr;
  SecretString account_key_;
};

TEST_F(AcmePebbleTest, LookupOfAnUnknownKeyIsNotFound) {
  std::unique_ptr<AcmeClient> client = Client({});
  ASSERT_NE(client, nullptr);
  absl::StatusOr<AcmeAccount> account = client->FindAccount();
  EXPECT_THAT(account, StatusIs(absl::StatusCode::kNotFound,
                                HasSubstr("accountDoesNotExist")));
  EXPECT_EQ(AcmeErrorType(account.status()),
            "urn:ietf:params:acme:error:accountDoesNotExist");
}

TEST_F(AcmePebbleTest, AccountIsCreatedOnceAndFoundByItsKey) {
  std::unique_ptr<AcmeClient> client = Client({});
  ASSERT_NE(client, nullptr);
  absl::StatusOr<AcmeAccount> created = client->CreateAccount();
  ASSERT_THAT(created, IsOk());
  EXPECT_TRUE(created->created);
  EXPECT_EQ(created->status, "valid");
  EXPECT_THAT(created->url, StartsWith("https://127.0.0.1:"));
  EXPECT_THAT(created->contact,
              ::testing::ElementsAre("mailto:acme-test@example.com"));

  absl::StatusOr<AcmeAccount> again = client->CreateAccount();
  ASSERT_THAT(again, IsOk());
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->url, created->url);

  // Another client (another replica) with the same key finds it.
  std::unique_ptr<AcmeClient> other = Client({});
  ASSERT_NE(other, nullptr);
  absl::StatusOr<AcmeAccount> found = other->FindAccount();
  ASSERT_THAT(found, IsOk());
  EXPECT_FALSE(found->created);
  EXPECT_EQ(found->url, created->url);
  EXPECT_EQ(other->thumbprint(), client->thumbprint());
}

TEST_F(AcmePebbleTest, Http01IssuesATwoNameCertificate) {
  std::unique_ptr<AcmeClient> client = Client({http01_});
  ASSERT_NE(client, nullptr);
  const std::string label = UniqueLabel();
  const std::vector<std::string> names = {
      absl::StrCat("www.", label, ".example.com"),
      absl::StrCat("api.", label, ".example.com")};
  absl::StatusOr<AcmeIssued> issued =
      client->Issue({.dns_names = {names[0], absl::AsciiStrToUpper(names[1])}});
  ASSERT_THAT(issued, IsOk()) << pebble_->Output();
  EXPECT_EQ(VerifyIssued(*issued, Root(), names), "");
  ASSERT_GE(issued->chain.size(), 2u);  // leaf and pebble's intermediate
  EXPECT_THAT(issued->chain.front().dns_names,
              UnorderedElementsAreArray(names));
  EXPECT_EQ(issued->chain.front().key_type, "ECDSA");
  EXPECT_EQ(issued->key_type, pki::KeyType::kEcdsaP256);
  EXPECT_THAT(issued->certificate_url, StartsWith("https://127.0.0.1:"));
  EXPECT_NE(issued->private_key_pem.Reveal(), account_key_.Reveal());
}

TEST_F(AcmePebbleTest, Http01IssuesForAnRsaKey) {
  std::unique_ptr<AcmeClient> client = Client({http01_});
  ASSERT_NE(client, nullptr);
  const std::string name = absl::StrCat(UniqueLabel(), ".example.com");
  absl::StatusOr<AcmeIssued> issued =
      client->Issue({.dns_names = {name}, .key_type = pki::KeyType::kRsa2048});
  ASSERT_THAT(issued, IsOk()) << pebble_->Output();
  EXPECT_EQ(VerifyIssued(*issued, Root(), {name}), "");
  EXPECT_EQ(issued->chain.front().key_type, "RSA");
}

TEST_F(AcmePebbleTest, Dns01IssuesAWildcardWithItsBaseName) {
  absl::StatusOr<std::unique_ptr<HookDnsProvider>> hook =
      HookDnsProvider::Create({.command = {WriteDnsHook()}});
  ASSERT_THAT(hook, IsOk());
  Dns01Solver dns01(**hook);
  // Both solvers configured; dns-01 asked for, and the wildcard needs it.
  std::unique_ptr<AcmeClient> client = Client({http01_, &dns01});
  ASSERT_NE(client, nullptr);
  const std::string base = absl::StrCat(UniqueLabel(), ".example.com");
  const std::vector<std::string> names = {"*." + base, base};
  absl::StatusOr<AcmeIssued> issued =
      client->Issue({.dns_names = names, .challenge_type = "dns-01"});
  ASSERT_THAT(issued, IsOk()) << pebble_->Output();
  EXPECT_EQ(VerifyIssued(*issued, Root(), names), "");
  EXPECT_THAT(issued->chain.front().dns_names,
              UnorderedElementsAreArray(names));
}

TEST_F(AcmePebbleTest, WildcardWithoutADns01SolverNamesWhatIsMissing) {
  std::unique_ptr<AcmeClient> client = Client({http01_});
  ASSERT_NE(client, nullptr);
  const std::string name = absl::StrCat("*.", UniqueLabel(), ".example.com");
  EXPECT_THAT(client->Issue({.dns_names = {name}}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("authorization for " + name),
                             HasSubstr("offers dns-01"),
                             HasSubstr("wildcards need dns-01"))));
}

TEST_F(AcmePebbleTest, FailedChallengeNamesTheIdentifierAndAcmeErrorType) {
  WrongAnswerSolver wrong(*http01_);
  std::unique_ptr<AcmeClient> client = Client({&wrong});
  ASSERT_NE(client, nullptr);
  const std::string name = absl::StrCat("bad.", UniqueLabel(), ".example.com");
  absl::StatusOr<AcmeIssued> issued = client->Issue({.dns_names = {name}});
  EXPECT_THAT(issued,
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("authorization for " + name + " failed"),
                             HasSubstr("with http-01"),
                             HasSubstr("urn:ietf:params:acme:error:"))));
  EXPECT_THAT(AcmeErrorType(issued.status()),
              StartsWith("urn:ietf:params:acme:error:"));
  EXPECT_EQ(wrong.presented(), 1);
  EXPECT_EQ(wrong.cleaned_up(), 1);
}

TEST_F(AcmePebbleTest, ConcurrentOrdersShareOneClient) {
  std::unique_ptr<AcmeClient> client = Client({http01_});
  ASSERT_NE(client, nullptr);
  constexpr int kOrders = 8;
  const std::string label = UniqueLabel();
  std::vector<absl::StatusOr<AcmeIssued>> results(
      kOrders, absl::UnknownError("not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kOrders; ++i) {
    threads.emplace_back([&, i] {
      results[i] = client->Issue(
          {.dns_names = {absl::StrCat("n", i, ".", label, ".example.com")}});
    });
  }
  for (std::thread& thread : threads) thread.join();
  const std::string root = Root();
  for (int i = 0; i < kOrders; ++i) {
    ASSERT_THAT(results[i], IsOk()) << "order " << i;
    EXPECT_EQ(VerifyIssued(*results[i], root,
                           {absl::StrCat("n", i, ".", label, ".example.com")}),
              "");
  }
  // Nonces come back with every response; few HEAD round trips are needed.
  EXPECT_LT(client->stats().nonces_fetched, client->stats().requests / 2);
}

TEST_F(AcmePebbleTest, BadNonceRejectionsAreRetried) {
  // A second pebble rejecting half of all good nonces (validating http-01
  // against the same listener).
  absl::StatusOr<std::unique_ptr<PebbleServer>> noisy = PebbleServer::Start(
      {.http_port = http01_->port(), .nonce_reject_percent = 50});
  ASSERT_THAT(noisy, IsOk());
  AcmeClientConfig config = Config(**noisy);
  // Every request must get through a 50% rejection; 30 retries leave a
  // 1-in-2^31 chance per request of giving up.
  config.bad_nonce_retries = 30;
  absl::StatusOr<std::unique_ptr<AcmeClient>> client =
      AcmeClient::Create(config, account_key_, {http01_});
  ASSERT_THAT(client, IsOk());
  const std::string name = absl::StrCat(UniqueLabel(), ".example.com");
  absl::StatusOr<AcmeIssued> issued = (*client)->Issue({.dns_names = {name}});
  ASSERT_THAT(issued, IsOk()) << (*noisy)->Output();
  EXPECT_THAT((*client)->stats().bad_nonce_retries, Gt(0));
  absl::StatusOr<std::string> root = (*noisy)->RootPem();
  ASSERT_THAT(root, IsOk());
  EXPECT_EQ(VerifyIssued(*issued, *root, {name}), "");

  // Without retries the same storm surfaces as badNonce, UNAVAILABLE.
  config.bad_nonce_retries = 0;
  absl::StatusOr<std::unique_ptr<AcmeClient>> fragile =
      AcmeClient::Create(config, account_key_, {http01_});
  ASSERT_THAT(fragile, IsOk());
  absl::Status last;
  for (int i = 0; i < 40 && last.ok(); ++i) {
    last = (*fragile)->FindAccount().status();
  }
  EXPECT_THAT(last,
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("badNonce")));
}

}  // namespace
}  // namespace certferry::issuers::acme
