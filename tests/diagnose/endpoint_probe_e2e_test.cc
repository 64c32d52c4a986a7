// The endpoint probes and rules against loopback peers that fail below TLS:
// no address, a refused port, dropped SYNs, a server that never speaks, and
// plain HTTP on the TLS port. TLS configurations are in
// endpoint_tls_e2e_test.cc.

#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "diagnose/probe/endpoint_probe.h"
#include "diagnose/rules/endpoint_rules.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/diagnose/finding_matchers.h"
#include "tests/support/nginx_server.h"
#include "tests/support/silent_listener.h"
#include "tests/support/status_matchers.h"

namespace certferry::diagnose {
namespace {

using ::certferry::testing::StatusIs;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

EndpointProbeRequest Request(int port, absl::Duration timeout) {
  EndpointProbeRequest request;
  request.host = "127.0.0.1";
  request.port = port;
  request.sni = "leaf.example.com";
  request.timeout = timeout;
  return request;
}

TEST(CollectEndpointEvidence, RefusedPortStopsBeforeTls) {
  auto port = testing::PickFreePort();
  ASSERT_TRUE(port.ok());
  auto evidence = CollectEndpointEvidence(Request(*port, absl::Seconds(5)));
  ASSERT_TRUE(evidence.ok()) << evidence.status();
  EXPECT_EQ(evidence->tcp.outcome, TcpOutcome::kRefused);
  EXPECT_EQ(evidence->handshake.state, ProbeState::kNotRun);
  for (const ProtocolEvidence& p : evidence->protocols) {
    EXPECT_EQ(p.state, ProbeState::kNotRun);
  }
  std::vector<Finding> findings = EndpointFindings(*evidence, {});
  EXPECT_THAT(findings,
              ElementsAre(IsFinding("DNS_RESOLVED", Severity::kInfo),
                          IsFinding("PORT_REFUSED", Severity::kCritical)));
  EXPECT_THAT(findings[1].evidence,
              AllOf(HasSubstr(absl::StrCat("127.0.0.1:", *port)),
                    HasSubstr("Connection refused")));
}

TEST(CollectEndpointEvidence, DroppedSynsTimeOutAsUnreachable) {
  testing::SilentListener listener(/*backlog=*/0);
  ASSERT_TRUE(listener.FillAcceptQueue());
  const absl::Time start = absl::Now();
  auto evidence =
      CollectEndpointEvidence(Request(listener.port(), absl::Seconds(1)));
  ASSERT_TRUE(evidence.ok()) << evidence.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  EXPECT_EQ(evidence->tcp.outcome, TcpOutcome::kTimedOut);
  EXPECT_GE(evidence->tcp.elapsed, absl::Milliseconds(900));
  EXPECT_THAT(EndpointFindings(*evidence, {}),
              ElementsAre(IsFinding("DNS_RESOLVED", Severity::kInfo),
                          IsFinding("PORT_UNREACHABLE", Severity::kCritical)));
}

TEST(CollectEndpointEvidence, SilentServerIsCutOffAtTheDeadline) {
  // Connections complete into the backlog, and nothing ever answers the
  // ClientHello.
  testing::SilentListener listener(/*backlog=*/64);
  const absl::Time start = absl::Now();
  auto evidence = CollectEndpointEvidence(
      Request(listener.port(), absl::Milliseconds(500)));
  ASSERT_TRUE(evidence.ok()) << evidence.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  EXPECT_EQ(evidence->tcp.outcome, TcpOutcome::kConnected);
  EXPECT_EQ(evidence->handshake.state, ProbeState::kTimedOut);
  EXPECT_EQ(evidence->hsts.state, ProbeState::kTimedOut);
  for (const ProtocolEvidence& p : evidence->protocols) {
    SCOPED_TRACE(TlsVersionName(p.version));
    EXPECT_THAT(p.state, ::testing::AnyOf(ProbeState::kTimedOut,
                                          ProbeState::kUntestable));
  }
  std::vector<Finding> findings = EndpointFindings(*evidence, {});
  EXPECT_THAT(findings, ElementsAre(IsFinding("DNS_RESOLVED", Severity::kInfo),
                                    IsFinding("PORT_REACHABLE", Severity::kOk),
                                    IsFinding("TLS_HANDSHAKE_FAILED",
                                              Severity::kCritical)));
  EXPECT_THAT(findings[2].evidence, HasSubstr("did not complete"));
}

TEST(CollectEndpointEvidence, PlainHttpOnTheTlsPortFailsTheHandshake) {
  testing::NginxOptions options;
  options.tls = false;
  auto nginx = testing::NginxServer::Create(::testing::TempDir(), options);
  ASSERT_TRUE(nginx.ok()) << nginx.status();
  ASSERT_TRUE((*nginx)->Start().ok()) << (*nginx)->ErrorLog();
  auto evidence =
      CollectEndpointEvidence(Request((*nginx)->port(), absl::Seconds(10)));
  ASSERT_TRUE(evidence.ok()) << evidence.status();
  EXPECT_EQ(evidence->handshake.state, ProbeState::kDone);
  EXPECT_FALSE(evidence->handshake.completed);
  std::vector<Finding> findings = EndpointFindings(*evidence, {});
  EXPECT_THAT(findings, ElementsAre(IsFinding("DNS_RESOLVED", Severity::kInfo),
                                    IsFinding("PORT_REACHABLE", Severity::kOk),
                                    IsFinding("TLS_HANDSHAKE_FAILED",
                                              Severity::kCritical)));
  EXPECT_EQ(findings[2].browser_error, "NET::ERR_SSL_PROTOCOL_ERROR");
}

TEST(CollectEndpointEvidence, UnknownNameHasNoAddress) {
  EndpointProbeRequest request = Request(443, absl::Seconds(5));
  request.host = "no-such-host.invalid";
  auto evidence = CollectEndpointEvidence(request);
  ASSERT_TRUE(evidence.ok()) << evidence.status();
  EXPECT_TRUE(evidence->dns.addresses.empty());
  EXPECT_EQ(evidence->tcp.state, ProbeState::kNotRun);
  EXPECT_THAT(EndpointFindings(*evidence, {}),
              ElementsAre(IsFinding("DNS_NO_ADDRESS", Severity::kCritical)));
}

TEST(CollectEndpointEvidence, ExpectedAddressIsCompared) {
  auto port = testing::PickFreePort();
  ASSERT_TRUE(port.ok());
  EndpointProbeRequest request = Request(*port, absl::Seconds(5));
  request.host = "localhost";
  request.sni.clear();  // defaults to the host name
  request.expected_address = "127.0.0.2";
  auto evidence = CollectEndpointEvidence(request);
  ASSERT_TRUE(evidence.ok()) << evidence.status();
  EXPECT_EQ(evidence->sni, "localhost");
  std::vector<Finding> findings = EndpointFindings(*evidence, {});
  EXPECT_THAT(findings,
              ElementsAre(IsFinding("DNS_RESOLVED", Severity::kInfo),
                          IsFinding("DNS_ADDRESS_MISMATCH", Severity::kHigh),
                          IsFinding("PORT_REFUSED", Severity::kCritical)));
  EXPECT_THAT(findings[1].evidence, HasSubstr("expected 127.0.0.2"));

  request.expected_address = "127.0.0.1";
  evidence = CollectEndpointEvidence(request);
  ASSERT_TRUE(evidence.ok()) << evidence.status();
  EXPECT_THAT(EndpointFindings(*evidence, {}),
              Not(Contains(HasId("DNS_ADDRESS_MISMATCH"))));
}

TEST(CollectEndpointEvidence, IpLiteralGetsNoSni) {
  auto port = testing::PickFreePort();
  ASSERT_TRUE(port.ok());
  EndpointProbeRequest request = Request(*port, absl::Seconds(5));
  request.sni.clear();
  auto evidence = CollectEndpointEvidence(request);
  ASSERT_TRUE(evidence.ok()) << evidence.status();
  EXPECT_EQ(evidence->sni, "");
}

TEST(CollectEndpointEvidence, RejectsBadRequests) {
  EXPECT_THAT(CollectEndpointEvidence(Request(0, absl::Seconds(1))),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("port")));
  EndpointProbeRequest request = Request(443, absl::ZeroDuration());
  EXPECT_THAT(
      CollectEndpointEvidence(request),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("timeout")));
  request = Request(443, absl::Seconds(1));
  request.host.clear();
  EXPECT_THAT(CollectEndpointEvidence(request),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("host")));
}

}  // namespace
}  // namespace certferry::diagnose
