#include "notify/webhook_url.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace certferry::notify {
namespace {

using ::certferry::testing::IsOk;
using ::certferry::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(ValidateWebhookUrl, AcceptsHttpsAndLoopbackHttp) {
  for (const char* url :
       {"https://hooks.example.com/certferry",
        "https://hooks.example.com:8443/a/b?token=x",
        "HTTPS://Hooks.Example.com", "http://127.0.0.1:8080/hook",
        "http://localhost/hook", "http://[::1]:9000/"}) {
    EXPECT_THAT(ValidateWebhookUrl("url", url), IsOk()) << url;
  }
}

TEST(ValidateWebhookUrl, RefusesWithTheFieldNamedAndWithoutTheUrl) {
  for (const char* url :
       {"", "ftp://example.com/", "hooks.example.com/x",
        "http://hooks.example.com/x", "http://10.0.0.1/x",
        "https://user:pass@hooks.example.com/x", "https://:443/x",
        "https://hooks.example.com:0/x", "https://hooks.example.com:99999/",
        "https://hooks.example.com:/x", "https://hooks.example.com/a b",
        "https://[::1/x"}) {
    EXPECT_THAT(ValidateWebhookUrl("endpoint.url", url),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         AllOf(HasSubstr("endpoint.url: "),
                               Not(HasSubstr("hooks.example.com")))))
        << url;
  }
  EXPECT_THAT(ValidateWebhookUrl("url", std::string(2049, 'a')),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(WebhookUrlOrigin, KeepsSchemeHostAndPortOnly) {
  EXPECT_EQ(WebhookUrlOrigin("https://hooks.example.com/T000/B000/XXXX"),
            "https://hooks.example.com");
  EXPECT_EQ(WebhookUrlOrigin("HTTP://127.0.0.1:8080?token=x"),
            "http://127.0.0.1:8080");
  EXPECT_EQ(WebhookUrlOrigin("https://u:p@example.com:8443#f"),
            "https://example.com:8443");
}

}  // namespace
}  // namespace certferry::notify
