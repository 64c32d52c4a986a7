#include "notify/webhook_signature.h"

#include "gtest/gtest.h"

namespace certferry::notify {
namespace {

// The expected value is Python's
//   hmac.new(b"whsec-test-secret-0123", b'1700000000.{"a":1}',
//            hashlib.sha256).hexdigest()
// so the scheme is checked against an implementation other than ours.
TEST(WebhookSignature, IsHmacSha256OverTimestampDotBody) {
  EXPECT_EQ(WebhookSignature(SecretString("whsec-test-secret-0123"), 1700000000,
                             R"({"a":1})"),
            "sha256="
            "68d0d2c2b1fd8dd3cf9757f6711713db6c1f8e87bc8e05ae6ebfab6607942326");
}

TEST(WebhookSignature, ChangesWithTimestampBodyAndSecret) {
  const SecretString secret("whsec-test-secret-0123");
  const std::string base = WebhookSignature(secret, 1700000000, "{}");
  EXPECT_NE(WebhookSignature(secret, 1700000001, "{}"), base);
  EXPECT_NE(WebhookSignature(secret, 1700000000, "{ }"), base);
  EXPECT_NE(WebhookSignature(SecretString("whsec-test-secret-0124"), 1700000000,
                             "{}"),
            base);
}

}  // namespace
}  // namespace certferry::notify
