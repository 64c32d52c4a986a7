#include "pki/certificate_bundle.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_pki.h"

namespace certferry::pki {
namespace {

using ::certferry::testing::CertSpec;
using ::certferry::testing::EncryptPrivateKeyPem;
using ::certferry::testing::GenerateTestKey;
using ::certferry::testing::IsOk;
using ::certferry::testing::MakeCertificate;
using ::certferry::testing::MakeChain;
using ::certferry::testing::StatusIs;
using ::certferry::testing::TestChain;
using ::certferry::testing::TestIdentity;
using ::certferry::testing::TestKeyType;
using ::certferry::testing::TraditionalPrivateKeyPem;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;
constexpr absl::StatusCode kPrecondition =
    absl::StatusCode::kFailedPrecondition;

BundleValidationOptions Options() {
  BundleValidationOptions options;
  options.now = absl::Now();
  return options;
}

absl::StatusOr<CertificateBundle> Parse(
    const std::string& chain, const std::string& key,
    const BundleValidationOptions& options = Options()) {
  return ParseCertificateBundle(chain, SecretString(key), options);
}

// The certificate's notBefore/notAfter as stored: whole seconds.
absl::Time Truncated(absl::Time t) { return absl::FromTimeT(absl::ToTimeT(t)); }

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

std::string Sha256Hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EXPECT_EQ(
      EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr),
      1);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), len));
}

std::string KeyToDer(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  EXPECT_NE(key, nullptr);
  unsigned char* der = nullptr;
  const int len = i2d_PrivateKey(key, &der);
  EVP_PKEY_free(key);
  EXPECT_GT(len, 0);
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

// Traditional PEM with "Proc-Type: 4,ENCRYPTED" (`openssl ec -aes128`).
std::string TraditionalEncryptedKeyPem(const std::string& pem) {
  BIO* in = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(in, nullptr, nullptr, nullptr);
  BIO_free(in);
  EXPECT_NE(key, nullptr);
  BIO* out = BIO_new(BIO_s_mem());
  static const char kPass[] = "hunter22";
  EXPECT_EQ(PEM_write_bio_PrivateKey_traditional(
                out, key, EVP_aes_128_cbc(),
                reinterpret_cast<const unsigned char*>(kPass),
                sizeof(kPass) - 1, nullptr, nullptr),
            1);
  char* data = nullptr;
  const long len = BIO_get_mem_data(out, &data);
  std::string result(data, static_cast<size_t>(len));
  BIO_free(out);
  EVP_PKEY_free(key);
  return result;
}

// The base64 lines of a PEM text (everything but BEGIN/END/header lines).
std::vector<std::string> BodyLines(const std::string& pem) {
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(pem, '\n')) {
    if (line.size() < 8 || absl::StrContains(line, "-----") ||
        absl::StrContains(line, ":")) {
      continue;
    }
    lines.emplace_back(line);
  }
  return lines;
}

// Fails the test if `status`'s message holds any line of `key_pem`'s body.
void ExpectNoKeyMaterial(const absl::Status& status,
                         const std::string& key_pem) {
  const std::vector<std::string> lines = BodyLines(key_pem);
  ASSERT_THAT(lines, Not(IsEmpty()));
  for (const std::string& line : lines) {
    EXPECT_THAT(std::string(status.message()), Not(HasSubstr(line)))
        << "error message leaks private key material";
  }
}

std::string WithoutLastLine(const std::string& pem) {
  std::string trimmed = pem;
  if (!trimmed.empty() && trimmed.back() == '\n') trimmed.pop_back();
  return trimmed.substr(0, trimmed.rfind('\n') + 1);
}

// Removes body line `index` (0-based among all lines) from a PEM text.
std::string WithoutLine(const std::string& pem, size_t index) {
  std::vector<std::string> lines = absl::StrSplit(pem, '\n');
  lines.erase(lines.begin() + static_cast<long>(index));
  return absl::StrJoin(lines, "\n");
}

TEST(ParseCertificateBundle, AcceptsEcdsaFullchainAndDescribesEachCertificate) {
  const absl::Time not_before = absl::Now() - absl::Hours(2);
  const absl::Time not_after = absl::Now() + absl::Hours(24 * 30);
  const TestChain chain =
      MakeChain({"leaf.example.com", "WWW.Example.com"}, not_after, not_before);

  const absl::StatusOr<CertificateBundle> bundle =
      Parse(chain.fullchain_pem(), chain.leaf.key.private_key_pem);

  ASSERT_THAT(bundle, IsOk());
  ASSERT_EQ(bundle->chain.size(), 2u);
  const CertificateInfo& leaf = bundle->chain[0];
  EXPECT_EQ(leaf.sha256_fingerprint, Sha256Hex(chain.leaf.cert_der));
  EXPECT_EQ(bundle->chain[1].sha256_fingerprint,
            Sha256Hex(chain.intermediate.cert_der));
  EXPECT_THAT(leaf.dns_names,
              ElementsAre("leaf.example.com", "www.example.com"));
  EXPECT_THAT(leaf.ip_addresses, IsEmpty());
  EXPECT_LE(absl::AbsDuration(leaf.not_before - not_before), absl::Seconds(1));
  EXPECT_LE(absl::AbsDuration(leaf.not_after - not_after), absl::Seconds(1));
  EXPECT_EQ(leaf.key_type, "ECDSA");
  EXPECT_EQ(leaf.key_bits, 256);
  EXPECT_EQ(leaf.curve, "P-256");
  EXPECT_EQ(leaf.version, 3);
  EXPECT_FALSE(leaf.is_ca);
  EXPECT_FALSE(leaf.self_signed);
  EXPECT_EQ(leaf.subject, "CN=leaf.example.com,O=certferry test");
  EXPECT_EQ(leaf.issuer, "CN=certferry test intermediate,O=certferry test");
  EXPECT_EQ(leaf.issuer, bundle->chain[1].subject);
  EXPECT_EQ(leaf.pem, chain.leaf.cert_pem);
  EXPECT_THAT(leaf.serial_hex, Not(IsEmpty()));
  EXPECT_TRUE(bundle->chain[1].is_ca);
  EXPECT_EQ(bundle->chain_pem, chain.fullchain_pem());
  EXPECT_EQ(bundle->private_key_pem.Reveal(), chain.leaf.key.private_key_pem);
}

TEST(ParseCertificateBundle, ReportsSerialAsUppercaseHex) {
  CertSpec spec;
  spec.serial = 0x1234abcdL;
  const TestIdentity leaf = MakeCertificate(spec);

  const absl::StatusOr<CertificateBundle> bundle =
      Parse(leaf.cert_pem, leaf.key.private_key_pem);

  ASSERT_THAT(bundle, IsOk());
  EXPECT_EQ(bundle->chain[0].serial_hex, "1234ABCD");
}

TEST(ParseCertificateBundle, AcceptsRsa2048Leaf) {
  CertSpec ca_spec;
  ca_spec.common_name = "rsa test ca";
  ca_spec.dns_names = {};
  ca_spec.is_ca = true;
  const TestIdentity ca = MakeCertificate(ca_spec);
  CertSpec leaf_spec;
  leaf_spec.key_type = TestKeyType::kRsa2048;
  leaf_spec.dns_names = {"rsa.example.com", "10.1.2.3"};
  const TestIdentity leaf = MakeCertificate(leaf_spec, &ca);

  const absl::StatusOr<CertificateBundle> bundle =
      Parse(leaf.cert_pem + ca.cert_pem, leaf.key.private_key_pem);

  ASSERT_THAT(bundle, IsOk());
  const CertificateInfo& info = bundle->chain[0];
  EXPECT_EQ(info.key_type, "RSA");
  EXPECT_EQ(info.key_bits, 2048);
  EXPECT_EQ(info.curve, "");
  EXPECT_EQ(info.version, 3);
  EXPECT_EQ(info.sha256_fingerprint, Sha256Hex(leaf.cert_der));
  EXPECT_THAT(info.dns_names, ElementsAre("rsa.example.com"));
  EXPECT_THAT(info.ip_addresses, ElementsAre("10.1.2.3"));
  EXPECT_TRUE(bundle->chain[1].self_signed);
}

TEST(ParseCertificateBundle, DescribesP384Key) {
  CertSpec spec;
  spec.key_type = TestKeyType::kEcdsaP384;
  const TestIdentity leaf = MakeCertificate(spec);

  const absl::StatusOr<CertificateBundle> bundle =
      Parse(leaf.cert_pem, leaf.key.private_key_pem);

  ASSERT_THAT(bundle, IsOk());
  EXPECT_EQ(bundle->chain[0].curve, "P-384");
  EXPECT_EQ(bundle->chain[0].key_bits, 384);
}

TEST(ParseCertificateBundle, ReencodesTraditionalEcKeyAsPkcs8) {
  const TestChain chain = MakeChain();
  const std::string traditional =
      TraditionalPrivateKeyPem(chain.leaf.key.private_key_pem);
  ASSERT_THAT(traditional, StartsWith("-----BEGIN EC PRIVATE KEY-----"));

  const absl::StatusOr<CertificateBundle> bundle =
      Parse(chain.fullchain_pem(), traditional);

  ASSERT_THAT(bundle, IsOk());
  EXPECT_THAT(bundle->private_key_pem.Reveal(),
              StartsWith("-----BEGIN PRIVATE KEY-----"));
  EXPECT_EQ(bundle->private_key_pem.Reveal(), chain.leaf.key.private_key_pem);
}

TEST(ParseCertificateBundle, ReencodesTraditionalRsaKeyAsPkcs8) {
  CertSpec spec;
  spec.key_type = TestKeyType::kRsa2048;
  const TestIdentity leaf = MakeCertificate(spec);
  const std::string traditional =
      TraditionalPrivateKeyPem(leaf.key.private_key_pem);
  ASSERT_THAT(traditional, StartsWith("-----BEGIN RSA PRIVATE KEY-----"));

  const absl::StatusOr<CertificateBundle> bundle =
      Parse(leaf.cert_pem, traditional);

  ASSERT_THAT(bundle, IsOk());
  EXPECT_EQ(bundle->private_key_pem.Reveal(), leaf.key.private_key_pem);
}

TEST(ParseCertificateBundle, AcceptsEcParametersBlockBeforeKey) {
  const TestChain chain = MakeChain();
  const std::string key =
      "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n"
      "-----END EC PARAMETERS-----\n" +
      TraditionalPrivateKeyPem(chain.leaf.key.private_key_pem);

  EXPECT_THAT(Parse(chain.fullchain_pem(), key), IsOk());
}

TEST(ParseCertificateBundle, AcceptsSingleSelfSignedLeaf) {
  const TestIdentity leaf = MakeCertificate(CertSpec());

  const absl::StatusOr<CertificateBundle> bundle =
      Parse(leaf.cert_pem, leaf.key.private_key_pem);

  ASSERT_THAT(bundle, IsOk());
  ASSERT_EQ(bundle->chain.size(), 1u);
  EXPECT_TRUE(bundle->chain[0].self_signed);
  EXPECT_EQ(bundle->chain[0].subject, bundle->chain[0].issuer);
}

TEST(ParseCertificateBundle, AcceptsChainEndingInRoot) {
  const TestChain chain = MakeChain();

  const absl::StatusOr<CertificateBundle> bundle =
      Parse(chain.fullchain_pem() + chain.root.cert_pem,
            chain.leaf.key.private_key_pem);

  ASSERT_THAT(bundle, IsOk());
  EXPECT_EQ(bundle->chain.size(), 3u);
}

TEST(ParseCertificateBundle, ToleratesCrlfIndentationAndTextBetweenBlocks) {
  const TestChain chain = MakeChain();
  std::string messy = "subject=CN = leaf.example.com\n" + chain.leaf.cert_pem +
                      "issuer=CN = certferry test intermediate\n" +
                      chain.intermediate.cert_pem;
  messy = absl::StrReplaceAll(messy, {{"\n", "\r\n  "}});
  const std::string key =
      absl::StrReplaceAll(chain.leaf.key.private_key_pem, {{"\n", "\r\n"}});

  const absl::StatusOr<CertificateBundle> bundle = Parse(messy, key);

  ASSERT_THAT(bundle, IsOk());
  EXPECT_EQ(bundle->chain_pem, chain.fullchain_pem());
}

TEST(ParseCertificateBundle, RejectsExpiredLeafWithItsNotAfter) {
  const absl::Time not_after = absl::Now() - absl::Hours(1);
  const TestChain chain =
      MakeChain({"leaf.example.com"}, not_after, absl::Now() - absl::Hours(48));

  EXPECT_THAT(
      Parse(chain.fullchain_pem(), chain.leaf.key.private_key_pem),
      StatusIs(kPrecondition,
               AllOf(StartsWith("chain_pem: certificate 1 (subject "
                                "CN=leaf.example.com"),
                     HasSubstr("expired"),
                     HasSubstr(absl::StrCat("notAfter ",
                                            Rfc3339(Truncated(not_after)))))));
}

TEST(ParseCertificateBundle, AcceptsExpiredChainWhenAllowed) {
  const TestChain chain =
      MakeChain({"leaf.example.com"}, absl::Now() - absl::Hours(1),
                absl::Now() - absl::Hours(48));
  BundleValidationOptions options = Options();
  options.accept_expired = true;

  EXPECT_THAT(
      Parse(chain.fullchain_pem(), chain.leaf.key.private_key_pem, options),
      IsOk());
}

TEST(ParseCertificateBundle, RejectsNotYetValidLeafWithItsNotBefore) {
  const absl::Time not_before = absl::Now() + absl::Hours(24);
  const TestChain chain = MakeChain({"leaf.example.com"},
                                    absl::Now() + absl::Hours(48), not_before);

  EXPECT_THAT(
      Parse(chain.fullchain_pem(), chain.leaf.key.private_key_pem),
      StatusIs(kPrecondition,
               AllOf(StartsWith("chain_pem: certificate 1 "),
                     HasSubstr("not yet valid"),
                     HasSubstr(absl::StrCat("notBefore ",
                                            Rfc3339(Truncated(not_before)))))));
}

TEST(ParseCertificateBundle, NamesExpiredIntermediate) {
  CertSpec root_spec;
  root_spec.common_name = "root";
  root_spec.dns_names = {};
  root_spec.is_ca = true;
  const TestIdentity root = MakeCertificate(root_spec);
  CertSpec intermediate_spec = root_spec;
  intermediate_spec.common_name = "expired intermediate";
  intermediate_spec.not_before = absl::Now() - absl::Hours(100);
  intermediate_spec.not_after = absl::Now() - absl::Hours(10);
  const TestIdentity intermediate = MakeCertificate(intermediate_spec, &root);
  const TestIdentity leaf = MakeCertificate(CertSpec(), &intermediate);

  EXPECT_THAT(
      Parse(leaf.cert_pem + intermediate.cert_pem, leaf.key.private_key_pem),
      StatusIs(kPrecondition, StartsWith("chain_pem: certificate 2 (subject "
                                         "CN=expired intermediate")));
}

TEST(ParseCertificateBundle, ChecksDatesAgainstOptionsNow) {
  const TestChain chain = MakeChain();
  BundleValidationOptions options = Options();
  options.now = absl::Now() + absl::Hours(24 * 365);

  EXPECT_THAT(
      Parse(chain.fullchain_pem(), chain.leaf.key.private_key_pem, options),
      StatusIs(kPrecondition, HasSubstr("expired")));
}

TEST(ParseCertificateBundle, RejectsKeyOfAnotherCertificate) {
  const TestChain chain = MakeChain();
  const std::string other_key = GenerateTestKey().private_key_pem;

  const absl::StatusOr<CertificateBundle> bundle =
      Parse(chain.fullchain_pem(), other_key);

  EXPECT_THAT(
      bundle,
      StatusIs(kInvalid, StartsWith("private_key_pem: does not belong to the "
                                    "leaf certificate (public keys differ); "
                                    "supply the key the certificate was issued "
                                    "for")));
  ExpectNoKeyMaterial(bundle.status(), other_key);
}

TEST(ParseCertificateBundle, RejectsKeyOfTheIntermediate) {
  const TestChain chain = MakeChain();

  EXPECT_THAT(
      Parse(chain.fullchain_pem(), chain.intermediate.key.private_key_pem),
      StatusIs(kInvalid, HasSubstr("private_key_pem: does not belong to the "
                                   "leaf certificate")));
}

TEST(ParseCertificateBundle, RejectsRsaKeyForEcdsaLeaf) {
  const TestChain chain = MakeChain();
  const std::string rsa_key =
      GenerateTestKey(TestKeyType::kRsa2048).private_key_pem;

  EXPECT_THAT(
      Parse(chain.fullchain_pem(), rsa_key),
      StatusIs(kInvalid, HasSubstr("private_key_pem: does not belong")));
}

TEST(ParseCertificateBundle, RejectsIntermediateBeforeLeaf) {
  const TestChain chain = MakeChain();

  EXPECT_THAT(
      Parse(chain.intermediate.cert_pem + chain.leaf.cert_pem,
            chain.leaf.key.private_key_pem),
      StatusIs(kInvalid,
               AllOf(StartsWith("chain_pem: certificate 1 (subject "
                                "CN=certferry test intermediate"),
                     HasSubstr("is a CA certificate, not the leaf; put the "
                               "leaf certificate first, then its "
                               "intermediates"),
                     HasSubstr("certificate 2 (subject CN=leaf.example.com"))));
}

TEST(ParseCertificateBundle, RejectsLeafPlacedLast) {
  const TestChain chain = MakeChain();

  EXPECT_THAT(Parse(chain.root.cert_pem + chain.intermediate.cert_pem +
                        chain.leaf.cert_pem,
                    chain.leaf.key.private_key_pem),
              StatusIs(kInvalid, AllOf(StartsWith("chain_pem: certificate 1 "),
                                       HasSubstr("not the leaf"),
                                       HasSubstr("certificate 3 (subject "
                                                 "CN=leaf.example.com"))));
}

TEST(ParseCertificateBundle, RejectsIntermediatesInWrongOrder) {
  const TestChain chain = MakeChain();

  EXPECT_THAT(
      Parse(chain.leaf.cert_pem + chain.root.cert_pem +
                chain.intermediate.cert_pem,
            chain.leaf.key.private_key_pem),
      StatusIs(kInvalid,
               AllOf(StartsWith("chain_pem: certificate 1 (subject "
                                "CN=leaf.example.com"),
                     HasSubstr("was issued by CN=certferry test intermediate"),
                     HasSubstr("certificate 2 (subject CN=certferry test "
                               "root"))));
}

TEST(ParseCertificateBundle, RejectsUnrelatedIntermediateWithAnotherName) {
  const TestChain chain = MakeChain();
  CertSpec other_spec;
  other_spec.common_name = "unrelated intermediate";
  other_spec.dns_names = {};
  other_spec.is_ca = true;
  const TestIdentity other = MakeCertificate(other_spec);

  EXPECT_THAT(
      Parse(chain.leaf.cert_pem + other.cert_pem,
            chain.leaf.key.private_key_pem),
      StatusIs(kInvalid, AllOf(StartsWith("chain_pem: certificate 1 "),
                               HasSubstr("certificate 2 (subject "
                                         "CN=unrelated intermediate"))));
}

TEST(ParseCertificateBundle, RejectsSameNamedIntermediateThatDidNotSign) {
  const TestChain chain = MakeChain();
  const TestChain other = MakeChain();  // same names, different keys

  EXPECT_THAT(
      Parse(chain.leaf.cert_pem + other.intermediate.cert_pem,
            chain.leaf.key.private_key_pem),
      StatusIs(kInvalid, AllOf(StartsWith("chain_pem: certificate 1 "),
                               HasSubstr("is not signed by certificate 2"))));
}

TEST(ParseCertificateBundle, RejectsNonCaCertificateAsIssuer) {
  CertSpec issuer_spec;
  issuer_spec.common_name = "not a ca";
  const TestIdentity not_ca = MakeCertificate(issuer_spec);
  const TestIdentity leaf = MakeCertificate(CertSpec(), &not_ca);

  EXPECT_THAT(
      Parse(leaf.cert_pem + not_ca.cert_pem, leaf.key.private_key_pem),
      StatusIs(kInvalid, AllOf(StartsWith("chain_pem: certificate 2 (subject "
                                          "CN=not a ca"),
                               HasSubstr("not a CA certificate"))));
}

TEST(ParseCertificateBundle, RejectsPrivateKeyInChainWithoutEchoingIt) {
  const TestChain chain = MakeChain();
  const std::string& key = chain.leaf.key.private_key_pem;

  const absl::StatusOr<CertificateBundle> bundle =
      Parse(chain.leaf.cert_pem + key, key);

  EXPECT_THAT(bundle,
              StatusIs(kInvalid,
                       AllOf(StartsWith("chain_pem: block 2 is a private key"),
                             HasSubstr("private_key_pem"))));
  ExpectNoKeyMaterial(bundle.status(), key);
}

TEST(ParseCertificateBundle, RejectsOnlyAPrivateKeyInChain) {
  const TestChain chain = MakeChain();
  const std::string key =
      TraditionalPrivateKeyPem(chain.leaf.key.private_key_pem);

  const absl::StatusOr<CertificateBundle> bundle =
      Parse(key, chain.leaf.key.private_key_pem);

  EXPECT_THAT(bundle, StatusIs(kInvalid, StartsWith("chain_pem: block 1 is a "
                                                    "private key")));
  ExpectNoKeyMaterial(bundle.status(), key);
}

TEST(ParseCertificateBundle, RejectsCsrInChain) {
  const TestChain chain = MakeChain();
  const std::string csr =
      "-----BEGIN CERTIFICATE REQUEST-----\nMIIBAAAA\n"
      "-----END CERTIFICATE REQUEST-----\n";

  EXPECT_THAT(Parse(chain.leaf.cert_pem + csr, chain.leaf.key.private_key_pem),
              StatusIs(kInvalid, StartsWith("chain_pem: block 2 is a "
                                            "certificate signing request")));
}

TEST(ParseCertificateBundle, RejectsEmptyChain) {
  const TestChain chain = MakeChain();

  for (const std::string& empty : {std::string(), std::string(" \n\t\r\n")}) {
    EXPECT_THAT(Parse(empty, chain.leaf.key.private_key_pem),
                StatusIs(kInvalid,
                         "chain_pem: empty; paste the certificate "
                         "chain as PEM, leaf first"));
  }
}

TEST(ParseCertificateBundle, RejectsGarbageChain) {
  const TestChain chain = MakeChain();

  EXPECT_THAT(
      Parse("this is not a certificate", chain.leaf.key.private_key_pem),
      StatusIs(kInvalid, StartsWith("chain_pem: no PEM certificate "
                                    "found")));
}

TEST(ParseCertificateBundle, RejectsDerChainWithConversionHint) {
  const TestChain chain = MakeChain();

  EXPECT_THAT(
      Parse(chain.leaf.cert_der, chain.leaf.key.private_key_pem),
      StatusIs(kInvalid, AllOf(StartsWith("chain_pem: looks like DER (binary)"),
                               HasSubstr("openssl x509 -inform der -outform "
                                         "pem"))));
}

TEST(ParseCertificateBundle, RejectsBase64BodyWithoutPemLines) {
  const TestChain chain = MakeChain();
  const std::string body = absl::StrJoin(BodyLines(chain.leaf.cert_pem), "\n");

  EXPECT_THAT(Parse(body, chain.leaf.key.private_key_pem),
              StatusIs(kInvalid, AllOf(StartsWith("chain_pem: "),
                                       HasSubstr("BEGIN CERTIFICATE"))));
}

TEST(ParseCertificateBundle, RejectsChainWithMissingEndLine) {
  const TestChain chain = MakeChain();

  EXPECT_THAT(
      Parse(chain.leaf.cert_pem + WithoutLastLine(chain.intermediate.cert_pem),
            chain.leaf.key.private_key_pem),
      StatusIs(kInvalid, StartsWith("chain_pem: certificate 2 is "
                                    "truncated")));
}

TEST(ParseCertificateBundle, RejectsChainCutMidBody) {
  const TestChain chain = MakeChain();
  const std::string& second = chain.intermediate.cert_pem;

  EXPECT_THAT(Parse(chain.leaf.cert_pem + second.substr(0, second.size() / 2),
                    chain.leaf.key.private_key_pem),
              StatusIs(kInvalid, StartsWith("chain_pem: certificate 2 is "
                                            "truncated")));
}

TEST(ParseCertificateBundle, RejectsCertificateWithMissingBodyLine) {
  const TestChain chain = MakeChain();

  EXPECT_THAT(
      Parse(WithoutLine(chain.leaf.cert_pem, 3) + chain.intermediate.cert_pem,
            chain.leaf.key.private_key_pem),
      StatusIs(kInvalid, StartsWith("chain_pem: certificate 1 is "
                                    "truncated or corrupt")));
}

TEST(ParseCertificateBundle, RejectsV1Certificate) {
  CertSpec spec;
  spec.x509_version = 1;
  const TestIdentity leaf = MakeCertificate(spec);

  EXPECT_THAT(
      Parse(leaf.cert_pem, leaf.key.private_key_pem),
      StatusIs(kInvalid, AllOf(StartsWith("chain_pem: certificate 1 (subject "
                                          "CN=leaf.example.com"),
                               HasSubstr("is X.509 v1; v3 with subjectAltName "
                                         "is required"))));
}

TEST(ParseCertificateBundle, RejectsEncryptedPkcs8Key) {
  const TestChain chain = MakeChain();
  const std::string encrypted =
      EncryptPrivateKeyPem(chain.leaf.key.private_key_pem, "passphrase");
  ASSERT_THAT(encrypted, HasSubstr("BEGIN ENCRYPTED PRIVATE KEY"));

  const absl::StatusOr<CertificateBundle> bundle =
      Parse(chain.fullchain_pem(), encrypted);

  EXPECT_THAT(bundle,
              StatusIs(kInvalid,
                       AllOf(StartsWith("private_key_pem: must be unencrypted "
                                        "PEM"),
                             HasSubstr("decrypt with `openssl pkey -in key.pem "
                                       "-out key-plain.pem`"))));
  ExpectNoKeyMaterial(bundle.status(), encrypted);
}

TEST(ParseCertificateBundle, RejectsEncryptedTraditionalKey) {
  const TestChain chain = MakeChain();
  const std::string encrypted =
      TraditionalEncryptedKeyPem(chain.leaf.key.private_key_pem);
  ASSERT_THAT(encrypted, HasSubstr("Proc-Type: 4,ENCRYPTED"));

  const absl::StatusOr<CertificateBundle> bundle =
      Parse(chain.fullchain_pem(), encrypted);

  EXPECT_THAT(bundle, StatusIs(kInvalid, StartsWith("private_key_pem: must be "
                                                    "unencrypted PEM")));
  ExpectNoKeyMaterial(bundle.status(), encrypted);
}

TEST(ParseCertificateBundle, RejectsTwoKeys) {
  const TestChain chain = MakeChain();
  const std::string keys =
      chain.leaf.key.private_key_pem + GenerateTestKey().private_key_pem;

  const absl::StatusOr<CertificateBundle> bundle =
      Parse(chain.fullchain_pem(), keys);

  EXPECT_THAT(bundle, StatusIs(kInvalid, StartsWith("private_key_pem: contains "
                                                    "2 private keys")));
  ExpectNoKeyMaterial(bundle.status(), keys);
}

TEST(ParseCertificateBundle, RejectsEmptyKey) {
  const TestChain chain = MakeChain();

  for (const std::string& empty : {std::string(), std::string("\n  \n")}) {
    EXPECT_THAT(Parse(chain.fullchain_pem(), empty),
                StatusIs(kInvalid, StartsWith("private_key_pem: empty")));
  }
}

TEST(ParseCertificateBundle, RejectsGarbageKey) {
  const TestChain chain = MakeChain();

  EXPECT_THAT(Parse(chain.fullchain_pem(), "my key is in the other file"),
              StatusIs(kInvalid, StartsWith("private_key_pem: no PEM private "
                                            "key found")));
}

TEST(ParseCertificateBundle, RejectsDerKeyWithConversionHint) {
  const TestChain chain = MakeChain();
  const std::string der = KeyToDer(chain.leaf.key.private_key_pem);

  const absl::StatusOr<CertificateBundle> bundle =
      Parse(chain.fullchain_pem(), der);

  EXPECT_THAT(
      bundle,
      StatusIs(kInvalid, AllOf(StartsWith("private_key_pem: looks like DER "
                                          "(binary)"),
                               HasSubstr("openssl pkey -inform der"))));
}

TEST(ParseCertificateBundle, RejectsKeyWithMissingEndLine) {
  const TestChain chain = MakeChain();
  const std::string key = WithoutLastLine(chain.leaf.key.private_key_pem);

  const absl::StatusOr<CertificateBundle> bundle =
      Parse(chain.fullchain_pem(), key);

  EXPECT_THAT(bundle, StatusIs(kInvalid, AllOf(StartsWith("private_key_pem: "),
                                               HasSubstr("truncated"))));
  ExpectNoKeyMaterial(bundle.status(), key);
}

TEST(ParseCertificateBundle, RejectsCorruptKeyBody) {
  CertSpec spec;
  spec.key_type = TestKeyType::kRsa2048;
  const TestIdentity leaf = MakeCertificate(spec);
  const std::string key = WithoutLine(leaf.key.private_key_pem, 5);

  const absl::StatusOr<CertificateBundle> bundle = Parse(leaf.cert_pem, key);

  EXPECT_THAT(bundle,
              StatusIs(kInvalid, StartsWith("private_key_pem: the private key "
                                            "is truncated or corrupt")));
  ExpectNoKeyMaterial(bundle.status(), leaf.key.private_key_pem);
}

TEST(ParseCertificateBundle, RejectsCertificateInKeyField) {
  const TestChain chain = MakeChain();

  EXPECT_THAT(Parse(chain.fullchain_pem(), chain.leaf.cert_pem),
              StatusIs(kInvalid, StartsWith("private_key_pem: block 1 is a "
                                            "certificate")));
}

TEST(ParseCertificateBundle, UsesCallerFieldNames) {
  const TestChain chain = MakeChain();
  BundleValidationOptions options = Options();
  options.fields.chain = "bundle.chain";
  options.fields.private_key = "bundle.key";

  EXPECT_THAT(Parse("", chain.leaf.key.private_key_pem, options),
              StatusIs(kInvalid, StartsWith("bundle.chain: empty")));
  EXPECT_THAT(Parse(chain.fullchain_pem(), "", options),
              StatusIs(kInvalid, StartsWith("bundle.key: empty")));
}

TEST(ParseCertificateBundle, NoBadKeyErrorContainsKeyMaterial) {
  const TestChain chain = MakeChain();
  const std::string& key = chain.leaf.key.private_key_pem;
  const std::string other = GenerateTestKey().private_key_pem;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {chain.fullchain_pem(), other},
      {chain.fullchain_pem(), key + key},
      {chain.fullchain_pem(), WithoutLastLine(key)},
      {chain.fullchain_pem(), WithoutLine(key, 2)},
      {chain.fullchain_pem(), EncryptPrivateKeyPem(key, "pw")},
      {chain.fullchain_pem(), TraditionalEncryptedKeyPem(key)},
      {chain.fullchain_pem(), absl::StrJoin(BodyLines(key), "\n")},
      {chain.fullchain_pem(), KeyToDer(key)},
      {chain.fullchain_pem(), absl::StrCat("garbage ", key.substr(30))},
      {chain.fullchain_pem() + key, key},
      {key + chain.fullchain_pem(), key},
  };
  for (const auto& [chain_pem, key_pem] : cases) {
    const absl::StatusOr<CertificateBundle> bundle = Parse(chain_pem, key_pem);
    ASSERT_FALSE(bundle.ok());
    ExpectNoKeyMaterial(bundle.status(), key);
    ExpectNoKeyMaterial(bundle.status(), other);
  }
}

TEST(ParseCertificateBundle, LeavesOpensslErrorQueueEmpty) {
  const TestChain chain = MakeChain();
  ERR_clear_error();

  ASSERT_FALSE(Parse(chain.fullchain_pem(),
                     "-----BEGIN PRIVATE KEY-----\n"
                     "AAAA\n-----END PRIVATE KEY-----\n")
                   .ok());
  EXPECT_EQ(ERR_peek_error(), 0u);
  ASSERT_FALSE(Parse(chain.leaf.cert_der, chain.leaf.key.private_key_pem).ok());
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(ParseCertificateBundle, IsSafeToCallFromManyThreads) {
  const TestChain chain = MakeChain();
  const std::string other = GenerateTestKey().private_key_pem;
  std::vector<std::thread> threads;
  std::vector<int> good(4, 0);
  std::vector<int> bad(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        good[t] +=
            Parse(chain.fullchain_pem(), chain.leaf.key.private_key_pem).ok();
        bad[t] += !Parse(chain.fullchain_pem(), other).ok();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < 4; ++t) {
    EXPECT_EQ(good[t], 25);
    EXPECT_EQ(bad[t], 25);
  }
}

TEST(ParseCertificateChain, ParsesCertificatesWithoutKey) {
  const TestChain chain = MakeChain({"a.example.com"});

  const absl::StatusOr<std::vector<CertificateInfo>> infos =
      ParseCertificateChain(chain.fullchain_pem() + chain.root.cert_pem,
                            "ca_pem");

  ASSERT_THAT(infos, IsOk());
  ASSERT_EQ(infos->size(), 3u);
  EXPECT_THAT((*infos)[0].dns_names, ElementsAre("a.example.com"));
  EXPECT_TRUE((*infos)[2].self_signed);
}

TEST(ParseCertificateChain, PrefixesErrorsWithField) {
  EXPECT_THAT(ParseCertificateChain("junk", "ca_pem"),
              StatusIs(kInvalid, StartsWith("ca_pem: ")));
}

struct NameCase {
  const char* pattern;
  const char* name;
  bool covers;
};

TEST(NameCovers, FollowsRfc6125) {
  const NameCase kCases[] = {
      {"example.com", "example.com", true},
      {"Example.COM", "example.com", true},
      {"example.com", "EXAMPLE.com", true},
      {"example.com.", "example.com", true},
      {"example.com", "example.com.", true},
      {"example.com", "www.example.com", false},
      {"www.example.com", "example.com", false},
      {"*.example.com", "api.example.com", true},
      {"*.example.com", "API.Example.Com", true},
      {"*.EXAMPLE.com", "api.example.com.", true},
      {"*.example.com", "a.api.example.com", false},
      {"*.example.com", "example.com", false},
      {"*.example.com", ".example.com", false},
      {"*.example.com", "api.example.org", false},
      {"*.example.com", "apiexample.com", false},
      {"a*.example.com", "abc.example.com", false},
      {"*a.example.com", "ba.example.com", false},
      {"api.*.example.com", "api.x.example.com", false},
      {"*.*.example.com", "a.b.example.com", false},
      {"*", "localhost", false},
      {"*.com", "example.com", false},
      {"*.", "a.", false},
      {"", "", false},
      {"example.com", "", false},
      {"*.example.com", "*.example.com", false},
  };
  for (const NameCase& c : kCases) {
    EXPECT_EQ(NameCovers(c.pattern, c.name), c.covers)
        << "pattern '" << c.pattern << "' name '" << c.name << "'";
  }
}

}  // namespace
}  // namespace certferry::pki
