// AcmeClient against a scripted ACME server on loopback, for what pebble
// cannot be made to do: Retry-After on polls, rate limits, a badNonce on
// a chosen request, a broken directory. The end-to-end behaviour against
// a real CA is in acme_pebble_e2e_test.cc.

#include "issuers/acme/acme_client.h"

#include <set>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "issuers/acme/problem.h"
#include "nlohmann/json.hpp"
#include "tests/support/local_http_server.h"
#include "tests/support/status_matchers.h"

namespace certferry::issuers::acme {
namespace {

using ::certferry::testing::IsOk;
using ::certferry::testing::LocalHttpServer;
using ::certferry::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::Ge;
using ::testing::HasSubstr;
using ::testing::Lt;
using Json = nlohmann::json;

constexpr char kProblem[] = "application/problem+json";

class RecordingSolver final : public ChallengeSolver {
 public:
  std::string type() const override { return "http-01"; }
  absl::Status Present(const AcmeChallenge& challenge) override {
    absl::MutexLock lock(&mu_);
    events_.push_back("present " + challenge.identifier + " " +
                      challenge.token);
    return absl::OkStatus();
  }
  absl::Status CleanUp(const AcmeChallenge& challenge) override {
    absl::MutexLock lock(&mu_);
    events_.push_back("cleanup " + challenge.identifier + " " +
                      challenge.token);
    return absl::OkStatus();
  }
  std::vector<std::string> events() {
    absl::MutexLock lock(&mu_);
    return events_;
  }

 private:
  absl::Mutex mu_;
  std::vector<std::string> events_ ABSL_GUARDED_BY(mu_);
};

// A scripted CA: one account, one order for www.example.com with one
// http-01 authorization. Checks what every ACME server checks about the
// JWS envelope (url matches, nonce issued and unused).
class FakeCa {
 public:
  // What the authorization polls after the challenge was answered return:
  // this many "pending" (with `retry_after`), then "invalid".
  int pending_polls = 0;
  std::string retry_after;
  // newOrder answers with this problem when set.
  std::string new_order_problem;
  std::string new_order_retry_after;
  // The first POST to newAccount gets badNonce.
  bool reject_first_nonce = false;
  bool broken_directory = false;

  FakeCa()
      : server_([this](const httplib::Request& request,
                       httplib::Response& response) {
          absl::MutexLock lock(&mu_);
          Handle(request, response);
        }) {}

  std::string directory_url() const { return base() + "/dir"; }
  std::vector<absl::Duration> authorization_poll_gaps() {
    absl::MutexLock lock(&mu_);
    std::vector<absl::Duration> gaps;
    for (size_t i = 1; i < poll_times_.size(); ++i) {
      gaps.push_back(poll_times_[i] - poll_times_[i - 1]);
    }
    return gaps;
  }
  std::vector<std::string> envelope_errors() {
    absl::MutexLock lock(&mu_);
    return envelope_errors_;
  }
  int heads() {
    absl::MutexLock lock(&mu_);
    return heads_;
  }

 private:
  std::string base() const {
    return absl::StrCat("http://127.0.0.1:", server_.port());
  }

  std::string NewNonce() { return absl::StrCat("nonce-", next_nonce_++); }

  void Handle(const httplib::Request& request, httplib::Response& response)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (request.path == "/dir") {
      if (broken_directory) {
        response.set_content("{}", "application/json");
        return;
      }
      response.set_content(Json{{"newNonce", base() + "/nonce"},
                                {"newAccount", base() + "/new-acct"},
                                {"newOrder", base() + "/new-order"}}
                               .dump(),
                           "application/json");
      return;
    }
    if (request.path == "/nonce") {
      ++heads_;
      response.set_header("Replay-Nonce", NewNonce());
      return;
    }
    response.set_header("Replay-Nonce", NewNonce());
    const Json jws = Json::parse(request.body, nullptr, false);
    std::string decoded;
    if (jws.is_discarded() || !jws.contains("protected") ||
        !absl::WebSafeBase64Unescape(jws["protected"].get<std::string>(),
                                     &decoded)) {
      envelope_errors_.push_back("not a JWS: " + request.path);
      response.status = 400;
      return;
    }
    const Json header = Json::parse(decoded);
    if (header.value("url", "") != base() + request.path) {
      envelope_errors_.push_back("url mismatch on " + request.path);
    }
    const std::string nonce = header.value("nonce", "");
    if (!used_nonces_.insert(nonce).second) {
      envelope_errors_.push_back("nonce reused: " + nonce);
    }
    if (request.path == "/new-acct") {
      if (reject_first_nonce) {
        reject_first_nonce = false;
        response.status = 400;
        response.set_content(
            R"({"type":"urn:ietf:params:acme:error:badNonce"})", kProblem);
        return;
      }
      response.status = 201;
      response.set_header("Location", base() + "/acct/1");
      response.set_content(R"({"status":"valid"})", "application/json");
      return;
    }
    if (request.path == "/new-order") {
      if (!new_order_problem.empty()) {
        response.status = 429;
        if (!new_order_retry_after.empty()) {
          response.set_header("Retry-After", new_order_retry_after);
        }
        response.set_content(new_order_problem, kProblem);
        return;
      }
      response.status = 201;
      response.set_header("Location", base() + "/order/1");
      response.set_content(Json{{"status", "pending"},
                                {"authorizations", {base() + "/authz/1"}},
                                {"finalize", base() + "/finalize/1"}}
                               .dump(),
                           "application/json");
      return;
    }
    if (request.path == "/chall/1") {
      answered_ = true;
      response.set_content(R"({"status":"processing"})", "application/json");
      return;
    }
    if (request.path == "/authz/1") {
      Json challenge = {{"type", "http-01"},
                        {"url", base() + "/chall/1"},
                        {"token", "tok1"},
                        {"status", "pending"}};
      std::string status = "pending";
      if (answered_) {
        poll_times_.push_back(absl::Now());
        if (static_cast<int>(poll_times_.size()) > pending_polls) {
          status = "invalid";
          challenge["status"] = "invalid";
          challenge["error"] = {
              {"type", "urn:ietf:params:acme:error:incorrectResponse"},
              {"detail", "wrong key authorization"}};
        } else if (!retry_after.empty()) {
          response.set_header("Retry-After", retry_after);
        }
      }
      response.set_content(
          Json{{"status", status},
               {"identifier", {{"type", "dns"}, {"value", "www.example.com"}}},
               {"challenges", {challenge}}}
              .dump(),
          "application/json");
      return;
    }
    response.status = 404;
  }

  absl::Mutex mu_;
  int next_nonce_ ABSL_GUARDED_BY(mu_) = 0;
  int heads_ ABSL_GUARDED_BY(mu_) = 0;
  bool answered_ ABSL_GUARDED_BY(mu_) = false;
  std::set<std::string> used_nonces_ ABSL_GUARDED_BY(mu_);
  std::vector<absl::Time> poll_times_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> envelope_errors_ ABSL_GUARDED_BY(mu_);
  LocalHttpServer server_;
};

class AcmeClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<SecretString> key = GenerateAccountKey();
    ASSERT_THAT(key, IsOk());
    account_key_ = *std::move(key);
  }

  absl::StatusOr<std::unique_ptr<AcmeClient>> Client() {
    AcmeClientConfig config;
    config.directory_url = ca_.directory_url();
    config.terms_of_service_agreed = true;
    return AcmeClient::Create(config, account_key_, {&solver_});
  }

  FakeCa ca_;
  RecordingSolver solver_;
  SecretString account_key_;
};

TEST_F(AcmeClientTest, PollingWaitsWhatRetryAfterSays) {
  ca_.pending_polls = 2;
  ca_.retry_after = "1";
  absl::StatusOr<std::unique_ptr<AcmeClient>> client = Client();
  ASSERT_THAT(client, IsOk());
  absl::StatusOr<AcmeIssued> issued =
      (*client)->Issue({.dns_names = {"www.example.com"}});
  EXPECT_THAT(issued,
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("www.example.com"), HasSubstr("http-01"),
                             HasSubstr("urn:ietf:params:acme:error:"
                                       "incorrectResponse"),
                             HasSubstr("wrong key authorization"))));
  EXPECT_EQ(AcmeErrorType(issued.status()),
            "urn:ietf:params:acme:error:incorrectResponse");
  EXPECT_THAT(ca_.authorization_poll_gaps(),
              ElementsAre(Ge(absl::Seconds(1)), Ge(absl::Seconds(1))));
  EXPECT_THAT(solver_.events(), ElementsAre("present www.example.com tok1",
                                            "cleanup www.example.com tok1"));
  EXPECT_THAT(ca_.envelope_errors(), ::testing::IsEmpty());
}

TEST_F(AcmeClientTest, RetryAfterBeyondTheDeadlineFailsWithoutWaiting) {
  ca_.pending_polls = 100;
  ca_.retry_after = "3600";
  absl::StatusOr<std::unique_ptr<AcmeClient>> client = Client();
  ASSERT_THAT(client, IsOk());
  const absl::Time start = absl::Now();
  EXPECT_THAT(
      (*client)->Issue(
          {.dns_names = {"www.example.com"}, .timeout = absl::Seconds(20)}),
      StatusIs(absl::StatusCode::kDeadlineExceeded,
               AllOf(HasSubstr("authorization for www.example.com"),
                     HasSubstr("still pending"), HasSubstr("retry after 1h"))));
  EXPECT_THAT(absl::Now() - start, Lt(absl::Seconds(10)));
  EXPECT_THAT(solver_.events(), ::testing::SizeIs(2));  // cleaned up
}

TEST_F(AcmeClientTest, RateLimitIsResourceExhaustedWithWhenToRetry) {
  ca_.new_order_problem = R"({"type":"urn:ietf:params:acme:error:rateLimited",)"
                          R"("detail":"too many new orders recently"})";
  ca_.new_order_retry_after = "90";
  absl::StatusOr<std::unique_ptr<AcmeClient>> client = Client();
  ASSERT_THAT(client, IsOk());
  EXPECT_THAT((*client)->Issue({.dns_names = {"www.example.com"}}),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       AllOf(HasSubstr("newOrder"), HasSubstr("rate limit"),
                             HasSubstr("too many new orders recently"),
                             HasSubstr("retry after 1m30s"))));
}

TEST_F(AcmeClientTest, BadNonceIsRetriedWithTheNonceFromTheError) {
  ca_.reject_first_nonce = true;
  absl::StatusOr<std::unique_ptr<AcmeClient>> client = Client();
  ASSERT_THAT(client, IsOk());
  absl::StatusOr<AcmeAccount> account = (*client)->CreateAccount();
  ASSERT_THAT(account, IsOk());
  EXPECT_TRUE(account->created);
  EXPECT_EQ((*client)->stats().bad_nonce_retries, 1);
  EXPECT_EQ((*client)->stats().requests, 2);
  // One HEAD for the first nonce; the retry used the error's Replay-Nonce.
  EXPECT_EQ(ca_.heads(), 1);
  EXPECT_THAT(ca_.envelope_errors(), ::testing::IsEmpty());
}

TEST_F(AcmeClientTest, BadNonceRetriesAreBounded) {
  ca_.reject_first_nonce = true;
  AcmeClientConfig config;
  config.directory_url = ca_.directory_url();
  config.bad_nonce_retries = 0;
  absl::StatusOr<std::unique_ptr<AcmeClient>> client =
      AcmeClient::Create(config, account_key_, {&solver_});
  ASSERT_THAT(client, IsOk());
  absl::StatusOr<AcmeAccount> account = (*client)->CreateAccount();
  EXPECT_THAT(account,
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("badNonce")));
  EXPECT_EQ(AcmeErrorType(account.status()),
            "urn:ietf:params:acme:error:badNonce");
}

TEST_F(AcmeClientTest, NotAnAcmeDirectoryIsNamed) {
  ca_.broken_directory = true;
  EXPECT_THAT(Client(), StatusIs(absl::StatusCode::kFailedPrecondition,
                                 AllOf(HasSubstr(ca_.directory_url()),
                                       HasSubstr("not an ACME directory"))));
}

TEST_F(AcmeClientTest, BadInputIsRefusedBeforeAnyRequest) {
  absl::StatusOr<std::unique_ptr<AcmeClient>> client = Client();
  ASSERT_THAT(client, IsOk());
  EXPECT_THAT(
      (*client)->Issue({.dns_names = {}}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("dns_names")));
  EXPECT_THAT(
      (*client)->Issue({.dns_names = {"ok.example.com", "bad..name"}}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("dns_names[1]")));
  EXPECT_THAT(
      (*client)->Issue({.dns_names = {"192.0.2.7"}}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("dns_names[0]")));
  EXPECT_EQ((*client)->stats().requests, 0);
  EXPECT_THAT(
      AcmeClient::Create({.directory_url = ""}, account_key_, {}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("directory_url")));
  EXPECT_THAT(
      AcmeClient::Create({.directory_url = ca_.directory_url()},
                         SecretString("not a key"), {}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("account_key")));
}

}  // namespace
}  // namespace certferry::issuers::acme
