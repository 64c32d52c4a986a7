#include "issuers/acme/problem.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace certferry::issuers::acme {
namespace {

using ::certferry::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Optional;

const absl::Time kNow = absl::FromUnixSeconds(1784800000);  // 2026-07-23

cloud::HttpResponse Problem(int status, const std::string& body,
                            const std::string& retry_after = "") {
  cloud::HttpResponse response;
  response.status_code = status;
  response.headers = {{"content-type", "application/problem+json"}};
  if (!retry_after.empty()) {
    response.headers.emplace_back("retry-after", retry_after);
  }
  response.body = body;
  return response;
}

TEST(ParseRetryAfter, SecondsAndHttpDates) {
  EXPECT_THAT(ParseRetryAfter("120", kNow), Optional(absl::Seconds(120)));
  EXPECT_THAT(ParseRetryAfter(" 0 ", kNow), Optional(absl::ZeroDuration()));
  EXPECT_THAT(ParseRetryAfter(absl::FormatTime("%a, %d %b %Y %H:%M:%S GMT",
                                               kNow + absl::Minutes(5),
                                               absl::UTCTimeZone()),
                              kNow),
              Optional(absl::Minutes(5)));
  EXPECT_THAT(ParseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", kNow),
              Optional(absl::ZeroDuration()));
  EXPECT_EQ(ParseRetryAfter(std::nullopt, kNow), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("soon", kNow), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("-5", kNow), std::nullopt);
}

TEST(ProblemStatus, RateLimitedIsResourceExhaustedSayingWhenToRetry) {
  const absl::Status status = ProblemStatus(
      "newOrder",
      Problem(429,
              R"({"type":"urn:ietf:params:acme:error:rateLimited",)"
              R"("detail":"too many certificates for example.com"})",
              "3600"),
      kNow);
  EXPECT_THAT(
      status,
      StatusIs(absl::StatusCode::kResourceExhausted,
               AllOf(HasSubstr("newOrder: "), HasSubstr("rate limit"),
                     HasSubstr("urn:ietf:params:acme:error:rateLimited"),
                     HasSubstr("too many certificates for example.com"),
                     HasSubstr("retry after 1h"), HasSubstr("2026-07-23T"))));
  EXPECT_EQ(AcmeErrorType(status), "urn:ietf:params:acme:error:rateLimited");
}

TEST(ProblemStatus, RateLimitedWithoutRetryAfterSaysSo) {
  EXPECT_THAT(
      ProblemStatus(
          "newOrder",
          Problem(429, R"({"type":"urn:ietf:params:acme:error:rateLimited"})"),
          kNow),
      StatusIs(absl::StatusCode::kResourceExhausted,
               HasSubstr("no Retry-After")));
}

TEST(ProblemStatus, CodesFollowTheAcmeType) {
  struct Case {
    const char* type;
    absl::StatusCode code;
  };
  for (const Case& c : {
           Case{"accountDoesNotExist", absl::StatusCode::kNotFound},
           Case{"unauthorized", absl::StatusCode::kPermissionDenied},
           Case{"malformed", absl::StatusCode::kInvalidArgument},
           Case{"rejectedIdentifier", absl::StatusCode::kInvalidArgument},
           Case{"badCSR", absl::StatusCode::kInvalidArgument},
           Case{"incorrectResponse", absl::StatusCode::kFailedPrecondition},
           Case{"dns", absl::StatusCode::kFailedPrecondition},
           Case{"orderNotReady", absl::StatusCode::kFailedPrecondition},
           Case{"externalAccountRequired",
                absl::StatusCode::kFailedPrecondition},
           Case{"badNonce", absl::StatusCode::kUnavailable},
           Case{"serverInternal", absl::StatusCode::kUnavailable},
       }) {
    const std::string type = std::string(kAcmeErrorPrefix) + c.type;
    const absl::Status status = ProblemStatus(
        "req", Problem(400, R"({"type":")" + type + R"(","detail":"d"})"),
        kNow);
    EXPECT_THAT(status, StatusIs(c.code, HasSubstr(type + ": d (HTTP 400)")))
        << c.type;
    EXPECT_EQ(AcmeErrorType(status), type);
  }
}

TEST(ProblemStatus, SubproblemsNameTheirIdentifiers) {
  const absl::Status status = ProblemStatus(
      "newOrder", Problem(400, R"({"type":"urn:ietf:params:acme:error:compound",
        "detail":"2 names refused",
        "subproblems":[
          {"type":"urn:ietf:params:acme:error:rejectedIdentifier",
           "detail":"blocked","identifier":{"type":"dns","value":"a.test"}},
          {"type":"urn:ietf:params:acme:error:malformed",
           "detail":"bad name","identifier":{"type":"dns","value":"b..test"}}
        ]})"),
      kNow);
  EXPECT_THAT(status,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("2 names refused"),
                             HasSubstr("a.test: urn:ietf:params:acme:error:"
                                       "rejectedIdentifier: blocked"),
                             HasSubstr("b..test: urn:ietf:params:acme:error:"
                                       "malformed: bad name"))));
}

TEST(ProblemStatus, UnknownTypesAndNonProblemBodiesMapByHttpStatus) {
  EXPECT_THAT(
      ProblemStatus("req", Problem(503, R"({"type":"about:blank"})"), kNow),
      StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(ProblemStatus("req", Problem(404, "<html>not here</html>"), kNow),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("req: HTTP 404 without an ACME problem")));
  const absl::Status status = ProblemStatus("req", Problem(500, "oops"), kNow);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(AcmeErrorType(status), "");
}

}  // namespace
}  // namespace certferry::issuers::acme
