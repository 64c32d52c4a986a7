#include "diagnose/bundle/bundle_diagnosis.h"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "common/secret_string.h"
#include "diagnose/finding.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/diagnose/finding_matchers.h"
#include "tests/support/test_pki.h"

namespace certferry::diagnose {
namespace {

using ::certferry::testing::EncryptPrivateKeyPem;
using ::certferry::testing::GenerateTestKey;
using ::certferry::testing::MakeChain;
using ::certferry::testing::PrivateKeyDer;
using ::certferry::testing::TestChain;
using ::certferry::testing::TraditionalPrivateKeyPem;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

// No line of the key's base64 body may appear in any finding.
void ExpectNoKeyMaterial(const std::vector<Finding>& findings,
                         const std::string& key_pem) {
  for (absl::string_view line : absl::StrSplit(key_pem, '\n')) {
    if (line.empty() || line.front() == '-') continue;
    for (const Finding& finding : findings) {
      EXPECT_THAT(finding.evidence, Not(HasSubstr(std::string(line))))
          << finding.id;
    }
  }
}

TEST(DiagnoseBundle, CorrectBundleHasNothingAboveOk) {
  const TestChain chain = MakeChain({"leaf.example.com", "www.example.com"});
  const std::vector<Finding> findings = DiagnoseBundle(
      chain.fullchain_pem(), SecretString(chain.leaf.key.private_key_pem),
      {"leaf.example.com", "www.example.com"}, TrustingRootOf(chain));
  EXPECT_THAT(Ids(findings),
              UnorderedElementsAre("CHAIN_TRUSTED", "CERT_VALIDITY_OK",
                                   "HOSTNAME_MATCH", "HOSTNAME_MATCH"));
  EXPECT_EQ(WorstSeverity(findings), Severity::kOk);
}

TEST(DiagnoseBundle, NamesAreCheckedForEachDomain) {
  const TestChain chain = MakeChain();
  const std::vector<Finding> findings = DiagnoseBundle(
      chain.fullchain_pem(), SecretString(chain.leaf.key.private_key_pem),
      {"leaf.example.com", "shop.example.com"}, TrustingRootOf(chain));
  EXPECT_THAT(findings, Contains(HasId("HOSTNAME_MATCH")));
  EXPECT_THAT(Only(findings, "HOSTNAME_MISMATCH").evidence,
              HasSubstr("shop.example.com"));
}

TEST(DiagnoseBundle, DerChainIsNamedAndStillDiagnosed) {
  const TestChain chain = MakeChain();
  const std::vector<Finding> findings =
      DiagnoseBundle(chain.leaf.cert_der + chain.intermediate.cert_der,
                     SecretString(chain.leaf.key.private_key_pem),
                     {"leaf.example.com"}, TrustingRootOf(chain));
  const Finding& der = Only(findings, "DER_NOT_PEM");
  EXPECT_EQ(der.severity, Severity::kHigh);
  EXPECT_THAT(der.evidence,
              AllOf(HasSubstr("chain"), HasSubstr("2 certificates")));
  EXPECT_THAT(Ids(findings),
              AllOf(Contains("CHAIN_TRUSTED"), Contains("HOSTNAME_MATCH"),
                    Not(Contains("KEY_MISMATCH"))));
}

TEST(DiagnoseBundle, DerKeyIsNamedAndStillMatched) {
  const TestChain chain = MakeChain();
  const std::vector<Finding> findings = DiagnoseBundle(
      chain.fullchain_pem(),
      SecretString(PrivateKeyDer(chain.leaf.key.private_key_pem)), {},
      TrustingRootOf(chain));
  EXPECT_THAT(Only(findings, "DER_NOT_PEM").evidence, HasSubstr("private key"));
  EXPECT_THAT(Ids(findings), Not(Contains("KEY_MISMATCH")));
}

TEST(DiagnoseBundle, LeafAfterItsIssuerIsWrongOrderAndCritical) {
  const TestChain chain = MakeChain();
  const std::vector<Finding> findings =
      DiagnoseBundle(chain.intermediate.cert_pem + chain.leaf.cert_pem,
                     SecretString(chain.leaf.key.private_key_pem),
                     {"leaf.example.com"}, TrustingRootOf(chain));
  const Finding& order = Only(findings, "PEM_ORDER_WRONG");
  EXPECT_EQ(order.severity, Severity::kCritical);
  EXPECT_THAT(order.evidence,
              HasSubstr("the private key belongs to certificate 2"));
  EXPECT_THAT(Ids(findings),
              AllOf(Not(Contains("CHAIN_WRONG_ORDER")),
                    Not(Contains("KEY_MISMATCH")), Contains("HOSTNAME_MATCH")));
}

TEST(DiagnoseBundle, CaCertificateFirstIsCriticalWithoutAKeyToo) {
  const TestChain chain = MakeChain();
  const std::vector<Finding> findings =
      DiagnoseBundle(chain.intermediate.cert_pem + chain.leaf.cert_pem,
                     SecretString(""), {}, TrustingRootOf(chain));
  EXPECT_THAT(findings,
              Contains(IsFinding("PEM_ORDER_WRONG", Severity::kCritical)));
}

TEST(DiagnoseBundle, IntermediatesOutOfOrderIsWrongOrder) {
  const TestChain chain = MakeChain();
  const std::vector<Finding> findings = DiagnoseBundle(
      chain.leaf.cert_pem + chain.root.cert_pem + chain.intermediate.cert_pem,
      SecretString(chain.leaf.key.private_key_pem), {}, TrustingRootOf(chain));
  EXPECT_THAT(findings,
              Contains(IsFinding("PEM_ORDER_WRONG", Severity::kMedium)));
  EXPECT_THAT(Ids(findings), Not(Contains("CHAIN_WRONG_ORDER")));
}

TEST(DiagnoseBundle, KeyOfAnotherCertificateIsMismatch) {
  const TestChain chain = MakeChain();
  const std::string other_key = GenerateTestKey().private_key_pem;
  const std::vector<Finding> findings =
      DiagnoseBundle(chain.fullchain_pem(), SecretString(other_key), {},
                     TrustingRootOf(chain));
  const Finding& mismatch = Only(findings, "KEY_MISMATCH");
  EXPECT_EQ(mismatch.severity, Severity::kCritical);
  EXPECT_THAT(mismatch.evidence,
              AllOf(HasSubstr("SubjectPublicKeyInfo"),
                    HasSubstr("certificate 1 \"CN=leaf.example.com")));
  ExpectNoKeyMaterial(findings, other_key);
}

TEST(DiagnoseBundle, EncryptedKeyIsReportedNotMismatched) {
  const TestChain chain = MakeChain();
  // PKCS#8 ("BEGIN ENCRYPTED PRIVATE KEY") and the traditional form with
  // a "Proc-Type: 4,ENCRYPTED" header.
  for (const std::string& key :
       {EncryptPrivateKeyPem(chain.leaf.key.private_key_pem, "secret"),
        TraditionalPrivateKeyPem(chain.leaf.key.private_key_pem, "secret")}) {
    const std::vector<Finding> findings = DiagnoseBundle(
        chain.fullchain_pem(), SecretString(key), {}, TrustingRootOf(chain));
    EXPECT_THAT(findings, Contains(IsFinding("KEY_ENCRYPTED", Severity::kHigh)))
        << key.substr(0, 60);
    EXPECT_THAT(Ids(findings), AllOf(Not(Contains("KEY_MISMATCH")),
                                     Not(Contains("KEY_MISSING"))));
    ExpectNoKeyMaterial(findings, key);
  }
}

TEST(DiagnoseBundle, MissingKey) {
  const TestChain chain = MakeChain();
  const std::vector<Finding> findings = DiagnoseBundle(
      chain.fullchain_pem(), SecretString(""), {}, TrustingRootOf(chain));
  EXPECT_THAT(findings,
              Contains(IsFinding("KEY_MISSING", Severity::kCritical)));
}

TEST(DiagnoseBundle, CertificateInsteadOfKeyIsMissingKey) {
  const TestChain chain = MakeChain();
  const std::vector<Finding> findings =
      DiagnoseBundle(chain.fullchain_pem(), SecretString(chain.leaf.cert_pem),
                     {}, TrustingRootOf(chain));
  EXPECT_THAT(Only(findings, "KEY_MISSING").evidence,
              HasSubstr("a certificate, not a private key"));
  EXPECT_THAT(Only(DiagnoseBundle(chain.fullchain_pem(),
                                  SecretString(chain.leaf.cert_der), {},
                                  TrustingRootOf(chain)),
                   "KEY_MISSING")
                  .evidence,
              HasSubstr("a certificate, not a private key"));
}

TEST(DiagnoseBundle, UnreadableChainSaysWhatItHolds) {
  const TestChain chain = MakeChain();
  const SecretString key(chain.leaf.key.private_key_pem);
  EXPECT_THAT(Only(DiagnoseBundle("", key, {}, TrustingRootOf(chain)),
                   "CERT_UNREADABLE")
                  .evidence,
              HasSubstr("empty"));
  const std::vector<Finding> findings = DiagnoseBundle(
      chain.leaf.key.private_key_pem, key, {}, TrustingRootOf(chain));
  EXPECT_THAT(findings,
              Contains(IsFinding("CERT_UNREADABLE", Severity::kCritical)));
  EXPECT_THAT(Only(findings, "CERT_UNREADABLE").evidence,
              HasSubstr("private key"));
  ExpectNoKeyMaterial(findings, chain.leaf.key.private_key_pem);
}

TEST(DiagnoseBundle, Version1CertificateIsNotV3) {
  const TestChain chain = MakeChain();
  certferry::testing::CertSpec spec;
  spec.x509_version = 1;
  const auto leaf =
      certferry::testing::MakeCertificate(spec, &chain.intermediate);
  const std::vector<Finding> findings = DiagnoseBundle(
      leaf.cert_pem + chain.intermediate.cert_pem,
      SecretString(leaf.key.private_key_pem), {}, TrustingRootOf(chain));
  EXPECT_THAT(findings, Contains(IsFinding("CERT_NOT_V3", Severity::kHigh)));
}

class BundleFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "bundle_files_XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    files_.directory = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(files_.directory); }

  void Write(const std::string& name, const std::string& content, mode_t mode) {
    const std::string path = files_.directory + "/" + name;
    std::ofstream(path, std::ios::binary) << content;
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
  }

  std::vector<Finding> Diagnose() {
    return DiagnoseBundleFiles(files_, {"leaf.example.com"},
                               TrustingRootOf(chain_));
  }

  TestChain chain_ = MakeChain();
  BundleFiles files_;
};

TEST_F(BundleFilesTest, WellDeployedFilesHaveNothingAboveOk) {
  Write("fullchain.pem", chain_.fullchain_pem(), 0644);
  Write("privkey.pem", chain_.leaf.key.private_key_pem, 0600);
  const std::vector<Finding> findings = Diagnose();
  EXPECT_EQ(WorstSeverity(findings), Severity::kOk)
      << ::testing::PrintToString(Ids(findings));
}

TEST_F(BundleFilesTest, GroupReadableKeyIsAccepted) {
  Write("fullchain.pem", chain_.fullchain_pem(), 0644);
  Write("privkey.pem", chain_.leaf.key.private_key_pem, 0640);
  EXPECT_THAT(Ids(Diagnose()), Not(Contains("KEY_FILE_TOO_OPEN")));
}

TEST_F(BundleFilesTest, WorldReadableKeyIsTooOpen) {
  Write("fullchain.pem", chain_.fullchain_pem(), 0644);
  Write("privkey.pem", chain_.leaf.key.private_key_pem, 0644);
  const std::vector<Finding> findings = Diagnose();
  const Finding& open = Only(findings, "KEY_FILE_TOO_OPEN");
  EXPECT_EQ(open.severity, Severity::kHigh);
  EXPECT_THAT(open.evidence, AllOf(HasSubstr("privkey.pem has mode 0644"),
                                   HasSubstr("other users")));
  ExpectNoKeyMaterial(findings, chain_.leaf.key.private_key_pem);
}

TEST_F(BundleFilesTest, MissingChainFileIsReportedOnce) {
  Write("privkey.pem", chain_.leaf.key.private_key_pem, 0600);
  const std::vector<Finding> findings = Diagnose();
  EXPECT_THAT(Ids(findings), UnorderedElementsAre("FILE_MISSING"));
  EXPECT_EQ(findings[0].severity, Severity::kCritical);
  EXPECT_THAT(findings[0].evidence, HasSubstr("fullchain.pem does not exist"));
}

TEST_F(BundleFilesTest, CustomFileNamesAreRead) {
  files_.chain_file = "site.crt";
  files_.key_file = "site.key";
  Write("site.crt", chain_.fullchain_pem(), 0644);
  Write("site.key", GenerateTestKey().private_key_pem, 0600);
  EXPECT_THAT(Ids(Diagnose()), Contains("KEY_MISMATCH"));
}

TEST_F(BundleFilesTest, DirectoryInPlaceOfKeyIsUnreadable) {
  Write("fullchain.pem", chain_.fullchain_pem(), 0644);
  std::filesystem::create_directory(files_.directory + "/privkey.pem");
  const std::vector<Finding> findings = Diagnose();
  EXPECT_THAT(Only(findings, "FILE_UNREADABLE").evidence,
              HasSubstr("directory"));
  EXPECT_THAT(Ids(findings),
              AllOf(Not(Contains("KEY_MISSING")), Contains("CHAIN_TRUSTED")));
}

TEST_F(BundleFilesTest, MissingDirectory) {
  files_.directory += "/nonexistent";
  EXPECT_THAT(Diagnose(), UnorderedElementsAre(
                              IsFinding("FILE_MISSING", Severity::kCritical)));
}

}  // namespace
}  // namespace certferry::diagnose
