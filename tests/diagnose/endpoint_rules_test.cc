#include "diagnose/rules/endpoint_rules.h"

#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/diagnose/finding_matchers.h"

namespace certferry::diagnose {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// A healthy endpoint as the probes would see it: TLS 1.2 and 1.3 only, no
// weak class accepted, HSTS for a year, nothing stapled.
EndpointEvidence HealthyEvidence() {
  EndpointEvidence e;
  e.host = "www.example.com";
  e.port = 443;
  e.sni = "www.example.com";
  e.tls_library = "OpenSSL 3.0.19";
  e.timeout = absl::Seconds(10);
  e.dns.state = ProbeState::kDone;
  e.dns.host = "www.example.com";
  e.dns.addresses = {"192.0.2.10", "2001:db8::10"};
  e.tcp.state = ProbeState::kDone;
  e.tcp.address = "192.0.2.10";
  e.tcp.port = 443;
  e.tcp.outcome = TcpOutcome::kConnected;
  e.handshake.state = ProbeState::kDone;
  e.handshake.completed = true;
  e.handshake.protocol = "TLSv1.3";
  e.handshake.cipher = "TLS_AES_256_GCM_SHA384";
  PresentedCertificate leaf;
  leaf.sha256 = std::string(64, 'a');
  leaf.subject = "CN=www.example.com";
  e.handshake.chain = {leaf};
  for (TlsVersion v :
       {TlsVersion::kSsl3, TlsVersion::kTls1_0, TlsVersion::kTls1_1,
        TlsVersion::kTls1_2, TlsVersion::kTls1_3}) {
    ProtocolEvidence& p = e.protocols.emplace_back();
    p.version = v;
    p.state = ProbeState::kDone;
    p.accepted = v == TlsVersion::kTls1_2 || v == TlsVersion::kTls1_3;
    if (!p.accepted) p.detail = "tlsv1 alert protocol version";
  }
  for (CipherClass c :
       {CipherClass::kNull, CipherClass::kExport, CipherClass::kRc4,
        CipherClass::kTripleDes, CipherClass::kAnonymous,
        CipherClass::kRsaKeyExchange}) {
    CipherClassEvidence& cipher_class = e.cipher_classes.emplace_back();
    cipher_class.cipher_class = c;
    cipher_class.state = ProbeState::kDone;
  }
  e.hsts.state = ProbeState::kDone;
  e.hsts.http_status = 200;
  e.hsts.header_present = true;
  e.hsts.header_value = "max-age=31536000";
  e.hsts.max_age = absl::Seconds(31536000);
  return e;
}

ProtocolEvidence& Protocol(EndpointEvidence& e, TlsVersion version) {
  for (ProtocolEvidence& p : e.protocols) {
    if (p.version == version) return p;
  }
  ADD_FAILURE() << "no protocol entry";
  return e.protocols.front();
}

CipherClassEvidence& Class(EndpointEvidence& e, CipherClass cipher_class) {
  for (CipherClassEvidence& c : e.cipher_classes) {
    if (c.cipher_class == cipher_class) return c;
  }
  ADD_FAILURE() << "no cipher class entry";
  return e.cipher_classes.front();
}

TEST(EndpointFindings, HealthyEndpointHasNothingAboveLow) {
  std::vector<Finding> findings =
      EndpointFindings(HealthyEvidence(), EndpointRuleOptions{});
  EXPECT_THAT(findings,
              ElementsAre(IsFinding("DNS_RESOLVED", Severity::kInfo),
                          IsFinding("PORT_REACHABLE", Severity::kOk),
                          IsFinding("OCSP_STAPLING_MISSING", Severity::kLow),
                          IsFinding("HSTS_PRESENT", Severity::kOk)));
  EXPECT_THAT(findings[0].evidence,
              HasSubstr("resolves to 192.0.2.10, 2001:db8::10"));
  EXPECT_THAT(findings[1].evidence,
              HasSubstr("192.0.2.10:443 (the first of 2 addresses)"));
  EXPECT_THAT(findings[3].evidence, HasSubstr("365 days"));
}

TEST(EndpointFindings, NoAddressStopsAllLaterChecks) {
  EndpointEvidence e = HealthyEvidence();
  e.dns.addresses.clear();
  e.dns.error = "Name or service not known";
  EXPECT_THAT(EndpointFindings(e, {}),
              ElementsAre(IsFinding("DNS_NO_ADDRESS", Severity::kCritical)));

  e.dns.state = ProbeState::kTimedOut;
  std::vector<Finding> findings = EndpointFindings(e, {});
  EXPECT_THAT(findings,
              ElementsAre(IsFinding("DNS_NO_ADDRESS", Severity::kCritical)));
  EXPECT_THAT(findings[0].evidence, HasSubstr("did not answer"));
}

TEST(EndpointFindings, AddressMismatchNamesBoth) {
  EndpointEvidence e = HealthyEvidence();
  e.dns.expected_address = "192.0.2.99";
  std::vector<Finding> findings = EndpointFindings(e, {});
  const Finding& mismatch = Only(findings, "DNS_ADDRESS_MISMATCH");
  EXPECT_EQ(mismatch.severity, Severity::kHigh);
  EXPECT_THAT(mismatch.evidence,
              AllOf(HasSubstr("192.0.2.10"), HasSubstr("expected 192.0.2.99")));

  e.dns.expected_address = "2001:db8::10";
  EXPECT_THAT(EndpointFindings(e, {}),
              Not(Contains(HasId("DNS_ADDRESS_MISMATCH"))));
}

TEST(EndpointFindings, RefusedAndDroppedConnectionsStopLaterChecks) {
  EndpointEvidence e = HealthyEvidence();
  e.tcp.outcome = TcpOutcome::kRefused;
  e.tcp.error = "Connection refused";
  EXPECT_THAT(EndpointFindings(e, {}),
              ElementsAre(IsFinding("DNS_RESOLVED", Severity::kInfo),
                          IsFinding("PORT_REFUSED", Severity::kCritical)));

  e.tcp.outcome = TcpOutcome::kTimedOut;
  e.tcp.error.clear();
  e.tcp.elapsed = absl::Seconds(3);
  std::vector<Finding> findings = EndpointFindings(e, {});
  EXPECT_THAT(findings,
              ElementsAre(IsFinding("DNS_RESOLVED", Severity::kInfo),
                          IsFinding("PORT_UNREACHABLE", Severity::kCritical)));
  EXPECT_THAT(findings[1].evidence, HasSubstr("no answer"));
  EXPECT_EQ(findings[1].browser_error, "NET::ERR_CONNECTION_TIMED_OUT");

  e.tcp.outcome = TcpOutcome::kError;
  e.tcp.error = "No route to host";
  findings = EndpointFindings(e, {});
  EXPECT_THAT(findings,
              ElementsAre(IsFinding("DNS_RESOLVED", Severity::kInfo),
                          IsFinding("PORT_UNREACHABLE", Severity::kCritical)));
  EXPECT_THAT(findings[1].evidence, HasSubstr("No route to host"));
}

TEST(EndpointFindings, FailedHandshakeHidesProtocolAndCipherNoise) {
  EndpointEvidence e = HealthyEvidence();
  e.handshake.completed = false;
  e.handshake.error = "wrong version number";
  // What the scans see at a plain-HTTP port: everything refused.
  for (ProtocolEvidence& p : e.protocols) p.accepted = false;
  e.hsts = HstsEvidence();
  e.hsts.state = ProbeState::kFailed;
  e.hsts.detail = "handshake: refused";
  std::vector<Finding> findings = EndpointFindings(e, {});
  EXPECT_THAT(findings, ElementsAre(IsFinding("DNS_RESOLVED", Severity::kInfo),
                                    IsFinding("PORT_REACHABLE", Severity::kOk),
                                    IsFinding("TLS_HANDSHAKE_FAILED",
                                              Severity::kCritical)));
  EXPECT_THAT(findings[2].evidence,
              AllOf(HasSubstr("192.0.2.10:443 (SNI www.example.com)"),
                    HasSubstr("wrong version number")));

  e.handshake.state = ProbeState::kTimedOut;
  EXPECT_THAT(EndpointFindings(e, {}).back(),
              IsFinding("TLS_HANDSHAKE_FAILED", Severity::kCritical));
}

TEST(EndpointFindings, LegacyProtocolsEachGetAFinding) {
  EndpointEvidence e = HealthyEvidence();
  Protocol(e, TlsVersion::kSsl3).accepted = true;
  Protocol(e, TlsVersion::kTls1_0).accepted = true;
  Protocol(e, TlsVersion::kTls1_1).accepted = true;
  Protocol(e, TlsVersion::kTls1_3).accepted = false;
  std::vector<Finding> findings = EndpointFindings(e, {});
  EXPECT_THAT(findings,
              ElementsAre(IsFinding("DNS_RESOLVED", Severity::kInfo),
                          IsFinding("PORT_REACHABLE", Severity::kOk),
                          IsFinding("OCSP_STAPLING_MISSING", Severity::kLow),
                          IsFinding("PROTOCOL_SSL3", Severity::kCritical),
                          IsFinding("PROTOCOL_TLS1_0", Severity::kMedium),
                          IsFinding("PROTOCOL_TLS1_1", Severity::kMedium),
                          IsFinding("PROTOCOL_TLS1_3_MISSING", Severity::kLow),
                          IsFinding("HSTS_PRESENT", Severity::kOk)));
  EXPECT_THAT(Only(findings, "PROTOCOL_TLS1_0").evidence,
              HasSubstr("offering only TLSv1 was accepted"));
}

TEST(EndpointFindings, NeitherModernVersionIsOneFinding) {
  EndpointEvidence e = HealthyEvidence();
  Protocol(e, TlsVersion::kTls1_0).accepted = true;
  Protocol(e, TlsVersion::kTls1_2).accepted = false;
  Protocol(e, TlsVersion::kTls1_3).accepted = false;
  e.handshake.protocol = "TLSv1";
  std::vector<Finding> findings = EndpointFindings(e, {});
  EXPECT_THAT(findings, Contains(HasId("PROTOCOL_MODERN_MISSING")));
  EXPECT_THAT(findings, Not(Contains(HasId("PROTOCOL_TLS1_2_MISSING"))));
  EXPECT_THAT(findings, Not(Contains(HasId("PROTOCOL_TLS1_3_MISSING"))));
  EXPECT_EQ(Only(findings, "PROTOCOL_MODERN_MISSING").severity,
            Severity::kHigh);

  Protocol(e, TlsVersion::kTls1_3).accepted = true;
  findings = EndpointFindings(e, {});
  EXPECT_THAT(findings, Not(Contains(HasId("PROTOCOL_MODERN_MISSING"))));
  ASSERT_THAT(findings, Contains(HasId("PROTOCOL_TLS1_2_MISSING")));
  EXPECT_EQ(Only(findings, "PROTOCOL_TLS1_2_MISSING").severity,
            Severity::kMedium);
}

TEST(EndpointFindings, UntestableVersionsAndClassesAreOneFindingEach) {
  EndpointEvidence e = HealthyEvidence();
  Protocol(e, TlsVersion::kSsl3).state = ProbeState::kUntestable;
  Protocol(e, TlsVersion::kSsl3).detail = "no protocols available";
  for (CipherClass c :
       {CipherClass::kExport, CipherClass::kRc4, CipherClass::kTripleDes}) {
    Class(e, c).state = ProbeState::kUntestable;
  }
  std::vector<Finding> findings = EndpointFindings(e, {});
  const Finding& protocol = Only(findings, "PROTOCOL_UNTESTABLE");
  EXPECT_EQ(protocol.severity, Severity::kInfo);
  EXPECT_THAT(protocol.evidence,
              AllOf(HasSubstr("SSLv3"), HasSubstr("OpenSSL 3.0.19")));
  const Finding& classes = Only(findings, "CIPHER_CLASS_UNTESTABLE");
  EXPECT_EQ(classes.severity, Severity::kInfo);
  EXPECT_THAT(classes.evidence, HasSubstr("EXPORT, RC4, 3DES"));
  EXPECT_THAT(findings, Not(Contains(HasId("CHECK_INCOMPLETE"))));
}

TEST(EndpointFindings, WeakCipherSeverityFollowsTheClass) {
  const std::vector<std::pair<CipherClass, Severity>> cases = {
      {CipherClass::kNull, Severity::kCritical},
      {CipherClass::kExport, Severity::kCritical},
      {CipherClass::kAnonymous, Severity::kCritical},
      {CipherClass::kRc4, Severity::kHigh},
      {CipherClass::kTripleDes, Severity::kMedium}};
  for (const auto& [cipher_class, severity] : cases) {
    SCOPED_TRACE(CipherClassName(cipher_class));
    EndpointEvidence e = HealthyEvidence();
    Class(e, cipher_class).accepted_suites = {"SUITE-A", "SUITE-B"};
    std::vector<Finding> findings = EndpointFindings(e, {});
    const Finding& weak = Only(findings, "WEAK_CIPHER");
    EXPECT_EQ(weak.severity, severity);
    EXPECT_THAT(weak.evidence, AllOf(HasSubstr(CipherClassName(cipher_class)),
                                     HasSubstr("SUITE-A, SUITE-B")));
    EXPECT_THAT(findings, Not(Contains(HasId("CIPHER_NO_FORWARD_SECRECY"))));
  }
}

TEST(EndpointFindings, RsaKeyExchangeIsNoForwardSecrecy) {
  EndpointEvidence e = HealthyEvidence();
  CipherClassEvidence& rsa = Class(e, CipherClass::kRsaKeyExchange);
  rsa.accepted_suites = {"AES256-GCM-SHA384"};
  rsa.accepted_suites_truncated = true;
  std::vector<Finding> findings = EndpointFindings(e, {});
  EXPECT_THAT(findings, Not(Contains(HasId("WEAK_CIPHER"))));
  const Finding& fs = Only(findings, "CIPHER_NO_FORWARD_SECRECY");
  EXPECT_EQ(fs.severity, Severity::kLow);
  EXPECT_THAT(fs.evidence, AllOf(HasSubstr("AES256-GCM-SHA384"),
                                 HasSubstr("possibly more")));
}

TEST(EndpointFindings, OcspStapled) {
  EndpointEvidence e = HealthyEvidence();
  e.handshake.ocsp_stapled = true;
  e.handshake.ocsp_response_bytes = 471;
  std::vector<Finding> findings = EndpointFindings(e, {});
  EXPECT_THAT(findings, Not(Contains(HasId("OCSP_STAPLING_MISSING"))));
  ASSERT_THAT(findings, Contains(HasId("OCSP_STAPLED")));
  EXPECT_EQ(Only(findings, "OCSP_STAPLED").severity, Severity::kOk);
  EXPECT_THAT(Only(findings, "OCSP_STAPLED").evidence, HasSubstr("471"));
}

TEST(EndpointFindings, Hsts) {
  struct Case {
    bool present;
    std::string value;
    std::optional<absl::Duration> max_age;
    std::string id;
    Severity severity;
  };
  const std::vector<Case> cases = {
      {false, "", std::nullopt, "HSTS_MISSING", Severity::kLow},
      {true, "includeSubDomains", std::nullopt, "HSTS_MISSING", Severity::kLow},
      {true, "max-age=600", absl::Seconds(600), "HSTS_MAX_AGE_SHORT",
       Severity::kLow},
      {true, "max-age=0", absl::ZeroDuration(), "HSTS_MAX_AGE_SHORT",
       Severity::kLow},
      {true, "max-age=15552000", absl::Seconds(15552000), "HSTS_PRESENT",
       Severity::kOk}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.value);
    EndpointEvidence e = HealthyEvidence();
    e.hsts.header_present = c.present;
    e.hsts.header_value = c.value;
    e.hsts.max_age = c.max_age;
    std::vector<Finding> findings = EndpointFindings(e, {});
    EXPECT_THAT(findings.back(), IsFinding(c.id, c.severity));
  }
}

TEST(EndpointFindings, ServedLeafAgainstTheDeployedOne) {
  EndpointEvidence e = HealthyEvidence();
  EndpointRuleOptions options;
  // Fingerprints compare without case or colons.
  options.expected_leaf_sha256 = "AA:" + std::string(62, 'A');
  std::vector<Finding> findings = EndpointFindings(e, options);
  ASSERT_THAT(findings, Contains(HasId("SERVED_AS_DEPLOYED")));
  EXPECT_EQ(Only(findings, "SERVED_AS_DEPLOYED").severity, Severity::kOk);

  options.expected_leaf_sha256 = std::string(64, 'b');
  findings = EndpointFindings(e, options);
  const Finding& other = Only(findings, "SERVED_NOT_DEPLOYED");
  EXPECT_EQ(other.severity, Severity::kHigh);
  EXPECT_THAT(other.evidence,
              AllOf(HasSubstr("served leaf sha256 " + std::string(64, 'a')),
                    HasSubstr("CN=www.example.com"),
                    HasSubstr("not a certificate certferry knows"),
                    HasSubstr("expected sha256 " + std::string(64, 'b'))));

  options.name_certificate = [](const std::string& sha256) {
    return sha256 == std::string(64, 'a') ? "web-prod version 2" : "";
  };
  findings = EndpointFindings(e, options);
  EXPECT_THAT(Only(findings, "SERVED_NOT_DEPLOYED").evidence,
              HasSubstr("known as web-prod version 2"));
}

TEST(EndpointFindings, TimedOutProbesAreListedOnce) {
  EndpointEvidence e = HealthyEvidence();
  Protocol(e, TlsVersion::kTls1_1).state = ProbeState::kTimedOut;
  Protocol(e, TlsVersion::kTls1_1).detail.clear();
  Class(e, CipherClass::kNull).state = ProbeState::kFailed;
  Class(e, CipherClass::kNull).detail = "connecting: Connection reset";
  e.hsts = HstsEvidence();
  e.hsts.state = ProbeState::kTimedOut;
  e.hsts.detail = "reading the response: no answer";
  std::vector<Finding> findings = EndpointFindings(e, {});
  EXPECT_THAT(findings, Not(Contains(HasId("HSTS_MISSING"))));
  EXPECT_THAT(findings, Not(Contains(HasId("PROTOCOL_TLS1_1"))));
  const Finding& incomplete = Only(findings, "CHECK_INCOMPLETE");
  EXPECT_EQ(incomplete.severity, Severity::kInfo);
  EXPECT_THAT(incomplete.evidence,
              AllOf(HasSubstr("TLSv1.1 (timed out)"),
                    HasSubstr("cipher class NULL (failed: connecting"),
                    HasSubstr("HSTS (timed out"), HasSubstr("10s")));
  EXPECT_THAT(incomplete.remedy, Not(IsEmpty()));
}

}  // namespace
}  // namespace certferry::diagnose
