// The probe against peers that misbehave at the TCP level; real TLS servers
// are in nginx_file_target_e2e_test.cc.

#include "targets/endpoint_probe.h"

#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/nginx_server.h"
#include "tests/support/silent_listener.h"
#include "tests/support/status_matchers.h"

namespace certferry::targets {
namespace {

using ::certferry::testing::SilentListener;
using ::certferry::testing::StatusIs;
using ::testing::HasSubstr;

TEST(FetchServedCertificateTest, RefusedConnectionIsUnavailable) {
  auto port = testing::PickFreePort();
  ASSERT_TRUE(port.ok());
  EXPECT_THAT(
      FetchServedCertificate({"127.0.0.1", *port, ""}, absl::Seconds(5)),
      StatusIs(absl::StatusCode::kUnavailable,
               HasSubstr("Connection refused")));
}

TEST(FetchServedCertificateTest, SilentServerHitsTheDeadline) {
  SilentListener listener;
  const absl::Time start = absl::Now();
  EXPECT_THAT(FetchServedCertificate({"127.0.0.1", listener.port(), ""},
                                     absl::Milliseconds(300)),
              StatusIs(absl::StatusCode::kDeadlineExceeded,
                       HasSubstr("TLS handshake")));
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
}

TEST(FetchServedCertificateTest, ServerClosingDuringHandshakeIsUnavailable) {
  SilentListener listener;
  std::thread closer([&] {
    const int client = ::accept(listener.fd(), nullptr, nullptr);
    if (client >= 0) ::close(client);
  });
  EXPECT_THAT(FetchServedCertificate({"127.0.0.1", listener.port(), ""},
                                     absl::Seconds(10)),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("TLS handshake with 127.0.0.1")));
  closer.join();
}

TEST(FetchServedCertificateTest, RejectsBadEndpoint) {
  EXPECT_THAT(FetchServedCertificate({"", 443, ""}, absl::Seconds(1)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("host")));
  EXPECT_THAT(FetchServedCertificate({"127.0.0.1", 0, ""}, absl::Seconds(1)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("port")));
}

TEST(WaitForServedLeafTest, GivesUpAtDeadlineWithLastError) {
  auto port = testing::PickFreePort();
  ASSERT_TRUE(port.ok());
  const absl::Time start = absl::Now();
  EXPECT_THAT(
      WaitForServedLeaf({"127.0.0.1", *port, ""}, "ab", absl::Milliseconds(300),
                        absl::Milliseconds(50)),
      StatusIs(absl::StatusCode::kUnavailable, HasSubstr("last attempt")));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(200));
}

}  // namespace
}  // namespace certferry::targets
