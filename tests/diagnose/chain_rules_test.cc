#include "diagnose/rules/chain_rules.h"

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "diagnose/finding.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/diagnose/finding_matchers.h"
#include "tests/support/test_pki.h"

namespace certferry::diagnose {
namespace {

using ::certferry::testing::CertSpec;
using ::certferry::testing::MakeCertificate;
using ::certferry::testing::MakeChain;
using ::certferry::testing::TestChain;
using ::certferry::testing::TestDigest;
using ::certferry::testing::TestIdentity;
using ::certferry::testing::TestKeyType;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

constexpr absl::Duration kDay = absl::Hours(24);

TEST(ChainFindings, CorrectChainIsTrustedMatchesAndValid) {
  const TestChain chain = MakeChain();
  const std::vector<Finding> findings =
      ChainFindings({chain.leaf.cert_pem, chain.intermediate.cert_pem},
                    TrustingRootOf(chain, "leaf.example.com"));
  EXPECT_THAT(Ids(findings), ElementsAre("CHAIN_TRUSTED", "HOSTNAME_MATCH",
                                         "CERT_VALIDITY_OK"));
  EXPECT_EQ(WorstSeverity(findings), Severity::kOk);
  EXPECT_THAT(Only(findings, "CHAIN_TRUSTED").evidence,
              AllOf(HasSubstr("certferry test intermediate"),
                    HasSubstr("the given trust bundle")));
}

TEST(ChainFindings, CorrectChainIsTrustedWithTheSystemStoreToo) {
  const TestChain chain = MakeChain();
  ChainRuleOptions options = TrustingRootOf(chain, "leaf.example.com");
  options.use_system_trust = true;
  const std::vector<Finding> findings = ChainFindings(
      {chain.leaf.cert_pem, chain.intermediate.cert_pem}, options);
  EXPECT_THAT(Ids(findings), ElementsAre("CHAIN_TRUSTED", "HOSTNAME_MATCH",
                                         "CERT_VALIDITY_OK"));
}

TEST(ChainFindings, EmptyChainHasNoFindings) {
  EXPECT_THAT(ChainFindings({}, ChainRuleOptions()), IsEmpty());
}

TEST(ChainFindings, UnreadableEntryIsReportedWithItsPosition) {
  const TestChain chain = MakeChain();
  const std::vector<Finding> findings = ChainFindings(
      {chain.leaf.cert_pem, "not a certificate", chain.intermediate.cert_pem},
      TrustingRootOf(chain));
  EXPECT_THAT(findings,
              Contains(IsFinding("CERT_UNREADABLE", Severity::kCritical)));
  EXPECT_THAT(Only(findings, "CERT_UNREADABLE").evidence,
              HasSubstr("certificate 2"));
  EXPECT_THAT(findings, Contains(HasId("CHAIN_TRUSTED")));
}

TEST(ChainFindings, MissingIntermediateIsIncomplete) {
  const TestChain chain = MakeChain();
  const std::vector<Finding> findings =
      ChainFindings({chain.leaf.cert_pem}, TrustingRootOf(chain));
  const Finding& incomplete = Only(findings, "CHAIN_INCOMPLETE");
  EXPECT_EQ(incomplete.severity, Severity::kHigh);
  EXPECT_EQ(incomplete.browser_error, "NET::ERR_CERT_AUTHORITY_INVALID");
  EXPECT_THAT(incomplete.evidence,
              AllOf(HasSubstr("certificate 1"),
                    HasSubstr("certferry test intermediate")));
  EXPECT_THAT(incomplete.remedy, Not(IsEmpty()));
  EXPECT_THAT(Ids(findings), AllOf(Not(Contains("CHAIN_TRUSTED")),
                                   Not(Contains("CHAIN_UNTRUSTED_ISSUER"))));
}

// Clients do not have the trust bundle's intermediate: that it verifies
// here must not hide the gap.
TEST(ChainFindings, IntermediateOnlyInTheTrustBundleIsIncomplete) {
  const TestChain chain = MakeChain();
  ChainRuleOptions options = TrustingRootOf(chain);
  options.extra_trust_pem += chain.intermediate.cert_pem;
  const std::vector<Finding> findings =
      ChainFindings({chain.leaf.cert_pem}, options);
  EXPECT_THAT(findings,
              Contains(IsFinding("CHAIN_INCOMPLETE", Severity::kHigh)));
  EXPECT_THAT(Only(findings, "CHAIN_INCOMPLETE").evidence,
              HasSubstr("the server does not send"));
  EXPECT_THAT(Ids(findings), Not(Contains("CHAIN_TRUSTED")));
}

TEST(ChainFindings, MissingIntermediateWithTheRootSentIsIncomplete) {
  const TestChain chain = MakeChain();
  const std::vector<Finding> findings = ChainFindings(
      {chain.leaf.cert_pem, chain.root.cert_pem}, TrustingRootOf(chain));
  EXPECT_THAT(findings,
              Contains(IsFinding("CHAIN_INCOMPLETE", Severity::kHigh)));
}

TEST(ChainFindings, IssuerFirstIsWrongOrder) {
  const TestChain chain = MakeChain();
  const std::vector<Finding> findings =
      ChainFindings({chain.intermediate.cert_pem, chain.leaf.cert_pem},
                    TrustingRootOf(chain, "leaf.example.com"));
  EXPECT_THAT(findings,
              Contains(IsFinding("CHAIN_WRONG_ORDER", Severity::kMedium)));
  EXPECT_THAT(Only(findings, "CHAIN_WRONG_ORDER").evidence,
              HasSubstr("certificate 2 \"CN=leaf.example.com"));
  // The leaf is still found, so the other rules judge the right certificate.
  EXPECT_THAT(Ids(findings),
              AllOf(Contains("CHAIN_TRUSTED"), Contains("HOSTNAME_MATCH")));
}

TEST(ChainFindings, RootBeforeIntermediateIsWrongOrder) {
  const TestChain chain = MakeChain();
  const std::vector<Finding> findings = ChainFindings(
      {chain.leaf.cert_pem, chain.root.cert_pem, chain.intermediate.cert_pem},
      TrustingRootOf(chain));
  EXPECT_THAT(Ids(findings),
              UnorderedElementsAre("CHAIN_WRONG_ORDER", "CHAIN_ROOT_SENT",
                                   "CHAIN_TRUSTED", "CERT_VALIDITY_OK"));
}

TEST(ChainFindings, UnrelatedCertificateIsNamed) {
  const TestChain chain = MakeChain();
  const TestChain other = MakeChain({"other.example.org"});
  const std::vector<Finding> findings = ChainFindings(
      {chain.leaf.cert_pem, chain.intermediate.cert_pem, other.leaf.cert_pem},
      TrustingRootOf(chain));
  const Finding& unrelated = Only(findings, "CHAIN_UNRELATED_CERT");
  EXPECT_EQ(unrelated.severity, Severity::kLow);
  EXPECT_THAT(unrelated.evidence,
              AllOf(HasSubstr("certificate 3"), HasSubstr("other.example.org"),
                    HasSubstr("SHA-256")));
  EXPECT_THAT(Ids(findings), AllOf(Contains("CHAIN_TRUSTED"),
                                   Not(Contains("CHAIN_WRONG_ORDER"))));
}

TEST(ChainFindings, DuplicateCertificateIsNamed) {
  const TestChain chain = MakeChain();
  const std::vector<Finding> findings =
      ChainFindings({chain.leaf.cert_pem, chain.intermediate.cert_pem,
                     chain.intermediate.cert_pem},
                    TrustingRootOf(chain));
  const Finding& duplicate = Only(findings, "CHAIN_DUPLICATE_CERT");
  EXPECT_EQ(duplicate.severity, Severity::kLow);
  EXPECT_THAT(duplicate.evidence,
              AllOf(HasSubstr("certificate 3"), HasSubstr("certificate 2")));
  EXPECT_THAT(Ids(findings), AllOf(Contains("CHAIN_TRUSTED"),
                                   Not(Contains("CHAIN_UNRELATED_CERT"))));
}

TEST(ChainFindings, RootSentIsOnlyInformational) {
  const TestChain chain = MakeChain();
  const std::vector<Finding> findings = ChainFindings(
      {chain.leaf.cert_pem, chain.intermediate.cert_pem, chain.root.cert_pem},
      TrustingRootOf(chain, "leaf.example.com"));
  EXPECT_THAT(findings,
              Contains(IsFinding("CHAIN_ROOT_SENT", Severity::kInfo)));
  EXPECT_THAT(Only(findings, "CHAIN_ROOT_SENT").evidence,
              HasSubstr("certificate 3 \"CN=certferry test root"));
  EXPECT_EQ(WorstSeverity(findings), Severity::kOk);
}

TEST(ChainFindings, SelfSignedLeafIsSelfSigned) {
  const TestIdentity self_signed = MakeCertificate(CertSpec());
  ChainRuleOptions options;
  options.use_system_trust = true;
  options.expected_domain = "leaf.example.com";
  const std::vector<Finding> findings =
      ChainFindings({self_signed.cert_pem}, options);
  const Finding& finding = Only(findings, "CERT_SELF_SIGNED");
  EXPECT_EQ(finding.severity, Severity::kCritical);
  EXPECT_EQ(finding.browser_error, "NET::ERR_CERT_AUTHORITY_INVALID");
  EXPECT_THAT(Ids(findings), AllOf(Not(Contains("CHAIN_ROOT_SENT")),
                                   Not(Contains("CHAIN_INCOMPLETE")),
                                   Contains("HOSTNAME_MATCH")));
}

TEST(ChainFindings, SelfSignedLeafInTheTrustBundleIsTrusted) {
  const TestIdentity self_signed = MakeCertificate(CertSpec());
  ChainRuleOptions options;
  options.use_system_trust = false;
  options.extra_trust_pem = self_signed.cert_pem;
  EXPECT_THAT(Ids(ChainFindings({self_signed.cert_pem}, options)),
              ElementsAre("CHAIN_TRUSTED", "CERT_VALIDITY_OK"));
}

TEST(ChainFindings, UntrustedRootSentIsUntrustedIssuer) {
  const TestChain chain = MakeChain();
  const TestChain other = MakeChain();
  const std::vector<Finding> findings = ChainFindings(
      {chain.leaf.cert_pem, chain.intermediate.cert_pem, chain.root.cert_pem},
      TrustingRootOf(other));
  const Finding& untrusted = Only(findings, "CHAIN_UNTRUSTED_ISSUER");
  EXPECT_EQ(untrusted.severity, Severity::kCritical);
  EXPECT_EQ(untrusted.browser_error, "NET::ERR_CERT_AUTHORITY_INVALID");
  EXPECT_THAT(untrusted.evidence,
              AllOf(HasSubstr("self-signed root"), HasSubstr("certificate 3")));
  EXPECT_THAT(Ids(findings), Not(Contains("CHAIN_INCOMPLETE")));
}

TEST(ChainFindings, CompleteChainToAnUnknownRootIsUntrustedIssuer) {
  const TestChain chain = MakeChain();
  ChainRuleOptions options;
  options.use_system_trust = true;
  const std::vector<Finding> findings = ChainFindings(
      {chain.leaf.cert_pem, chain.intermediate.cert_pem}, options);
  EXPECT_THAT(findings, Contains(IsFinding("CHAIN_UNTRUSTED_ISSUER",
                                           Severity::kCritical)));
  EXPECT_THAT(
      Only(findings, "CHAIN_UNTRUSTED_ISSUER").evidence,
      AllOf(HasSubstr("certificate 2"), HasSubstr("CN=certferry test root")));
  EXPECT_THAT(Ids(findings), Not(Contains("CHAIN_INCOMPLETE")));
}

TEST(ChainFindings, IntermediateOfTheSameNameButAnotherKeyIsBadSignature) {
  const TestChain chain = MakeChain();
  CertSpec impostor_spec;
  impostor_spec.common_name = "certferry test intermediate";
  impostor_spec.dns_names = {};
  impostor_spec.is_ca = true;
  const TestIdentity impostor = MakeCertificate(impostor_spec, &chain.root);
  const std::vector<Finding> findings = ChainFindings(
      {chain.leaf.cert_pem, impostor.cert_pem}, TrustingRootOf(chain));
  const Finding& invalid = Only(findings, "CHAIN_SIGNATURE_INVALID");
  EXPECT_EQ(invalid.severity, Severity::kCritical);
  EXPECT_THAT(invalid.evidence,
              AllOf(HasSubstr("certificate 1"), HasSubstr("certificate 2")));
  EXPECT_THAT(Ids(findings), AllOf(Not(Contains("CHAIN_INCOMPLETE")),
                                   Not(Contains("CHAIN_UNRELATED_CERT")),
                                   Not(Contains("CHAIN_TRUSTED"))));
}

TEST(ChainFindings, IntermediateThatIsNotACaFailsVerification) {
  const TestChain chain = MakeChain();
  CertSpec not_ca;
  not_ca.common_name = "certferry test not a ca";
  not_ca.dns_names = {};
  const TestIdentity fake_intermediate = MakeCertificate(not_ca, &chain.root);
  const TestIdentity leaf = MakeCertificate(CertSpec(), &fake_intermediate);
  const std::vector<Finding> findings = ChainFindings(
      {leaf.cert_pem, fake_intermediate.cert_pem}, TrustingRootOf(chain));
  EXPECT_THAT(findings,
              Contains(IsFinding("CHAIN_VERIFY_FAILED", Severity::kCritical)));
  EXPECT_THAT(Only(findings, "CHAIN_VERIFY_FAILED").evidence,
              HasSubstr("certferry test not a ca"));
}

TEST(ChainFindings, ExpiredIntermediateIsReported) {
  const absl::Time now = absl::Now();
  const TestChain chain = MakeChain();
  CertSpec intermediate_spec;
  intermediate_spec.common_name = "certferry test old intermediate";
  intermediate_spec.dns_names = {};
  intermediate_spec.is_ca = true;
  intermediate_spec.not_before = now - 400 * kDay;
  intermediate_spec.not_after = now - 10 * kDay;
  const TestIdentity old = MakeCertificate(intermediate_spec, &chain.root);
  const TestIdentity leaf = MakeCertificate(CertSpec(), &old);
  ChainRuleOptions options = TrustingRootOf(chain);
  options.now = now;
  const std::vector<Finding> findings =
      ChainFindings({leaf.cert_pem, old.cert_pem}, options);
  const Finding& expired = Only(findings, "INTERMEDIATE_EXPIRED");
  EXPECT_EQ(expired.severity, Severity::kCritical);
  EXPECT_EQ(expired.browser_error, "NET::ERR_CERT_DATE_INVALID");
  EXPECT_THAT(expired.evidence,
              AllOf(HasSubstr("certificate 2"), HasSubstr("old intermediate"),
                    HasSubstr("10 days ago")));
  // The leaf itself is fine, and the path is otherwise trusted.
  EXPECT_THAT(Ids(findings),
              AllOf(Contains("CHAIN_TRUSTED"), Contains("CERT_VALIDITY_OK")));
}

TEST(ChainFindings, OtherDomainIsHostnameMismatch) {
  const TestChain chain = MakeChain({"leaf.example.com", "www.example.com"});
  const std::vector<Finding> findings =
      ChainFindings({chain.leaf.cert_pem, chain.intermediate.cert_pem},
                    TrustingRootOf(chain, "shop.example.org"));
  const Finding& mismatch = Only(findings, "HOSTNAME_MISMATCH");
  EXPECT_EQ(mismatch.severity, Severity::kCritical);
  EXPECT_EQ(mismatch.browser_error, "NET::ERR_CERT_COMMON_NAME_INVALID");
  EXPECT_THAT(mismatch.evidence,
              AllOf(HasSubstr("shop.example.org"),
                    HasSubstr("DNS:leaf.example.com, DNS:www.example.com")));
}

TEST(NameFindings, WildcardCoversOneLabelOnly) {
  const TestChain chain = MakeChain({"*.example.com"});
  const std::string& leaf = chain.leaf.cert_pem;

  EXPECT_THAT(NameFindings(leaf, "api.example.com"),
              ElementsAre(IsFinding("HOSTNAME_MATCH", Severity::kOk)));
  EXPECT_THAT(NameFindings(leaf, "API.Example.com."),
              ElementsAre(HasId("HOSTNAME_MATCH")));

  const std::vector<Finding> two_labels = NameFindings(leaf, "a.b.example.com");
  ASSERT_THAT(two_labels,
              ElementsAre(IsFinding("HOSTNAME_MISMATCH", Severity::kCritical)));
  EXPECT_THAT(two_labels[0].evidence, HasSubstr("exactly one label"));

  const std::vector<Finding> apex = NameFindings(leaf, "example.com");
  ASSERT_THAT(apex, ElementsAre(HasId("HOSTNAME_MISMATCH")));
  EXPECT_THAT(apex[0].evidence, HasSubstr("does not cover example.com itself"));
}

TEST(NameFindings, IpAddressesMatchIpEntriesOnly) {
  const TestChain chain = MakeChain({"leaf.example.com", "192.0.2.7", "::1"});
  const std::string& leaf = chain.leaf.cert_pem;
  EXPECT_THAT(NameFindings(leaf, "192.0.2.7"),
              ElementsAre(HasId("HOSTNAME_MATCH")));
  EXPECT_THAT(NameFindings(leaf, "0:0:0:0:0:0:0:1"),
              ElementsAre(HasId("HOSTNAME_MATCH")));
  EXPECT_THAT(NameFindings(leaf, "192.0.2.8"),
              ElementsAre(HasId("HOSTNAME_MISMATCH")));
}

TEST(NameFindings, CommonNameWithoutSanIsCnOnly) {
  const TestChain chain = MakeChain();
  CertSpec spec;
  spec.common_name = "legacy.example.com";
  spec.dns_names = {};
  const TestIdentity leaf = MakeCertificate(spec, &chain.intermediate);
  const std::vector<Finding> findings =
      NameFindings(leaf.cert_pem, "legacy.example.com");
  ASSERT_THAT(findings,
              ElementsAre(IsFinding("CERT_CN_ONLY", Severity::kHigh)));
  EXPECT_EQ(findings[0].browser_error, "NET::ERR_CERT_COMMON_NAME_INVALID");
  EXPECT_THAT(findings[0].evidence, HasSubstr("CN=legacy.example.com"));

  EXPECT_THAT(NameFindings(leaf.cert_pem, "other.example.com"),
              ElementsAre(IsFinding("CERT_NO_SAN", Severity::kHigh),
                          IsFinding("HOSTNAME_MISMATCH", Severity::kCritical)));
}

TEST(NameFindings, UnreadableLeaf) {
  EXPECT_THAT(NameFindings("garbage", "example.com"),
              ElementsAre(HasId("CERT_UNREADABLE")));
}

std::vector<Finding> LeafDateFindings(absl::Time now, absl::Time not_before,
                                      absl::Time not_after) {
  const TestChain chain =
      MakeChain({"leaf.example.com"}, not_after, not_before);
  ChainRuleOptions options = TrustingRootOf(chain);
  options.now = now;
  std::vector<Finding> dates;
  for (Finding& finding : ChainFindings(
           {chain.leaf.cert_pem, chain.intermediate.cert_pem}, options)) {
    if (finding.id != "CHAIN_TRUSTED") dates.push_back(std::move(finding));
  }
  return dates;
}

TEST(ChainFindings, ExpiredLeaf) {
  const absl::Time now = absl::Now();
  const std::vector<Finding> findings =
      LeafDateFindings(now, now - 100 * kDay, now - 3 * kDay - absl::Hours(1));
  ASSERT_THAT(findings,
              ElementsAre(IsFinding("CERT_EXPIRED", Severity::kCritical)));
  EXPECT_EQ(findings[0].browser_error, "NET::ERR_CERT_DATE_INVALID");
  EXPECT_THAT(findings[0].evidence, HasSubstr("3 days ago"));
}

TEST(ChainFindings, NotYetValidLeaf) {
  const absl::Time now = absl::Now();
  const std::vector<Finding> findings =
      LeafDateFindings(now, now + 2 * kDay + absl::Hours(1), now + 90 * kDay);
  ASSERT_THAT(findings, ElementsAre(IsFinding("CERT_NOT_YET_VALID",
                                              Severity::kCritical)));
  EXPECT_THAT(findings[0].evidence, HasSubstr("in 2 days"));
}

TEST(ChainFindings, TwentyDaysLeftIsHigh) {
  const absl::Time now = absl::Now();
  const std::vector<Finding> findings = LeafDateFindings(
      now, now - absl::Hours(1), now + 20 * kDay + absl::Hours(1));
  ASSERT_THAT(findings,
              ElementsAre(IsFinding("CERT_EXPIRES_SOON_30", Severity::kHigh)));
  EXPECT_THAT(findings[0].evidence, HasSubstr("20 days left"));
}

TEST(ChainFindings, FortyFiveDaysLeftIsMedium) {
  const absl::Time now = absl::Now();
  const std::vector<Finding> findings = LeafDateFindings(
      now, now - absl::Hours(1), now + 45 * kDay + absl::Hours(1));
  ASSERT_THAT(findings, ElementsAre(IsFinding("CERT_EXPIRES_SOON_60",
                                              Severity::kMedium)));
  EXPECT_THAT(findings[0].evidence, HasSubstr("45 days left"));
}

TEST(ChainFindings, NinetyDaysLeftIsOk) {
  const absl::Time now = absl::Now();
  EXPECT_THAT(LeafDateFindings(now, now - absl::Hours(1),
                               now + 90 * kDay + absl::Hours(1)),
              ElementsAre(IsFinding("CERT_VALIDITY_OK", Severity::kOk)));
}

std::vector<Finding> FindingsForLeaf(const CertSpec& spec) {
  const TestChain chain = MakeChain();
  const TestIdentity leaf = MakeCertificate(spec, &chain.intermediate);
  return ChainFindings({leaf.cert_pem, chain.intermediate.cert_pem},
                       TrustingRootOf(chain));
}

TEST(ChainFindings, Rsa1024LeafKeyIsTooSmall) {
  CertSpec spec;
  spec.key_type = TestKeyType::kRsa1024;
  const std::vector<Finding> findings = FindingsForLeaf(spec);
  const Finding& small = Only(findings, "KEY_TOO_SMALL");
  EXPECT_EQ(small.severity, Severity::kHigh);
  EXPECT_THAT(small.evidence,
              AllOf(HasSubstr("certificate 1"), HasSubstr("RSA 1024-bit")));
}

TEST(ChainFindings, Rsa2048LeafKeyIsFine) {
  CertSpec spec;
  spec.key_type = TestKeyType::kRsa2048;
  EXPECT_THAT(Ids(FindingsForLeaf(spec)),
              ElementsAre("CHAIN_TRUSTED", "CERT_VALIDITY_OK"));
}

TEST(ChainFindings, Sha1SignedLeafIsWeak) {
  CertSpec spec;
  spec.signature_digest = TestDigest::kSha1;
  const std::vector<Finding> findings = FindingsForLeaf(spec);
  const Finding& weak = Only(findings, "SIGNATURE_WEAK");
  EXPECT_EQ(weak.severity, Severity::kHigh);
  EXPECT_EQ(weak.browser_error, "NET::ERR_CERT_WEAK_SIGNATURE_ALGORITHM");
  EXPECT_THAT(weak.evidence,
              AllOf(HasSubstr("certificate 1"), HasSubstr("SHA1")));
}

// Clients use their own copy of a root and ignore its signature.
TEST(ChainFindings, Sha1SignedRootIsNotWeak) {
  CertSpec root_spec;
  root_spec.common_name = "certferry sha1 root";
  root_spec.dns_names = {};
  root_spec.is_ca = true;
  root_spec.signature_digest = TestDigest::kSha1;
  const TestIdentity root = MakeCertificate(root_spec);
  CertSpec intermediate_spec = root_spec;
  intermediate_spec.common_name = "certferry sha256 intermediate";
  intermediate_spec.signature_digest = TestDigest::kSha256;
  const TestIdentity intermediate = MakeCertificate(intermediate_spec, &root);
  const TestIdentity leaf = MakeCertificate(CertSpec(), &intermediate);
  ChainRuleOptions options;
  options.use_system_trust = false;
  options.extra_trust_pem = root.cert_pem;
  EXPECT_THAT(
      Ids(ChainFindings({leaf.cert_pem, intermediate.cert_pem, root.cert_pem},
                        options)),
      ElementsAre("CHAIN_ROOT_SENT", "CHAIN_TRUSTED", "CERT_VALIDITY_OK"));
}

TEST(ChainFindings, ClientAuthOnlyLeafLacksServerAuth) {
  CertSpec spec;
  spec.extended_key_usage = "clientAuth";
  const std::vector<Finding> findings = FindingsForLeaf(spec);
  const Finding& eku = Only(findings, "EKU_SERVER_AUTH_MISSING");
  EXPECT_EQ(eku.severity, Severity::kHigh);
  EXPECT_THAT(eku.evidence, HasSubstr("allows only: clientAuth"));
}

TEST(ChainFindings, LeafWithoutExtendedKeyUsageIsFine) {
  CertSpec spec;
  spec.extended_key_usage = "";
  EXPECT_THAT(Ids(FindingsForLeaf(spec)),
              ElementsAre("CHAIN_TRUSTED", "CERT_VALIDITY_OK"));
}

TEST(ChainFindings, Version1LeafIsNotV3) {
  CertSpec spec;
  spec.x509_version = 1;
  const std::vector<Finding> findings = FindingsForLeaf(spec);
  const Finding& v1 = Only(findings, "CERT_NOT_V3");
  EXPECT_EQ(v1.severity, Severity::kHigh);
  EXPECT_THAT(v1.evidence, HasSubstr("X.509 v1"));
}

TEST(LeafPosition, FirstNonCaWhenACaComesFirst) {
  pki::CertificateInfo ca;
  ca.is_ca = true;
  pki::CertificateInfo leaf;
  EXPECT_EQ(LeafPosition({}), 0u);
  EXPECT_EQ(LeafPosition({leaf, ca}), 0u);
  EXPECT_EQ(LeafPosition({ca, ca, leaf}), 2u);
  EXPECT_EQ(LeafPosition({ca}), 0u);
}

}  // namespace
}  // namespace certferry::diagnose
