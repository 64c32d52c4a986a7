// The http-01 listener over real HTTP on loopback, and the dns-01 hook
// provider running real commands.

#include <sys/stat.h>

#include <fstream>
#include <string>

#include "cloud/http_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "issuers/acme/dns01_solver.h"
#include "issuers/acme/http01_solver.h"
#include "issuers/acme/jws.h"
#include "tests/support/status_matchers.h"

namespace certferry::issuers::acme {
namespace {

using ::certferry::testing::IsOk;
using ::certferry::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

AcmeChallenge Challenge(const std::string& type, const std::string& token) {
  AcmeChallenge challenge;
  challenge.type = type;
  challenge.identifier = "*.example.com";
  challenge.domain = "example.com";
  challenge.token = token;
  challenge.key_authorization = token + ".thumbprint";
  challenge.url = "https://ca/chall/1";
  return challenge;
}

cloud::HttpResponse Get(int port, const std::string& path) {
  cloud::CurlHttpClient http;
  cloud::HttpRequest request;
  request.url = "http://127.0.0.1:" + std::to_string(port) + path;
  request.headers = {{"Host", "www.example.com"}};
  absl::StatusOr<cloud::HttpResponse> response =
      http.Send(request, absl::Seconds(10));
  EXPECT_THAT(response, IsOk());
  return response.ok() ? *response : cloud::HttpResponse{};
}

TEST(Http01Solver, ServesPresentedKeyAuthorizationsUntilCleanedUp) {
  absl::StatusOr<std::unique_ptr<Http01Solver>> solver =
      Http01Solver::Start({.address = "127.0.0.1", .port = 0});
  ASSERT_THAT(solver, IsOk());
  const int port = (*solver)->port();
  ASSERT_GT(port, 0);
  EXPECT_EQ((*solver)->type(), "http-01");

  const AcmeChallenge a = Challenge("http-01", "tokenA_-1");
  const AcmeChallenge b = Challenge("http-01", "tokenB");
  ASSERT_THAT((*solver)->Present(a), IsOk());
  ASSERT_THAT((*solver)->Present(b), IsOk());

  cloud::HttpResponse response =
      Get(port, "/.well-known/acme-challenge/tokenA_-1");
  EXPECT_EQ(response.status_code, 200);
  EXPECT_EQ(response.body, "tokenA_-1.thumbprint");
  EXPECT_EQ(Get(port, "/.well-known/acme-challenge/tokenB").body,
            "tokenB.thumbprint");
  EXPECT_EQ(Get(port, "/.well-known/acme-challenge/other").status_code, 404);
  EXPECT_EQ(Get(port, "/tokenA_-1").status_code, 404);

  ASSERT_THAT((*solver)->CleanUp(a), IsOk());
  EXPECT_EQ(Get(port, "/.well-known/acme-challenge/tokenA_-1").status_code,
            404);
  EXPECT_EQ(Get(port, "/.well-known/acme-challenge/tokenB").status_code, 200);
}

TEST(Http01Solver, RefusesTokensThatAreNotBase64Url) {
  absl::StatusOr<std::unique_ptr<Http01Solver>> solver =
      Http01Solver::Start({.address = "127.0.0.1", .port = 0});
  ASSERT_THAT(solver, IsOk());
  EXPECT_THAT((*solver)->Present(Challenge("http-01", "../etc/passwd")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT((*solver)->Present(Challenge("http-01", "")),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(Http01Solver, TakenPortIsUnavailableNamingTheAddress) {
  absl::StatusOr<std::unique_ptr<Http01Solver>> first =
      Http01Solver::Start({.address = "127.0.0.1", .port = 0});
  ASSERT_THAT(first, IsOk());
  const int port = (*first)->port();
  EXPECT_THAT(Http01Solver::Start({.address = "127.0.0.1", .port = port}),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("127.0.0.1:" + std::to_string(port))));
  EXPECT_THAT(Http01Solver::Start({.address = "127.0.0.1", .port = 70000}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

class HookTest : public ::testing::Test {
 protected:
  // A hook that appends its arguments to a log and exits with `status`.
  std::string WriteHook(int status) {
    const std::string path = ::testing::TempDir() + "acme-hook-" +
                             std::to_string(counter_++) + ".sh";
    std::ofstream(path) << "#!/bin/sh\necho \"$@\" >> " << log_
                        << "\necho 'hook says hi'\nexit " << status << "\n";
    ::chmod(path.c_str(), 0700);
    return path;
  }
  std::string Log() {
    std::ifstream in(log_);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  void SetUp() override { std::remove(log_.c_str()); }

  std::string log_ = ::testing::TempDir() + "acme-hook.log";
  int counter_ = 0;
};

TEST_F(HookTest, Dns01SolverRunsPresentAndCleanupWithNameAndValue) {
  absl::StatusOr<std::unique_ptr<HookDnsProvider>> provider =
      HookDnsProvider::Create({.command = {WriteHook(0), "--zone", "z1"}});
  ASSERT_THAT(provider, IsOk());
  Dns01Solver solver(**provider);
  EXPECT_EQ(solver.type(), "dns-01");
  const AcmeChallenge challenge = Challenge("dns-01", "tok");
  ASSERT_THAT(solver.Present(challenge), IsOk());
  ASSERT_THAT(solver.CleanUp(challenge), IsOk());
  const std::string value = Dns01RecordValue("tok.thumbprint");
  EXPECT_EQ(Log(), "--zone z1 present _acme-challenge.example.com " + value +
                       "\n--zone z1 cleanup _acme-challenge.example.com " +
                       value + "\n");
}

TEST_F(HookTest, FailingHookIsFailedPreconditionWithItsOutput) {
  absl::StatusOr<std::unique_ptr<HookDnsProvider>> provider =
      HookDnsProvider::Create({.command = {WriteHook(3)}});
  ASSERT_THAT(provider, IsOk());
  EXPECT_THAT(
      (*provider)->Present("_acme-challenge.example.com", "v"),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               AllOf(HasSubstr("present _acme-challenge.example.com"),
                     HasSubstr("exit status 3"), HasSubstr("hook says hi"))));
}

TEST_F(HookTest, SlowHookIsCutOffAtItsTimeout) {
  absl::StatusOr<std::unique_ptr<HookDnsProvider>> provider =
      HookDnsProvider::Create({.command = {"/bin/sh", "-c", "sleep 30", "sh"},
                               .timeout = absl::Milliseconds(200)});
  ASSERT_THAT(provider, IsOk());
  EXPECT_THAT((*provider)->Present("_acme-challenge.example.com", "v"),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
}

TEST(HookDnsProvider, RefusesMissingOrEmptyCommands) {
  EXPECT_THAT(HookDnsProvider::Create({}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("dns hook command")));
  EXPECT_THAT(
      HookDnsProvider::Create({.command = {"/no/such/hook"}}),
      StatusIs(absl::StatusCode::kNotFound, HasSubstr("/no/such/hook")));
}

TEST(Dns01RecordName, StripsTheWildcard) {
  EXPECT_EQ(Dns01RecordName("example.com"), "_acme-challenge.example.com");
  EXPECT_EQ(Dns01RecordName("*.example.com"), "_acme-challenge.example.com");
}

}  // namespace
}  // namespace certferry::issuers::acme
