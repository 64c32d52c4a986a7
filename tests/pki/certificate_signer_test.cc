#include "pki/certificate_signer.h"

#include <arpa/inet.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pki/key_generation.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_pki.h"

namespace certferry::pki {
namespace {

using ::certferry::testing::CertSpec;
using ::certferry::testing::IsOk;
using ::certferry::testing::MakeCertificate;
using ::certferry::testing::StatusIs;
using ::certferry::testing::TestIdentity;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using StorePtr =
    std::unique_ptr<X509_STORE, Deleter<X509_STORE, X509_STORE_free>>;
using StoreCtxPtr =
    std::unique_ptr<X509_STORE_CTX,
                    Deleter<X509_STORE_CTX, X509_STORE_CTX_free>>;
using BasicConstraintsPtr =
    std::unique_ptr<BASIC_CONSTRAINTS,
                    Deleter<BASIC_CONSTRAINTS, BASIC_CONSTRAINTS_free>>;
using GeneralNamesPtr =
    std::unique_ptr<GENERAL_NAMES, Deleter<GENERAL_NAMES, GENERAL_NAMES_free>>;
using EkuPtr =
    std::unique_ptr<EXTENDED_KEY_USAGE,
                    Deleter<EXTENDED_KEY_USAGE, EXTENDED_KEY_USAGE_free>>;
using AsnBitStringPtr =
    std::unique_ptr<ASN1_BIT_STRING,
                    Deleter<ASN1_BIT_STRING, ASN1_BIT_STRING_free>>;

// Whole seconds, as a certificate stores times.
absl::Time Seconds(absl::Time t) { return absl::FromTimeT(absl::ToTimeT(t)); }

X509Ptr ReadCert(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  EXPECT_NE(cert, nullptr) << "not a PEM certificate";
  return cert;
}

PkeyPtr ReadKey(const SecretString& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.Reveal().data(),
                             static_cast<int>(pem.Reveal().size())));
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  EXPECT_NE(key, nullptr) << "not a PEM private key";
  return key;
}

SecretString NewKey(KeyType type = KeyType::kEcdsaP256) {
  absl::StatusOr<SecretString> key = GeneratePrivateKey(type);
  EXPECT_THAT(key, IsOk());
  return key.ok() ? *std::move(key) : SecretString();
}

std::string CommonName(const X509_NAME* name) {
  const int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (index < 0) return "";
  const ASN1_STRING* data =
      X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                     static_cast<size_t>(ASN1_STRING_length(data)));
}

std::string Organization(const X509_NAME* name) {
  const int index = X509_NAME_get_index_by_NID(name, NID_organizationName, -1);
  if (index < 0) return "";
  const ASN1_STRING* data =
      X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                     static_cast<size_t>(ASN1_STRING_length(data)));
}

// The SANs as "DNS:<name>" / "IP:<address>", in certificate order.
std::vector<std::string> SubjectAltNames(X509* cert, int* critical) {
  std::vector<std::string> out;
  GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert, NID_subject_alt_name, critical, nullptr)));
  if (names == nullptr) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type == GEN_DNS) {
      const ASN1_IA5STRING* dns = name->d.dNSName;
      out.push_back(absl::StrCat(
          "DNS:", absl::string_view(
                      reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns)),
                      ASN1_STRING_length(dns))));
    } else if (name->type == GEN_IPADD) {
      const ASN1_OCTET_STRING* ip = name->d.iPAddress;
      char text[INET6_ADDRSTRLEN] = {};
      const int family = ASN1_STRING_length(ip) == 4 ? AF_INET : AF_INET6;
      inet_ntop(family, ASN1_STRING_get0_data(ip), text, sizeof(text));
      out.push_back(absl::StrCat("IP:", text));
    } else {
      out.push_back(absl::StrCat("other:", name->type));
    }
  }
  return out;
}

struct BasicConstraints {
  bool present = false;
  bool critical = false;
  bool ca = false;
  long path_length = -1;  // -1 when absent
};

BasicConstraints GetBasicConstraints(X509* cert) {
  BasicConstraints out;
  int critical = -1;
  BasicConstraintsPtr bc(static_cast<BASIC_CONSTRAINTS*>(
      X509_get_ext_d2i(cert, NID_basic_constraints, &critical, nullptr)));
  if (bc == nullptr) return out;
  out.present = true;
  out.critical = critical == 1;
  out.ca = bc->ca != 0;
  if (bc->pathlen != nullptr) out.path_length = ASN1_INTEGER_get(bc->pathlen);
  return out;
}

// keyUsage bits (KU_*) and whether the extension is critical; bits 0 when
// the extension is absent.
uint32_t KeyUsage(X509* cert, bool* critical) {
  int crit = -1;
  AsnBitStringPtr usage(static_cast<ASN1_BIT_STRING*>(
      X509_get_ext_d2i(cert, NID_key_usage, &crit, nullptr)));
  *critical = crit == 1;
  if (usage == nullptr) return 0;
  return X509_get_key_usage(cert);
}

std::vector<int> ExtendedKeyUsageNids(X509* cert) {
  std::vector<int> out;
  EkuPtr eku(static_cast<EXTENDED_KEY_USAGE*>(
      X509_get_ext_d2i(cert, NID_ext_key_usage, nullptr, nullptr)));
  if (eku == nullptr) return out;
  for (int i = 0; i < sk_ASN1_OBJECT_num(eku.get()); ++i) {
    out.push_back(OBJ_obj2nid(sk_ASN1_OBJECT_value(eku.get(), i)));
  }
  return out;
}

std::string Hex(const ASN1_OCTET_STRING* s) {
  if (s == nullptr) return "";
  std::string out;
  for (int i = 0; i < ASN1_STRING_length(s); ++i) {
    absl::StrAppend(&out,
                    absl::Hex(ASN1_STRING_get0_data(s)[i], absl::kZeroPad2));
  }
  return out;
}

std::string SubjectKeyId(X509* cert) {
  return Hex(X509_get0_subject_key_id(cert));
}
std::string AuthorityKeyId(X509* cert) {
  return Hex(X509_get0_authority_key_id(cert));
}

// "ok", or OpenSSL's reason why `leaf_pem` does not verify up to
// `trusted_pem` through `untrusted_pems`, with strict X.509 checks and, unless
// `purpose` is 0, for that purpose (TLS server by default).
std::string VerifyChain(const std::string& trusted_pem,
                        const std::vector<std::string>& untrusted_pems,
                        const std::string& leaf_pem,
                        int purpose = X509_PURPOSE_SSL_SERVER) {
  StorePtr store(X509_STORE_new());
  X509Ptr trusted = ReadCert(trusted_pem);
  X509Ptr leaf = ReadCert(leaf_pem);
  if (store == nullptr || trusted == nullptr || leaf == nullptr) {
    return "setup failed";
  }
  if (X509_STORE_add_cert(store.get(), trusted.get()) != 1) {
    return "X509_STORE_add_cert failed";
  }
  STACK_OF(X509)* untrusted = sk_X509_new_null();
  for (const std::string& pem : untrusted_pems) {
    sk_X509_push(untrusted, ReadCert(pem).release());
  }
  StoreCtxPtr ctx(X509_STORE_CTX_new());
  std::string result = "X509_STORE_CTX_init failed";
  if (X509_STORE_CTX_init(ctx.get(), store.get(), leaf.get(), untrusted) == 1) {
    if (purpose != 0) X509_STORE_CTX_set_purpose(ctx.get(), purpose);
    X509_VERIFY_PARAM_set_flags(X509_STORE_CTX_get0_param(ctx.get()),
                                X509_V_FLAG_X509_STRICT);
    result = X509_verify_cert(ctx.get()) == 1
                 ? "ok"
                 : X509_verify_cert_error_string(
                       X509_STORE_CTX_get_error(ctx.get()));
  }
  ctx.reset();
  sk_X509_pop_free(untrusted, X509_free);
  return result;
}

// The serial's content octets, and whether it is a non-negative INTEGER.
struct Serial {
  std::string bytes;
  bool negative = false;
};

Serial GetSerial(X509* cert) {
  const ASN1_INTEGER* serial = X509_get0_serialNumber(cert);
  Serial out;
  out.bytes.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(serial)),
                   static_cast<size_t>(ASN1_STRING_length(serial)));
  out.negative = ASN1_STRING_type(serial) == V_ASN1_NEG_INTEGER;
  return out;
}

void ExpectPositive16ByteSerial(X509* cert) {
  const Serial serial = GetSerial(cert);
  EXPECT_FALSE(serial.negative);
  ASSERT_EQ(serial.bytes.size(), 16u);
  // Top bit clear: the DER encoding needs no 0x00 sign octet, so the
  // encoded INTEGER is exactly 16 bytes and positive; a leading zero octet
  // would mean BN trimmed it and the serial is shorter.
  const unsigned char first = static_cast<unsigned char>(serial.bytes[0]);
  EXPECT_GE(first, 0x01);
  EXPECT_LE(first, 0x7f);
}

CaCertificateSpec RootSpec() {
  CaCertificateSpec spec;
  spec.common_name = "certferry test root";
  spec.organization = "certferry";
  spec.not_before = Seconds(absl::Now() - absl::Hours(1));
  spec.not_after = Seconds(absl::Now() + absl::Hours(24 * 365));
  return spec;
}

LeafSpec LeafFor(std::vector<std::string> names) {
  LeafSpec spec;
  spec.names = std::move(names);
  spec.not_before = Seconds(absl::Now() - absl::Minutes(5));
  spec.not_after = Seconds(absl::Now() + absl::Hours(24 * 30));
  return spec;
}

// ---------------------------------------------------------------------------
// CreateRootCaCertificate

class RootCaTest : public ::testing::TestWithParam<KeyType> {};

INSTANTIATE_TEST_SUITE_P(
    CaKeyTypes, RootCaTest,
    ::testing::Values(KeyType::kEcdsaP256, KeyType::kEcdsaP384,
                      KeyType::kRsa2048),
    [](const ::testing::TestParamInfo<KeyType>& info) {
      std::string name = KeyTypeName(info.param);
      name.erase(std::remove(name.begin(), name.end(), '-'), name.end());
      return name;
    });

TEST_P(RootCaTest, IsASelfSignedCa) {
  const SecretString key_pem = NewKey(GetParam());
  const CaCertificateSpec spec = RootSpec();

  const absl::StatusOr<std::string> pem =
      CreateRootCaCertificate(key_pem, spec);

  ASSERT_THAT(pem, IsOk());
  X509Ptr cert = ReadCert(*pem);
  ASSERT_NE(cert, nullptr);
  PkeyPtr key = ReadKey(key_pem);
  ASSERT_NE(key, nullptr);

  // Signed by its own key, and issuer == subject.
  EXPECT_EQ(X509_verify(cert.get(), key.get()), 1);
  EXPECT_EQ(X509_check_private_key(cert.get(), key.get()), 1);
  EXPECT_EQ(X509_NAME_cmp(X509_get_issuer_name(cert.get()),
                          X509_get_subject_name(cert.get())),
            0);
  EXPECT_EQ(X509_check_issued(cert.get(), cert.get()), X509_V_OK);
  EXPECT_EQ(VerifyChain(*pem, {}, *pem, /*purpose=*/0), "ok");

  EXPECT_EQ(X509_get_version(cert.get()), X509_VERSION_3);
  EXPECT_EQ(CommonName(X509_get_subject_name(cert.get())), spec.common_name);
  EXPECT_EQ(Organization(X509_get_subject_name(cert.get())), spec.organization);
  EXPECT_EQ(ASN1_TIME_cmp_time_t(X509_get0_notBefore(cert.get()),
                                 absl::ToTimeT(spec.not_before)),
            0);
  EXPECT_EQ(ASN1_TIME_cmp_time_t(X509_get0_notAfter(cert.get()),
                                 absl::ToTimeT(spec.not_after)),
            0);

  const BasicConstraints bc = GetBasicConstraints(cert.get());
  EXPECT_TRUE(bc.present);
  EXPECT_TRUE(bc.critical);
  EXPECT_TRUE(bc.ca);
  EXPECT_EQ(bc.path_length, -1);
  bool ku_critical = false;
  const uint32_t usage = KeyUsage(cert.get(), &ku_critical);
  EXPECT_TRUE(ku_critical);
  EXPECT_EQ(usage, static_cast<uint32_t>(KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  EXPECT_EQ(X509_check_ca(cert.get()), 1);

  EXPECT_FALSE(SubjectKeyId(cert.get()).empty());
  EXPECT_EQ(AuthorityKeyId(cert.get()), SubjectKeyId(cert.get()));
  ExpectPositive16ByteSerial(cert.get());
}

TEST_P(RootCaTest, SignsLeavesThatVerifyAgainstIt) {
  const SecretString key = NewKey(GetParam());
  const absl::StatusOr<std::string> root =
      CreateRootCaCertificate(key, RootSpec());
  ASSERT_THAT(root, IsOk());
  absl::StatusOr<std::unique_ptr<CertificateSigner>> signer =
      CertificateSigner::Load(*root, key);
  ASSERT_THAT(signer, IsOk());

  const absl::StatusOr<std::string> leaf =
      (*signer)->SignLeaf(NewKey(), LeafFor({"www.example.com"}));

  ASSERT_THAT(leaf, IsOk());
  EXPECT_EQ(VerifyChain(*root, {}, *leaf), "ok");
}

TEST(CreateRootCaCertificate, DoesNotVerifyAgainstAnotherKey) {
  const absl::StatusOr<std::string> pem =
      CreateRootCaCertificate(NewKey(), RootSpec());
  ASSERT_THAT(pem, IsOk());
  X509Ptr cert = ReadCert(*pem);
  PkeyPtr other = ReadKey(NewKey());
  ASSERT_NE(cert, nullptr);
  ASSERT_NE(other, nullptr);
  EXPECT_NE(X509_verify(cert.get(), other.get()), 1);
}

TEST(CreateRootCaCertificate, SetsPathLength) {
  CaCertificateSpec spec = RootSpec();
  spec.path_length = 0;
  const absl::StatusOr<std::string> pem =
      CreateRootCaCertificate(NewKey(), spec);
  ASSERT_THAT(pem, IsOk());
  X509Ptr cert = ReadCert(*pem);
  ASSERT_NE(cert, nullptr);
  EXPECT_EQ(GetBasicConstraints(cert.get()).path_length, 0);
}

TEST(CreateRootCaCertificate, RejectsInvalidSpecs) {
  const SecretString key = NewKey();
  CaCertificateSpec no_name = RootSpec();
  no_name.common_name = "";
  EXPECT_THAT(CreateRootCaCertificate(key, no_name),
              StatusIs(kInvalid, HasSubstr("common_name")));

  CaCertificateSpec long_name = RootSpec();
  long_name.common_name = std::string(65, 'x');
  EXPECT_THAT(CreateRootCaCertificate(key, long_name),
              StatusIs(kInvalid, HasSubstr("common_name")));

  CaCertificateSpec empty_validity = RootSpec();
  empty_validity.not_after = empty_validity.not_before;
  EXPECT_THAT(CreateRootCaCertificate(key, empty_validity),
              StatusIs(kInvalid, HasSubstr("validity")));

  CaCertificateSpec reversed = RootSpec();
  std::swap(reversed.not_before, reversed.not_after);
  EXPECT_THAT(CreateRootCaCertificate(key, reversed),
              StatusIs(kInvalid, HasSubstr("validity")));

  EXPECT_THAT(CreateRootCaCertificate(SecretString("not a key"), RootSpec()),
              StatusIs(kInvalid, HasSubstr("key")));
}

// ---------------------------------------------------------------------------
// CertificateSigner::Load

TEST(CertificateSignerLoad, ExposesTheCaValidity) {
  const SecretString key = NewKey();
  const CaCertificateSpec spec = RootSpec();
  const absl::StatusOr<std::string> cert = CreateRootCaCertificate(key, spec);
  ASSERT_THAT(cert, IsOk());

  absl::StatusOr<std::unique_ptr<CertificateSigner>> signer =
      CertificateSigner::Load(*cert, key);

  ASSERT_THAT(signer, IsOk());
  EXPECT_EQ((*signer)->not_before(), spec.not_before);
  EXPECT_EQ((*signer)->not_after(), spec.not_after);
}

TEST(CertificateSignerLoad, RejectsAKeyThatDoesNotMatchTheCertificate) {
  const absl::StatusOr<std::string> cert =
      CreateRootCaCertificate(NewKey(), RootSpec());
  ASSERT_THAT(cert, IsOk());

  EXPECT_THAT(CertificateSigner::Load(*cert, NewKey()),
              StatusIs(kInvalid, HasSubstr("does not belong")));
}

TEST(CertificateSignerLoad, RejectsALeafCertificate) {
  // A leaf this CA issued, loaded with its own (matching) key.
  const SecretString ca_key = NewKey();
  const absl::StatusOr<std::string> ca_cert =
      CreateRootCaCertificate(ca_key, RootSpec());
  ASSERT_THAT(ca_cert, IsOk());
  absl::StatusOr<std::unique_ptr<CertificateSigner>> ca =
      CertificateSigner::Load(*ca_cert, ca_key);
  ASSERT_THAT(ca, IsOk());
  const SecretString leaf_key = NewKey();
  const absl::StatusOr<std::string> leaf =
      (*ca)->SignLeaf(leaf_key, LeafFor({"www.example.com"}));
  ASSERT_THAT(leaf, IsOk());

  EXPECT_THAT(CertificateSigner::Load(*leaf, leaf_key),
              StatusIs(kInvalid, HasSubstr("not a CA")));
}

TEST(CertificateSignerLoad, RejectsSelfSignedNonCaCertificates) {
  CertSpec v3_leaf;  // basicConstraints CA:FALSE
  const TestIdentity leaf = MakeCertificate(v3_leaf);
  EXPECT_THAT(CertificateSigner::Load(leaf.cert_pem,
                                      SecretString(leaf.key.private_key_pem)),
              StatusIs(kInvalid, HasSubstr("not a CA")));

  // No basicConstraints at all: OpenSSL's X509_check_ca() still calls a
  // self-signed v1 certificate a CA, but it cannot sign (no SKI for the
  // AKI) and is not what the error message promises.
  CertSpec v1_root;
  v1_root.x509_version = 1;
  v1_root.dns_names = {};
  const TestIdentity v1 = MakeCertificate(v1_root);
  EXPECT_THAT(CertificateSigner::Load(v1.cert_pem,
                                      SecretString(v1.key.private_key_pem)),
              StatusIs(kInvalid, HasSubstr("not a CA")));
}

TEST(CertificateSignerLoad, RejectsUnparsableInput) {
  const SecretString key = NewKey();
  const absl::StatusOr<std::string> cert =
      CreateRootCaCertificate(key, RootSpec());
  ASSERT_THAT(cert, IsOk());

  EXPECT_THAT(CertificateSigner::Load("not a certificate", key),
              StatusIs(kInvalid, HasSubstr("certificate")));
  EXPECT_THAT(CertificateSigner::Load(*cert, SecretString("not a key")),
              StatusIs(kInvalid, HasSubstr("key")));
}

// ---------------------------------------------------------------------------
// SignLeaf / SignIntermediate

class SignerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_key_ = NewKey();
    absl::StatusOr<std::string> cert =
        CreateRootCaCertificate(root_key_, RootSpec());
    ASSERT_THAT(cert, IsOk());
    root_pem_ = *cert;
    absl::StatusOr<std::unique_ptr<CertificateSigner>> signer =
        CertificateSigner::Load(root_pem_, root_key_);
    ASSERT_THAT(signer, IsOk());
    root_ = *std::move(signer);
    root_cert_ = ReadCert(root_pem_);
    ASSERT_NE(root_cert_, nullptr);
  }

  std::string SignLeafOk(const LeafSpec& spec,
                         const SecretString& key = NewKey()) {
    absl::StatusOr<std::string> pem = root_->SignLeaf(key, spec);
    EXPECT_THAT(pem, IsOk());
    return pem.ok() ? *pem : "";
  }

  SecretString root_key_;
  std::string root_pem_;
  std::unique_ptr<CertificateSigner> root_;
  X509Ptr root_cert_;
};

TEST_F(SignerTest, LeafHasSansInOrderAndFirstNameAsCommonName) {
  const SecretString key = NewKey();
  const std::string pem =
      SignLeafOk(LeafFor({"www.Example.com", "192.0.2.10", "*.example.com",
                          "2001:db8::1", "api.example.com"}),
                 key);
  X509Ptr leaf = ReadCert(pem);
  ASSERT_NE(leaf, nullptr);

  int san_critical = -1;
  EXPECT_THAT(
      SubjectAltNames(leaf.get(), &san_critical),
      ElementsAre("DNS:www.example.com", "IP:192.0.2.10", "DNS:*.example.com",
                  "IP:2001:db8::1", "DNS:api.example.com"));
  EXPECT_EQ(san_critical, 0);  // the subject is not empty
  EXPECT_EQ(CommonName(X509_get_subject_name(leaf.get())), "www.example.com");
  EXPECT_EQ(X509_NAME_entry_count(X509_get_subject_name(leaf.get())), 1);
  EXPECT_EQ(X509_NAME_cmp(X509_get_issuer_name(leaf.get()),
                          X509_get_subject_name(root_cert_.get())),
            0);
  EXPECT_EQ(X509_get_version(leaf.get()), X509_VERSION_3);
  PkeyPtr leaf_key = ReadKey(key);
  ASSERT_NE(leaf_key, nullptr);
  EXPECT_EQ(X509_check_private_key(leaf.get(), leaf_key.get()), 1);

  EXPECT_EQ(X509_check_host(leaf.get(), "www.example.com", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_host(leaf.get(), "shop.example.com", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(leaf.get(), "192.0.2.10", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(leaf.get(), "2001:db8::1", 0), 1);
  EXPECT_NE(X509_check_host(leaf.get(), "example.org", 0, 0, nullptr), 1);
}

TEST_F(SignerTest, LeafWithAnIpFirstUsesItAsCommonName) {
  X509Ptr leaf = ReadCert(SignLeafOk(LeafFor({"192.0.2.7", "a.example.com"})));
  ASSERT_NE(leaf, nullptr);
  EXPECT_EQ(CommonName(X509_get_subject_name(leaf.get())), "192.0.2.7");
}

TEST_F(SignerTest, LeafWithAFirstNameTooLongForTheCnHasOnlyCriticalSans) {
  const std::string long_name =
      std::string(60, 'a') + ".example.com";  // 72 > 64 characters
  X509Ptr leaf = ReadCert(SignLeafOk(LeafFor({long_name})));
  ASSERT_NE(leaf, nullptr);
  EXPECT_EQ(X509_NAME_entry_count(X509_get_subject_name(leaf.get())), 0);
  int san_critical = -1;
  EXPECT_THAT(SubjectAltNames(leaf.get(), &san_critical),
              ElementsAre("DNS:" + long_name));
  EXPECT_EQ(san_critical, 1);  // RFC 5280 4.2.1.6 for an empty subject
}

TEST_F(SignerTest, LeafIsAServerAuthEndEntity) {
  X509Ptr leaf = ReadCert(SignLeafOk(LeafFor({"www.example.com"})));
  ASSERT_NE(leaf, nullptr);

  const BasicConstraints bc = GetBasicConstraints(leaf.get());
  EXPECT_TRUE(bc.present);
  EXPECT_TRUE(bc.critical);
  EXPECT_FALSE(bc.ca);
  EXPECT_EQ(X509_check_ca(leaf.get()), 0);
  EXPECT_THAT(ExtendedKeyUsageNids(leaf.get()), ElementsAre(NID_server_auth));
  bool ku_critical = false;
  EXPECT_EQ(KeyUsage(leaf.get(), &ku_critical),
            static_cast<uint32_t>(KU_DIGITAL_SIGNATURE));
  EXPECT_TRUE(ku_critical);
}

TEST_F(SignerTest, RsaLeafAlsoAllowsKeyEncipherment) {
  const std::string pem =
      SignLeafOk(LeafFor({"www.example.com"}), NewKey(KeyType::kRsa2048));
  X509Ptr leaf = ReadCert(pem);
  ASSERT_NE(leaf, nullptr);
  bool ku_critical = false;
  EXPECT_EQ(KeyUsage(leaf.get(), &ku_critical),
            static_cast<uint32_t>(KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT));
  EXPECT_TRUE(ku_critical);
  EXPECT_EQ(VerifyChain(root_pem_, {}, pem), "ok");
}

TEST_F(SignerTest, LeafKeyIdentifiersChainToTheCa) {
  X509Ptr leaf = ReadCert(SignLeafOk(LeafFor({"www.example.com"})));
  ASSERT_NE(leaf, nullptr);

  const std::string ca_ski = SubjectKeyId(root_cert_.get());
  ASSERT_FALSE(ca_ski.empty());
  EXPECT_FALSE(SubjectKeyId(leaf.get()).empty());
  EXPECT_NE(SubjectKeyId(leaf.get()), ca_ski);
  EXPECT_EQ(AuthorityKeyId(leaf.get()), ca_ski);
}

// The issuance fast path (a held key, its point kept from generation, the
// certificate described from memory) yields what OpenSSL's general path
// would: the same key identifier method, fingerprint and PEM.
TEST_F(SignerTest, HeldKeyLeafMatchesOpenSslEncodings) {
  for (KeyType type : {KeyType::kEcdsaP256, KeyType::kEcdsaP384}) {
    absl::StatusOr<PrivateKey> key = GenerateKey(type);
    ASSERT_THAT(key, IsOk());
    ASSERT_FALSE(key->ec_public_point().empty());
    absl::StatusOr<CertificateInfo> info =
        root_->SignAndDescribeLeaf(*key, LeafFor({"held.example.com"}));
    ASSERT_THAT(info, IsOk());
    X509Ptr leaf = ReadCert(info->pem);
    ASSERT_NE(leaf, nullptr);

    // subjectKeyIdentifier: SHA-1 of the public key bits, as "hash" makes.
    unsigned char sha1[SHA_DIGEST_LENGTH];
    unsigned int sha1_length = 0;
    ASSERT_EQ(X509_pubkey_digest(leaf.get(), EVP_sha1(), sha1, &sha1_length),
              1);
    EXPECT_EQ(SubjectKeyId(leaf.get()),
              absl::BytesToHexString(absl::string_view(
                  reinterpret_cast<const char*>(sha1), sha1_length)));
    // The certificate carries the held key's public key.
    EXPECT_EQ(X509_check_private_key(leaf.get(), key->native()), 1);

    // PEM and fingerprint as OpenSSL writes and computes them.
    BioPtr bio(BIO_new(BIO_s_mem()));
    ASSERT_EQ(PEM_write_bio_X509(bio.get(), leaf.get()), 1);
    BUF_MEM* mem = nullptr;
    BIO_get_mem_ptr(bio.get(), &mem);
    EXPECT_EQ(info->pem, std::string(mem->data, mem->length));
    unsigned char sha256[EVP_MAX_MD_SIZE];
    unsigned int sha256_length = 0;
    ASSERT_EQ(X509_digest(leaf.get(), EVP_sha256(), sha256, &sha256_length), 1);
    EXPECT_EQ(info->sha256_fingerprint,
              absl::BytesToHexString(absl::string_view(
                  reinterpret_cast<const char*>(sha256), sha256_length)));
    EXPECT_EQ(VerifyChain(root_pem_, {}, info->pem), "ok");
  }
}

TEST_F(SignerTest, LeafValidityIsAsRequested) {
  const LeafSpec spec = LeafFor({"www.example.com"});
  X509Ptr leaf = ReadCert(SignLeafOk(spec));
  ASSERT_NE(leaf, nullptr);
  EXPECT_EQ(ASN1_TIME_cmp_time_t(X509_get0_notBefore(leaf.get()),
                                 absl::ToTimeT(spec.not_before)),
            0);
  EXPECT_EQ(ASN1_TIME_cmp_time_t(X509_get0_notAfter(leaf.get()),
                                 absl::ToTimeT(spec.not_after)),
            0);
}

TEST_F(SignerTest, LeafSerialIsPositive16BytesAndUnique) {
  X509Ptr first = ReadCert(SignLeafOk(LeafFor({"www.example.com"})));
  X509Ptr second = ReadCert(SignLeafOk(LeafFor({"www.example.com"})));
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  ExpectPositive16ByteSerial(first.get());
  ExpectPositive16ByteSerial(second.get());
  EXPECT_NE(ASN1_INTEGER_cmp(X509_get0_serialNumber(first.get()),
                             X509_get0_serialNumber(second.get())),
            0);
}

TEST_F(SignerTest, SerialsAreAlways16BytesAndNeverRepeat) {
  // A serial whose first random octet is 0x00 would be encoded in 15 bytes
  // (about 1 in 128 certificates). With 2000 certificates a generator that
  // allows it is caught with probability 1 - (127/128)^2000 > 0.9999998; a
  // correct one always passes.
  const SecretString key = NewKey();
  const LeafSpec spec = LeafFor({"www.example.com"});
  std::set<std::string> seen;
  for (int i = 0; i < 2000; ++i) {
    absl::StatusOr<std::string> pem = root_->SignLeaf(key, spec);
    ASSERT_THAT(pem, IsOk());
    X509Ptr cert = ReadCert(*pem);
    ASSERT_NE(cert, nullptr);
    const Serial serial = GetSerial(cert.get());
    ASSERT_FALSE(serial.negative);
    ASSERT_EQ(serial.bytes.size(), 16u) << "certificate " << i;
    ASSERT_TRUE(seen.insert(serial.bytes).second) << "repeated serial";
  }
}

TEST_F(SignerTest, LeafVerifiesAgainstTheCa) {
  const std::string leaf = SignLeafOk(LeafFor({"www.example.com"}));
  EXPECT_EQ(VerifyChain(root_pem_, {}, leaf), "ok");

  X509Ptr cert = ReadCert(leaf);
  ASSERT_NE(cert, nullptr);
  PkeyPtr ca_key = ReadKey(root_key_);
  ASSERT_NE(ca_key, nullptr);
  EXPECT_EQ(X509_verify(cert.get(), ca_key.get()), 1);
}

TEST_F(SignerTest, LeafDoesNotVerifyAgainstAnotherCa) {
  const absl::StatusOr<std::string> other_ca =
      CreateRootCaCertificate(NewKey(), RootSpec());
  ASSERT_THAT(other_ca, IsOk());
  const std::string leaf = SignLeafOk(LeafFor({"www.example.com"}));
  EXPECT_NE(VerifyChain(*other_ca, {}, leaf), "ok");
}

TEST_F(SignerTest, LeafAtTheCaNotAfterIsAccepted) {
  LeafSpec spec = LeafFor({"www.example.com"});
  spec.not_after = root_->not_after();
  X509Ptr leaf = ReadCert(SignLeafOk(spec));
  ASSERT_NE(leaf, nullptr);
  EXPECT_EQ(ASN1_TIME_compare(X509_get0_notAfter(leaf.get()),
                              X509_get0_notAfter(root_cert_.get())),
            0);
}

TEST_F(SignerTest, SignLeafRejectsInvalidSpecs) {
  const SecretString key = NewKey();

  EXPECT_THAT(root_->SignLeaf(key, LeafFor({})),
              StatusIs(kInvalid, HasSubstr("domains")));

  LeafSpec empty_validity = LeafFor({"www.example.com"});
  empty_validity.not_after = empty_validity.not_before;
  EXPECT_THAT(root_->SignLeaf(key, empty_validity),
              StatusIs(kInvalid, HasSubstr("validity")));

  LeafSpec reversed = LeafFor({"www.example.com"});
  std::swap(reversed.not_before, reversed.not_after);
  EXPECT_THAT(root_->SignLeaf(key, reversed),
              StatusIs(kInvalid, HasSubstr("validity")));

  LeafSpec too_long = LeafFor({"www.example.com"});
  too_long.not_after = root_->not_after() + absl::Seconds(1);
  EXPECT_THAT(root_->SignLeaf(key, too_long),
              StatusIs(kInvalid, HasSubstr("after the CA's own notAfter")));

  EXPECT_THAT(root_->SignLeaf(key, LeafFor({"www.example.com", "bad..name"})),
              StatusIs(kInvalid, HasSubstr("domains[1]: 'bad..name'")));

  EXPECT_THAT(
      root_->SignLeaf(SecretString("not a key"), LeafFor({"www.example.com"})),
      StatusIs(kInvalid, HasSubstr("key")));
}

CaCertificateSpec IntermediateSpec() {
  CaCertificateSpec spec;
  spec.common_name = "certferry test intermediate";
  spec.organization = "certferry";
  spec.not_before = Seconds(absl::Now() - absl::Minutes(30));
  spec.not_after = Seconds(absl::Now() + absl::Hours(24 * 180));
  spec.path_length = 0;
  return spec;
}

TEST_F(SignerTest, IntermediateIsACaIssuedByTheRoot) {
  const SecretString key = NewKey(KeyType::kEcdsaP384);
  const CaCertificateSpec spec = IntermediateSpec();
  const absl::StatusOr<std::string> pem = root_->SignIntermediate(key, spec);
  ASSERT_THAT(pem, IsOk());
  X509Ptr cert = ReadCert(*pem);
  ASSERT_NE(cert, nullptr);

  EXPECT_EQ(CommonName(X509_get_subject_name(cert.get())), spec.common_name);
  EXPECT_EQ(Organization(X509_get_subject_name(cert.get())), spec.organization);
  EXPECT_EQ(X509_NAME_cmp(X509_get_issuer_name(cert.get()),
                          X509_get_subject_name(root_cert_.get())),
            0);
  const BasicConstraints bc = GetBasicConstraints(cert.get());
  EXPECT_TRUE(bc.critical);
  EXPECT_TRUE(bc.ca);
  EXPECT_EQ(bc.path_length, 0);
  bool ku_critical = false;
  EXPECT_EQ(KeyUsage(cert.get(), &ku_critical),
            static_cast<uint32_t>(KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  EXPECT_TRUE(ku_critical);
  EXPECT_FALSE(SubjectKeyId(cert.get()).empty());
  EXPECT_NE(SubjectKeyId(cert.get()), SubjectKeyId(root_cert_.get()));
  EXPECT_EQ(AuthorityKeyId(cert.get()), SubjectKeyId(root_cert_.get()));
  ExpectPositive16ByteSerial(cert.get());
  PkeyPtr root_key = ReadKey(root_key_);
  ASSERT_NE(root_key, nullptr);
  EXPECT_EQ(X509_verify(cert.get(), root_key.get()), 1);
  EXPECT_EQ(VerifyChain(root_pem_, {}, *pem, /*purpose=*/0), "ok");
}

TEST_F(SignerTest, RootIntermediateLeafChainVerifies) {
  const SecretString intermediate_key = NewKey();
  const absl::StatusOr<std::string> intermediate_pem =
      root_->SignIntermediate(intermediate_key, IntermediateSpec());
  ASSERT_THAT(intermediate_pem, IsOk());
  absl::StatusOr<std::unique_ptr<CertificateSigner>> intermediate =
      CertificateSigner::Load(*intermediate_pem, intermediate_key);
  ASSERT_THAT(intermediate, IsOk());

  const absl::StatusOr<std::string> leaf_pem =
      (*intermediate)->SignLeaf(NewKey(), LeafFor({"www.example.com"}));
  ASSERT_THAT(leaf_pem, IsOk());
  X509Ptr leaf = ReadCert(*leaf_pem);
  X509Ptr intermediate_cert = ReadCert(*intermediate_pem);
  ASSERT_NE(leaf, nullptr);
  ASSERT_NE(intermediate_cert, nullptr);

  EXPECT_EQ(X509_NAME_cmp(X509_get_issuer_name(leaf.get()),
                          X509_get_subject_name(intermediate_cert.get())),
            0);
  EXPECT_EQ(AuthorityKeyId(leaf.get()), SubjectKeyId(intermediate_cert.get()));
  EXPECT_EQ(VerifyChain(root_pem_, {*intermediate_pem}, *leaf_pem), "ok");
  // Without the intermediate the leaf has no path to the root.
  EXPECT_NE(VerifyChain(root_pem_, {}, *leaf_pem), "ok");
}

TEST_F(SignerTest, IntermediatePathLengthIsEnforced) {
  CaCertificateSpec spec = IntermediateSpec();
  spec.path_length = 0;
  const SecretString first_key = NewKey();
  const absl::StatusOr<std::string> first_pem =
      root_->SignIntermediate(first_key, spec);
  ASSERT_THAT(first_pem, IsOk());
  absl::StatusOr<std::unique_ptr<CertificateSigner>> first =
      CertificateSigner::Load(*first_pem, first_key);
  ASSERT_THAT(first, IsOk());
  // pathlen:0 forbids a CA below it.
  const SecretString second_key = NewKey();
  spec.common_name = "certferry test second intermediate";
  const absl::StatusOr<std::string> second_pem =
      (*first)->SignIntermediate(second_key, spec);
  ASSERT_THAT(second_pem, IsOk());
  absl::StatusOr<std::unique_ptr<CertificateSigner>> second =
      CertificateSigner::Load(*second_pem, second_key);
  ASSERT_THAT(second, IsOk());
  const absl::StatusOr<std::string> leaf =
      (*second)->SignLeaf(NewKey(), LeafFor({"www.example.com"}));
  ASSERT_THAT(leaf, IsOk());

  EXPECT_EQ(VerifyChain(root_pem_, {*first_pem, *second_pem}, *leaf),
            X509_verify_cert_error_string(X509_V_ERR_PATH_LENGTH_EXCEEDED));
}

TEST_F(SignerTest, SignIntermediateRejectsInvalidSpecs) {
  const SecretString key = NewKey();

  CaCertificateSpec beyond_parent = IntermediateSpec();
  beyond_parent.not_after = root_->not_after() + absl::Seconds(1);
  EXPECT_THAT(root_->SignIntermediate(key, beyond_parent),
              StatusIs(kInvalid, HasSubstr("after the CA's own notAfter")));

  CaCertificateSpec at_parent = IntermediateSpec();
  at_parent.not_after = root_->not_after();
  EXPECT_THAT(root_->SignIntermediate(key, at_parent), IsOk());

  CaCertificateSpec no_name = IntermediateSpec();
  no_name.common_name = "";
  EXPECT_THAT(root_->SignIntermediate(key, no_name),
              StatusIs(kInvalid, HasSubstr("common_name")));

  CaCertificateSpec empty_validity = IntermediateSpec();
  empty_validity.not_after = empty_validity.not_before;
  EXPECT_THAT(root_->SignIntermediate(key, empty_validity),
              StatusIs(kInvalid, HasSubstr("validity")));

  EXPECT_THAT(
      root_->SignIntermediate(SecretString("not a key"), IntermediateSpec()),
      StatusIs(kInvalid, HasSubstr("key")));
}

// ---------------------------------------------------------------------------
// CRL distribution points and SignCrl

using CrlPtr = std::unique_ptr<X509_CRL, Deleter<X509_CRL, X509_CRL_free>>;
using DistPointsPtr =
    std::unique_ptr<CRL_DIST_POINTS,
                    Deleter<CRL_DIST_POINTS, CRL_DIST_POINTS_free>>;

// The URIs of the leaf's cRLDistributionPoints, in order.
std::vector<std::string> CrlDistributionPoints(X509* cert) {
  std::vector<std::string> out;
  DistPointsPtr points(static_cast<CRL_DIST_POINTS*>(
      X509_get_ext_d2i(cert, NID_crl_distribution_points, nullptr, nullptr)));
  if (points == nullptr) return out;
  for (int i = 0; i < sk_DIST_POINT_num(points.get()); ++i) {
    const DIST_POINT* point = sk_DIST_POINT_value(points.get(), i);
    if (point->distpoint == nullptr || point->distpoint->type != 0) continue;
    const GENERAL_NAMES* names = point->distpoint->name.fullname;
    for (int j = 0; j < sk_GENERAL_NAME_num(names); ++j) {
      const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, j);
      if (name->type != GEN_URI) continue;
      out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(
                           name->d.uniformResourceIdentifier)),
                       ASN1_STRING_length(name->d.uniformResourceIdentifier));
    }
  }
  return out;
}

CrlPtr ReadCrl(const std::string& der) {
  const auto* data = reinterpret_cast<const unsigned char*>(der.data());
  CrlPtr crl(d2i_X509_CRL(nullptr, &data, static_cast<long>(der.size())));
  EXPECT_NE(crl, nullptr) << "not a DER CRL";
  return crl;
}

std::string SerialHex(X509* cert) {
  BnPtr bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr));
  char* hex = BN_bn2hex(bn.get());
  std::string out(hex);
  OPENSSL_free(hex);
  return out;
}

// The reasonCode of the CRL's entry for `serial_hex`: -1 when the entry
// has none, -2 when the serial is not listed.
int ReasonOnCrl(X509_CRL* crl, const std::string& serial_hex) {
  BIGNUM* parsed = nullptr;
  BN_hex2bn(&parsed, serial_hex.c_str());
  BnPtr bn(parsed);
  ASN1_INTEGER* serial = BN_to_ASN1_INTEGER(bn.get(), nullptr);
  X509_REVOKED* entry = nullptr;
  const int found = X509_CRL_get0_by_serial(crl, &entry, serial);
  ASN1_INTEGER_free(serial);
  if (found != 1) return -2;
  ASN1_ENUMERATED* reason = static_cast<ASN1_ENUMERATED*>(
      X509_REVOKED_get_ext_d2i(entry, NID_crl_reason, nullptr, nullptr));
  if (reason == nullptr) return -1;
  const long code = ASN1_ENUMERATED_get(reason);
  ASN1_ENUMERATED_free(reason);
  return static_cast<int>(code);
}

// X509_verify_cert of `leaf_pem` against the root with CRL checking of the
// leaf and `crl`; "ok" or OpenSSL's error string.
std::string VerifyWithCrl(const std::string& root_pem,
                          const std::string& leaf_pem, X509_CRL* crl) {
  StorePtr store(X509_STORE_new());
  X509Ptr root = ReadCert(root_pem);
  X509Ptr leaf = ReadCert(leaf_pem);
  if (store == nullptr || root == nullptr || leaf == nullptr ||
      X509_STORE_add_cert(store.get(), root.get()) != 1 ||
      X509_STORE_add_crl(store.get(), crl) != 1) {
    return "setup failed";
  }
  X509_STORE_set_flags(store.get(), X509_V_FLAG_CRL_CHECK);
  StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (X509_STORE_CTX_init(ctx.get(), store.get(), leaf.get(), nullptr) != 1) {
    return "X509_STORE_CTX_init failed";
  }
  return X509_verify_cert(ctx.get()) == 1
             ? "ok"
             : X509_verify_cert_error_string(
                   X509_STORE_CTX_get_error(ctx.get()));
}

TEST_F(SignerTest, LeafCarriesTheCrlDistributionPointWhenAsked) {
  LeafSpec spec = LeafFor({"www.example.com"});
  X509Ptr plain = ReadCert(SignLeafOk(spec));
  ASSERT_NE(plain, nullptr);
  EXPECT_EQ(X509_get_ext_by_NID(plain.get(), NID_crl_distribution_points, -1),
            -1);

  // A comma would split the URI in OpenSSL's config syntax.
  spec.crl_distribution_point = "http://pki.example.com/a,b/crl/ca-1.crl";
  const std::string pem = SignLeafOk(spec);
  X509Ptr leaf = ReadCert(pem);
  ASSERT_NE(leaf, nullptr);
  EXPECT_THAT(CrlDistributionPoints(leaf.get()),
              ElementsAre("http://pki.example.com/a,b/crl/ca-1.crl"));
  const int index =
      X509_get_ext_by_NID(leaf.get(), NID_crl_distribution_points, -1);
  ASSERT_GE(index, 0);
  EXPECT_EQ(X509_EXTENSION_get_critical(X509_get_ext(leaf.get(), index)), 0);
  EXPECT_EQ(VerifyChain(root_pem_, {}, pem), "ok");
}

TEST_F(SignerTest, LeafRefusesACrlUriWithSpacesOrNonAscii) {
  LeafSpec spec = LeafFor({"www.example.com"});
  for (const char* uri :
       {"http://pki.example.com/a b.crl", "http://pki.exämple.com/ca.crl"}) {
    spec.crl_distribution_point = uri;
    EXPECT_THAT(root_->SignLeaf(NewKey(), spec),
                StatusIs(kInvalid, HasSubstr("crl_distribution_point")))
        << uri;
  }
}

TEST_F(SignerTest, CrlIsAV2CrlOfTheCaWithNumberAndReasons) {
  X509Ptr revoked = ReadCert(SignLeafOk(LeafFor({"old.example.com"})));
  ASSERT_NE(revoked, nullptr);
  const absl::Time now = Seconds(absl::Now());
  CrlSpec spec;
  spec.crl_number = 42;
  spec.this_update = now;
  spec.next_update = now + absl::Hours(24 * 7);
  spec.revoked = {{SerialHex(revoked.get()), now - absl::Hours(1), 1},
                  {"0A1B2C", now - absl::Hours(2), 0},
                  {"7F", now - absl::Hours(3), 4}};
  absl::StatusOr<std::string> der = root_->SignCrl(spec);
  ASSERT_THAT(der, IsOk());
  CrlPtr crl = ReadCrl(*der);
  ASSERT_NE(crl, nullptr);

  EXPECT_EQ(X509_CRL_get_version(crl.get()), X509_CRL_VERSION_2);
  EXPECT_EQ(X509_NAME_cmp(X509_CRL_get_issuer(crl.get()),
                          X509_get_subject_name(root_cert_.get())),
            0);
  PkeyPtr ca_key(X509_get_pubkey(root_cert_.get()));
  EXPECT_EQ(X509_CRL_verify(crl.get(), ca_key.get()), 1);
  EXPECT_EQ(ASN1_TIME_cmp_time_t(X509_CRL_get0_lastUpdate(crl.get()),
                                 absl::ToTimeT(spec.this_update)),
            0);
  EXPECT_EQ(ASN1_TIME_cmp_time_t(X509_CRL_get0_nextUpdate(crl.get()),
                                 absl::ToTimeT(spec.next_update)),
            0);

  ASN1_INTEGER* number = static_cast<ASN1_INTEGER*>(
      X509_CRL_get_ext_d2i(crl.get(), NID_crl_number, nullptr, nullptr));
  ASSERT_NE(number, nullptr);
  EXPECT_EQ(ASN1_INTEGER_get(number), 42);
  ASN1_INTEGER_free(number);
  AUTHORITY_KEYID* aki = static_cast<AUTHORITY_KEYID*>(X509_CRL_get_ext_d2i(
      crl.get(), NID_authority_key_identifier, nullptr, nullptr));
  ASSERT_NE(aki, nullptr);
  ASSERT_NE(aki->keyid, nullptr);
  EXPECT_EQ(Hex(aki->keyid), SubjectKeyId(root_cert_.get()));
  AUTHORITY_KEYID_free(aki);

  EXPECT_EQ(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl.get())), 3);
  EXPECT_EQ(ReasonOnCrl(crl.get(), SerialHex(revoked.get())), 1);
  EXPECT_EQ(ReasonOnCrl(crl.get(), "0A1B2C"), -1);  // unspecified: left out
  EXPECT_EQ(ReasonOnCrl(crl.get(), "7F"), 4);
  EXPECT_EQ(ReasonOnCrl(crl.get(), "0B"), -2);
}

TEST_F(SignerTest, OpenSslReportsTheLeafOnTheCrlAsRevoked) {
  const std::string revoked = SignLeafOk(LeafFor({"old.example.com"}));
  const std::string valid = SignLeafOk(LeafFor({"new.example.com"}));
  X509Ptr revoked_cert = ReadCert(revoked);
  ASSERT_NE(revoked_cert, nullptr);
  const absl::Time now = Seconds(absl::Now());
  CrlSpec spec;
  spec.crl_number = 1;
  spec.this_update = now - absl::Minutes(1);
  spec.next_update = now + absl::Hours(1);
  spec.revoked = {{SerialHex(revoked_cert.get()), now - absl::Minutes(1), 1}};
  absl::StatusOr<std::string> der = root_->SignCrl(spec);
  ASSERT_THAT(der, IsOk());
  CrlPtr crl = ReadCrl(*der);
  ASSERT_NE(crl, nullptr);

  EXPECT_EQ(VerifyWithCrl(root_pem_, revoked, crl.get()),
            X509_verify_cert_error_string(X509_V_ERR_CERT_REVOKED));
  EXPECT_EQ(VerifyWithCrl(root_pem_, valid, crl.get()), "ok");

  // An empty CRL revokes nothing.
  spec.crl_number = 2;
  spec.revoked.clear();
  der = root_->SignCrl(spec);
  ASSERT_THAT(der, IsOk());
  CrlPtr empty = ReadCrl(*der);
  ASSERT_NE(empty, nullptr);
  EXPECT_EQ(VerifyWithCrl(root_pem_, revoked, empty.get()), "ok");
}

TEST_F(SignerTest, SignCrlRejectsInvalidSpecs) {
  const absl::Time now = absl::Now();
  CrlSpec good;
  good.crl_number = 1;
  good.this_update = now;
  good.next_update = now + absl::Hours(1);
  ASSERT_THAT(root_->SignCrl(good), IsOk());

  CrlSpec spec = good;
  spec.crl_number = 0;
  EXPECT_THAT(root_->SignCrl(spec),
              StatusIs(kInvalid, HasSubstr("crl_number")));
  spec = good;
  spec.next_update = spec.this_update;
  EXPECT_THAT(root_->SignCrl(spec),
              StatusIs(kInvalid, HasSubstr("next_update")));
  spec = good;
  spec.revoked = {{"12G4", now, 0}};
  EXPECT_THAT(root_->SignCrl(spec),
              StatusIs(kInvalid, HasSubstr("revoked[0].serial_number")));
  spec.revoked = {{"", now, 0}};
  EXPECT_THAT(root_->SignCrl(spec),
              StatusIs(kInvalid, HasSubstr("revoked[0].serial_number")));
  spec.revoked = {{"0A", now, 1}, {"0B", now, 7}};
  EXPECT_THAT(root_->SignCrl(spec),
              StatusIs(kInvalid, HasSubstr("revoked[1].reason_code")));
}

}  // namespace
}  // namespace certferry::pki
