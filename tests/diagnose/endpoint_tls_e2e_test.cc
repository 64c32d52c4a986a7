// The endpoint probes and rules against Debian's nginx on 127.0.0.1, one
// configuration per fault: legacy protocol versions, TLS 1.3 only, weak
// cipher classes, HSTS, OCSP stapling, and a leaf other than the deployed
// one; and a correctly configured server that yields nothing above LOW.

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "diagnose/probe/endpoint_probe.h"
#include "diagnose/rules/endpoint_rules.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pki/digest.h"
#include "tests/diagnose/finding_matchers.h"
#include "tests/diagnose/nginx_endpoint_fixture.h"
#include "tests/support/test_pki.h"

namespace certferry::diagnose {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;

constexpr char kModernServer[] =
    "ssl_protocols TLSv1.2 TLSv1.3;\n"
    "ssl_ciphers ECDHE+AESGCM:ECDHE+CHACHA20;\n";
constexpr char kLongHsts[] =
    "add_header Strict-Transport-Security "
    "\"max-age=31536000; includeSubDomains\" always;\n";

// What Debian 12's OpenSSL 3.0 cannot offer as a client; the probes find
// this out at run time and say so in INFO findings.
std::vector<Finding> WithoutUntestable(std::vector<Finding> findings) {
  std::erase_if(findings, [](const Finding& f) {
    return f.id == "PROTOCOL_UNTESTABLE" || f.id == "CIPHER_CLASS_UNTESTABLE";
  });
  return findings;
}

class EndpointTlsTest : public NginxEndpointTest {
 protected:
  EndpointEvidence Collect() {
    EndpointProbeRequest request;
    request.host = "127.0.0.1";
    request.port = nginx_->port();
    request.sni = "leaf.example.com";
    request.timeout = absl::Seconds(20);
    auto evidence = CollectEndpointEvidence(request);
    EXPECT_TRUE(evidence.ok()) << evidence.status();
    return evidence.ok() ? *std::move(evidence) : EndpointEvidence{};
  }
};

TEST_F(EndpointTlsTest, CorrectServerHasNothingAboveLow) {
  ASSERT_NO_FATAL_FAILURE(Serve(absl::StrCat(kModernServer, kLongHsts)));
  EndpointEvidence evidence = Collect();

  EXPECT_EQ(evidence.handshake.protocol, "TLSv1.3");
  ASSERT_THAT(evidence.handshake.chain, SizeIs(2));
  const std::string leaf_sha256 = pki::Sha256Hex(chain_.leaf.cert_der);
  EXPECT_EQ(evidence.handshake.chain[0].sha256, leaf_sha256);
  EXPECT_EQ(evidence.handshake.chain[0].pem, chain_.leaf.cert_pem);
  EXPECT_EQ(evidence.handshake.chain[1].pem, chain_.intermediate.cert_pem);
  EXPECT_THAT(evidence.handshake.chain[0].dns_names,
              ElementsAre("leaf.example.com"));
  EXPECT_THAT(evidence.handshake.chain[0].subject,
              HasSubstr("CN=leaf.example.com"));
  EXPECT_LT(evidence.handshake.chain[0].not_before, absl::Now());
  EXPECT_GT(evidence.handshake.chain[0].not_after, absl::Now());
  EXPECT_THAT(evidence.hsts.max_age, ::testing::Optional(absl::Hours(8760)));
  EXPECT_TRUE(evidence.hsts.include_subdomains);

  EndpointRuleOptions options;
  options.expected_leaf_sha256 = leaf_sha256;
  std::vector<Finding> findings = EndpointFindings(evidence, options);
  EXPECT_THAT(findings,
              ElementsAre(IsFinding("DNS_RESOLVED", Severity::kInfo),
                          IsFinding("PORT_REACHABLE", Severity::kOk),
                          IsFinding("SERVED_AS_DEPLOYED", Severity::kOk),
                          IsFinding("OCSP_STAPLING_MISSING", Severity::kLow),
                          // Debian 12's OpenSSL: no SSLv3, EXPORT, RC4 or 3DES.
                          IsFinding("PROTOCOL_UNTESTABLE", Severity::kInfo),
                          IsFinding("CIPHER_CLASS_UNTESTABLE", Severity::kInfo),
                          IsFinding("HSTS_PRESENT", Severity::kOk)));
  EXPECT_LE(WorstSeverity(findings), Severity::kLow);
  EXPECT_THAT(Only(findings, "PROTOCOL_UNTESTABLE").evidence,
              HasSubstr("SSLv3"));
  EXPECT_THAT(Only(findings, "CIPHER_CLASS_UNTESTABLE").evidence,
              HasSubstr("EXPORT, RC4, 3DES"));
  // Everything ran well within the deadline.
  EXPECT_LT(evidence.elapsed, absl::Seconds(5));
}

TEST_F(EndpointTlsTest, Tls10And11AreReported) {
  ASSERT_NO_FATAL_FAILURE(
      Serve("ssl_protocols TLSv1 TLSv1.1 TLSv1.2;\n"
            // OpenSSL 3 refuses TLS 1.0/1.1 above security level 0.
            "ssl_ciphers DEFAULT:@SECLEVEL=0;\n"));
  EndpointEvidence evidence = Collect();
  EXPECT_EQ(evidence.handshake.protocol, "TLSv1.2");
  EXPECT_THAT(WithoutUntestable(EndpointFindings(evidence, {})),
              ElementsAre(IsFinding("DNS_RESOLVED", Severity::kInfo),
                          IsFinding("PORT_REACHABLE", Severity::kOk),
                          IsFinding("OCSP_STAPLING_MISSING", Severity::kLow),
                          IsFinding("PROTOCOL_TLS1_0", Severity::kMedium),
                          IsFinding("PROTOCOL_TLS1_1", Severity::kMedium),
                          IsFinding("PROTOCOL_TLS1_3_MISSING", Severity::kLow),
                          IsFinding("HSTS_MISSING", Severity::kLow)));
}

TEST_F(EndpointTlsTest, OnlyLegacyVersionsMissModernOnes) {
  ASSERT_NO_FATAL_FAILURE(Serve(
      "ssl_protocols TLSv1 TLSv1.1;\nssl_ciphers DEFAULT:@SECLEVEL=0;\n"));
  EndpointEvidence evidence = Collect();
  EXPECT_EQ(evidence.handshake.protocol, "TLSv1.1");
  std::vector<Finding> findings =
      WithoutUntestable(EndpointFindings(evidence, {}));
  EXPECT_THAT(findings,
              ElementsAre(IsFinding("DNS_RESOLVED", Severity::kInfo),
                          IsFinding("PORT_REACHABLE", Severity::kOk),
                          IsFinding("OCSP_STAPLING_MISSING", Severity::kLow),
                          IsFinding("PROTOCOL_TLS1_0", Severity::kMedium),
                          IsFinding("PROTOCOL_TLS1_1", Severity::kMedium),
                          IsFinding("PROTOCOL_MODERN_MISSING", Severity::kHigh),
                          IsFinding("HSTS_MISSING", Severity::kLow)));
  EXPECT_EQ(Only(findings, "PROTOCOL_MODERN_MISSING").browser_error,
            "NET::ERR_SSL_VERSION_OR_CIPHER_MISMATCH");
}

TEST_F(EndpointTlsTest, Tls13OnlyMissesTls12) {
  ASSERT_NO_FATAL_FAILURE(
      Serve(absl::StrCat("ssl_protocols TLSv1.3;\n", kLongHsts)));
  EndpointEvidence evidence = Collect();
  std::vector<Finding> findings =
      WithoutUntestable(EndpointFindings(evidence, {}));
  EXPECT_THAT(
      findings,
      ElementsAre(IsFinding("DNS_RESOLVED", Severity::kInfo),
                  IsFinding("PORT_REACHABLE", Severity::kOk),
                  IsFinding("OCSP_STAPLING_MISSING", Severity::kLow),
                  IsFinding("PROTOCOL_TLS1_2_MISSING", Severity::kMedium),
                  IsFinding("HSTS_PRESENT", Severity::kOk)));
  EXPECT_THAT(Only(findings, "PROTOCOL_TLS1_2_MISSING").evidence,
              HasSubstr("offering only TLSv1.2 was refused"));
}

TEST_F(EndpointTlsTest, NullAnonymousAndRsaKeyExchangeSuitesAreReported) {
  // RSA key exchange needs an RSA certificate.
  testing::CertSpec spec;
  spec.key_type = testing::TestKeyType::kRsa2048;
  testing::TestIdentity rsa_leaf =
      testing::MakeCertificate(spec, &chain_.intermediate);
  ASSERT_NO_FATAL_FAILURE(
      Serve(rsa_leaf.cert_pem + chain_.intermediate.cert_pem,
            rsa_leaf.key.private_key_pem,
            absl::StrCat("ssl_protocols TLSv1.2 TLSv1.3;\n"
                         "ssl_ciphers eNULL:aNULL:kRSA:@SECLEVEL=0;\n",
                         kLongHsts)));
  std::vector<Finding> findings =
      WithoutUntestable(EndpointFindings(Collect(), {}));
  EXPECT_THAT(
      findings,
      ElementsAre(IsFinding("DNS_RESOLVED", Severity::kInfo),
                  IsFinding("PORT_REACHABLE", Severity::kOk),
                  IsFinding("OCSP_STAPLING_MISSING", Severity::kLow),
                  IsFinding("WEAK_CIPHER", Severity::kCritical),  // NULL
                  IsFinding("WEAK_CIPHER", Severity::kCritical),  // anonymous
                  IsFinding("CIPHER_NO_FORWARD_SECRECY", Severity::kLow),
                  IsFinding("HSTS_PRESENT", Severity::kOk)));
  EXPECT_THAT(findings[3].evidence, AllOf(HasSubstr("NULL suites accepted: "),
                                          HasSubstr("NULL-SHA256")));
  EXPECT_THAT(
      findings[4].evidence,
      AllOf(HasSubstr("anonymous suites accepted: "), HasSubstr("AECDH-")));
  EXPECT_THAT(findings[5].evidence,
              AllOf(HasSubstr("RSA key exchange suites accepted: "),
                    HasSubstr("AES256-GCM-SHA384")));
}

TEST_F(EndpointTlsTest, ShortHstsMaxAge) {
  ASSERT_NO_FATAL_FAILURE(Serve(absl::StrCat(
      kModernServer,
      "add_header Strict-Transport-Security \"max-age=600\" always;\n")));
  std::vector<Finding> findings = EndpointFindings(Collect(), {});
  const Finding& hsts = Only(findings, "HSTS_MAX_AGE_SHORT");
  EXPECT_EQ(hsts.severity, Severity::kLow);
  EXPECT_THAT(hsts.evidence, HasSubstr("max-age=600"));
  EXPECT_THAT(findings, Not(Contains(HasId("HSTS_PRESENT"))));
}

TEST_F(EndpointTlsTest, MissingHsts) {
  ASSERT_NO_FATAL_FAILURE(Serve(kModernServer));
  std::vector<Finding> findings = EndpointFindings(Collect(), {});
  const Finding& hsts = Only(findings, "HSTS_MISSING");
  EXPECT_EQ(hsts.severity, Severity::kLow);
  EXPECT_THAT(hsts.evidence, HasSubstr("GET / answered 200"));
}

TEST_F(EndpointTlsTest, StapledOcspResponse) {
  const std::string ocsp =
      testing::MakeOcspResponseDer(chain_.leaf, chain_.intermediate);
  ASSERT_NO_FATAL_FAILURE(WriteFile("ocsp.der", ocsp));
  ASSERT_NO_FATAL_FAILURE(Serve(absl::StrCat(
      kModernServer, kLongHsts, "ssl_stapling on;\nssl_stapling_file ", dir_,
      "/ocsp.der;\n")));
  EndpointEvidence evidence = Collect();
  EXPECT_TRUE(evidence.handshake.ocsp_stapled);
  EXPECT_EQ(evidence.handshake.ocsp_response_bytes, ocsp.size());
  std::vector<Finding> findings = EndpointFindings(evidence, {});
  EXPECT_THAT(findings, Not(Contains(HasId("OCSP_STAPLING_MISSING"))));
  ASSERT_THAT(findings, Contains(HasId("OCSP_STAPLED")));
  EXPECT_EQ(Only(findings, "OCSP_STAPLED").severity, Severity::kOk);
}

TEST_F(EndpointTlsTest, ServedLeafIsNotTheDeployedOne) {
  ASSERT_NO_FATAL_FAILURE(Serve(absl::StrCat(kModernServer, kLongHsts)));
  const testing::TestChain deployed = testing::MakeChain({"leaf.example.com"});
  const std::string served_sha256 = pki::Sha256Hex(chain_.leaf.cert_der);
  const std::string deployed_sha256 = pki::Sha256Hex(deployed.leaf.cert_der);
  EndpointRuleOptions options;
  options.expected_leaf_sha256 = deployed_sha256;
  options.name_certificate = [&](const std::string& sha256) {
    return sha256 == served_sha256 ? std::string("web version 1") : "";
  };
  std::vector<Finding> findings = EndpointFindings(Collect(), options);
  EXPECT_THAT(findings, Not(Contains(HasId("SERVED_AS_DEPLOYED"))));
  const Finding& served = Only(findings, "SERVED_NOT_DEPLOYED");
  EXPECT_EQ(served.severity, Severity::kHigh);
  EXPECT_THAT(served.evidence,
              AllOf(HasSubstr("served leaf sha256 " + served_sha256),
                    HasSubstr("CN=leaf.example.com"),
                    HasSubstr("known as web version 1"),
                    HasSubstr("expected sha256 " + deployed_sha256)));
}

}  // namespace
}  // namespace certferry::diagnose
