// The pure parts of the HSTS probe; the probe itself runs against nginx in
// endpoint_tls_e2e_test.cc.

#include "diagnose/probe/hsts.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace certferry::diagnose {
namespace {

using ::certferry::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Optional;
using ::testing::Pair;

TEST(ParseStrictTransportSecurity, ReadsMaxAgeAndIncludeSubDomains) {
  StrictTransportSecurity sts =
      ParseStrictTransportSecurity("max-age=31536000; includeSubDomains");
  EXPECT_THAT(sts.max_age, Optional(absl::Seconds(31536000)));
  EXPECT_TRUE(sts.include_subdomains);

  // Names are case-insensitive, values may be quoted (RFC 6797 6.1).
  sts = ParseStrictTransportSecurity(" MAX-AGE=\"600\" ;preload");
  EXPECT_THAT(sts.max_age, Optional(absl::Seconds(600)));
  EXPECT_FALSE(sts.include_subdomains);

  EXPECT_THAT(ParseStrictTransportSecurity("max-age=0").max_age,
              Optional(absl::ZeroDuration()));
}

TEST(ParseStrictTransportSecurity, InvalidValuesHaveNoMaxAge) {
  for (const char* value : {"", "includeSubDomains", "max-age=", "max-age=-1",
                            "max-age=1y", "max-age=600; max-age=700",
                            "max-age=10; includeSubDomains; "
                            "includesubdomains"}) {
    SCOPED_TRACE(value);
    EXPECT_EQ(ParseStrictTransportSecurity(value).max_age, std::nullopt);
  }
}

TEST(ParseHttpResponseHead, StatusAndHeadersInOrder) {
  auto head = ParseHttpResponseHead(
      "HTTP/1.1 301 Moved Permanently\r\nServer: nginx\r\n"
      "Strict-Transport-Security:  max-age=600 \r\nLocation: /x\r\n\r\nbody");
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(head->status, 301);
  EXPECT_THAT(head->headers,
              ElementsAre(Pair("Server", "nginx"),
                          Pair("Strict-Transport-Security", "max-age=600"),
                          Pair("Location", "/x")));
}

TEST(ParseHttpResponseHead, RejectsWhatIsNotHttp) {
  EXPECT_THAT(
      ParseHttpResponseHead("HTTP/1.1 200 OK\r\nServer: x\r\n"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no end")));
  EXPECT_THAT(ParseHttpResponseHead("SSH-2.0-OpenSSH\r\n\r\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not an HTTP/1.x status line")));
}

}  // namespace
}  // namespace certferry::diagnose
