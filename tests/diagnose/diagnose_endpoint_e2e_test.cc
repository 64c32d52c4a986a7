// DiagnoseEndpoint end to end against Debian's nginx on 127.0.0.1: the
// endpoint rules and the chain rules together, worst first, with what was
// served and how long it took.

#include <algorithm>
#include <string>
#include <vector>

#include "diagnose/diagnose.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pki/digest.h"
#include "tests/diagnose/finding_matchers.h"
#include "tests/diagnose/nginx_endpoint_fixture.h"
#include "tests/support/nginx_server.h"
#include "tests/support/test_pki.h"

namespace certferry::diagnose {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

class DiagnoseEndpointTest : public NginxEndpointTest {
 protected:
  // Trusts the test root only, so the result does not depend on the
  // host's store.
  EndpointDiagnosisRequest Request(int port) const {
    EndpointDiagnosisRequest request;
    request.endpoint.host = "127.0.0.1";
    request.endpoint.port = port;
    request.endpoint.sni = "leaf.example.com";
    request.endpoint.timeout = absl::Seconds(20);
    request.extra_trust_pem = chain_.root.cert_pem;
    request.use_system_trust = false;
    return request;
  }
};

bool WorstFirst(const std::vector<Finding>& findings) {
  return std::is_sorted(findings.begin(), findings.end(),
                        [](const Finding& a, const Finding& b) {
                          return a.severity > b.severity;
                        });
}

TEST_F(DiagnoseEndpointTest,
       CorrectServerReportsWhatIsServedAndNothingAboveLow) {
  ASSERT_NO_FATAL_FAILURE(
      Serve("ssl_protocols TLSv1.2 TLSv1.3;\n"
            "ssl_ciphers ECDHE+AESGCM:ECDHE+CHACHA20;\n"
            "add_header Strict-Transport-Security \"max-age=31536000\" "
            "always;\n"));
  EndpointDiagnosisRequest request = Request(nginx_->port());
  request.served.expected_leaf_sha256 = pki::Sha256Hex(chain_.leaf.cert_der);
  auto report = DiagnoseEndpoint(request);
  ASSERT_TRUE(report.ok()) << report.status();

  EXPECT_THAT(
      report->findings,
      ElementsAre(IsFinding("OCSP_STAPLING_MISSING", Severity::kLow),
                  IsFinding("PORT_REACHABLE", Severity::kOk),
                  IsFinding("SERVED_AS_DEPLOYED", Severity::kOk),
                  IsFinding("HSTS_PRESENT", Severity::kOk),
                  IsFinding("CHAIN_TRUSTED", Severity::kOk),
                  IsFinding("HOSTNAME_MATCH", Severity::kOk),
                  IsFinding("CERT_VALIDITY_OK", Severity::kOk),
                  IsFinding("DNS_RESOLVED", Severity::kInfo),
                  IsFinding("PROTOCOL_UNTESTABLE", Severity::kInfo),
                  IsFinding("CIPHER_CLASS_UNTESTABLE", Severity::kInfo)));
  EXPECT_EQ(report->worst, Severity::kLow);

  ASSERT_THAT(report->chain, SizeIs(2));
  EXPECT_EQ(report->chain[0].sha256, pki::Sha256Hex(chain_.leaf.cert_der));
  EXPECT_THAT(report->chain[0].dns_names, ElementsAre("leaf.example.com"));
  EXPECT_THAT(report->chain[1].subject,
              HasSubstr("CN=certferry test intermediate"));
  EXPECT_EQ(report->protocol, "TLSv1.3");
  EXPECT_THAT(report->addresses, ElementsAre("127.0.0.1"));
  EXPECT_GT(report->timings.handshake, absl::ZeroDuration());
  EXPECT_GT(report->timings.protocol_scan, absl::ZeroDuration());
  EXPECT_GT(report->timings.cipher_scan, absl::ZeroDuration());
  EXPECT_GT(report->timings.hsts, absl::ZeroDuration());
  EXPECT_GE(report->timings.total, report->timings.handshake);
  EXPECT_LT(report->timings.total, absl::Seconds(5));
}

TEST_F(DiagnoseEndpointTest, ChainAndEndpointFaultsTogetherWorstFirst) {
  // No intermediate, TLS 1.0 on, no HSTS, and clients use another name.
  ASSERT_NO_FATAL_FAILURE(Serve(chain_.leaf.cert_pem,
                                chain_.leaf.key.private_key_pem,
                                "ssl_protocols TLSv1 TLSv1.2 TLSv1.3;\n"
                                "ssl_ciphers DEFAULT:@SECLEVEL=0;\n"));
  EndpointDiagnosisRequest request = Request(nginx_->port());
  request.expected_domain = "shop.example.com";
  auto report = DiagnoseEndpoint(request);
  ASSERT_TRUE(report.ok()) << report.status();

  EXPECT_TRUE(WorstFirst(report->findings));
  EXPECT_EQ(report->worst, Severity::kCritical);
  EXPECT_THAT(report->findings.front(),
              IsFinding("HOSTNAME_MISMATCH", Severity::kCritical));
  EXPECT_THAT(Only(report->findings, "HOSTNAME_MISMATCH").evidence,
              HasSubstr("shop.example.com"));
  EXPECT_EQ(Only(report->findings, "CHAIN_INCOMPLETE").severity,
            Severity::kHigh);
  EXPECT_EQ(Only(report->findings, "PROTOCOL_TLS1_0").severity,
            Severity::kMedium);
  EXPECT_EQ(Only(report->findings, "HSTS_MISSING").severity, Severity::kLow);
  EXPECT_THAT(report->chain, SizeIs(1));
}

TEST_F(DiagnoseEndpointTest, UnreachableEndpointHasNoChainFindings) {
  auto port = testing::PickFreePort();
  ASSERT_TRUE(port.ok());
  auto report = DiagnoseEndpoint(Request(*port));
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(report->findings,
              ElementsAre(IsFinding("PORT_REFUSED", Severity::kCritical),
                          IsFinding("DNS_RESOLVED", Severity::kInfo)));
  EXPECT_EQ(report->worst, Severity::kCritical);
  EXPECT_THAT(report->chain, IsEmpty());
  EXPECT_EQ(report->protocol, "");
}

TEST_F(DiagnoseEndpointTest, BadRequestIsInvalidArgument) {
  EndpointDiagnosisRequest request = Request(0);
  EXPECT_EQ(DiagnoseEndpoint(request).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace certferry::diagnose
