#include "pki/key_generation.h"

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace certferry::pki {
namespace {

using ::certferry::testing::IsOk;
using ::certferry::testing::IsOkAndHolds;
using ::certferry::testing::StatusIs;
using ::testing::AllOf;
using ::testing::Eq;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;

using PkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

// The key in `pem`, or null when it is not a PEM private key.
PkeyPtr ReadKey(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  return PkeyPtr(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr),
                 EVP_PKEY_free);
}

// True when `pem` parses as an unencrypted PKCS#8 PrivateKeyInfo.
bool IsPkcs8Pem(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  PKCS8_PRIV_KEY_INFO* info =
      PEM_read_bio_PKCS8_PRIV_KEY_INFO(bio.get(), nullptr, nullptr, nullptr);
  PKCS8_PRIV_KEY_INFO_free(info);
  return info != nullptr;
}

// The NID of an EC key's curve; NID_undef for other keys.
int CurveNid(EVP_PKEY* key) {
  char name[80] = {};
  size_t len = 0;
  if (EVP_PKEY_get_group_name(key, name, sizeof(name), &len) != 1) {
    return NID_undef;
  }
  const int nid = OBJ_txt2nid(name);  // "prime256v1", "secp384r1"
  return nid != NID_undef ? nid : EC_curve_nist2nid(name);  // "P-256"
}

struct KeyTypeCase {
  KeyType type;
  const char* name;
  int base_id;    // EVP_PKEY_EC or EVP_PKEY_RSA
  int bits;       // EVP_PKEY_get_bits
  int curve_nid;  // NID_undef for RSA
};

const KeyTypeCase kKeyTypeCases[] = {
    {KeyType::kEcdsaP256, "ecdsa-p256", EVP_PKEY_EC, 256, NID_X9_62_prime256v1},
    {KeyType::kEcdsaP384, "ecdsa-p384", EVP_PKEY_EC, 384, NID_secp384r1},
    {KeyType::kRsa2048, "rsa-2048", EVP_PKEY_RSA, 2048, NID_undef},
    {KeyType::kRsa3072, "rsa-3072", EVP_PKEY_RSA, 3072, NID_undef},
    {KeyType::kRsa4096, "rsa-4096", EVP_PKEY_RSA, 4096, NID_undef},
};

class KeyTypeTest : public ::testing::TestWithParam<KeyTypeCase> {};

INSTANTIATE_TEST_SUITE_P(AllKeyTypes, KeyTypeTest,
                         ::testing::ValuesIn(kKeyTypeCases),
                         [](const ::testing::TestParamInfo<KeyTypeCase>& info) {
                           std::string name = info.param.name;
                           name.erase(
                               std::remove(name.begin(), name.end(), '-'),
                               name.end());
                           return name;
                         });

TEST_P(KeyTypeTest, ParsesCanonicalName) {
  EXPECT_THAT(ParseKeyType("key_type", GetParam().name),
              IsOkAndHolds(Eq(GetParam().type)));
}

TEST_P(KeyTypeTest, ParsesNameCaseInsensitively) {
  const std::string upper = absl::AsciiStrToUpper(GetParam().name);
  EXPECT_THAT(ParseKeyType("key_type", upper),
              IsOkAndHolds(Eq(GetParam().type)));
  std::string mixed = GetParam().name;
  mixed[0] = absl::ascii_toupper(mixed[0]);
  mixed[mixed.size() - 1] = absl::ascii_toupper(mixed[mixed.size() - 1]);
  EXPECT_THAT(ParseKeyType("key_type", mixed),
              IsOkAndHolds(Eq(GetParam().type)));
}

TEST_P(KeyTypeTest, KeyTypeNameIsCanonicalAndRoundTrips) {
  EXPECT_EQ(KeyTypeName(GetParam().type), GetParam().name);
  EXPECT_THAT(ParseKeyType("key_type", KeyTypeName(GetParam().type)),
              IsOkAndHolds(Eq(GetParam().type)));
}

TEST_P(KeyTypeTest, GeneratesPkcs8PemOfTheRightAlgorithmAndSize) {
  const absl::StatusOr<SecretString> pem = GeneratePrivateKey(GetParam().type);
  ASSERT_THAT(pem, IsOk());

  EXPECT_THAT(pem->Reveal(), StartsWith("-----BEGIN PRIVATE KEY-----\n"));
  EXPECT_TRUE(IsPkcs8Pem(pem->Reveal())) << "not PKCS#8 PrivateKeyInfo";
  PkeyPtr key = ReadKey(pem->Reveal());
  ASSERT_NE(key, nullptr) << "not a parsable PEM private key";
  EXPECT_EQ(EVP_PKEY_get_base_id(key.get()), GetParam().base_id);
  EXPECT_EQ(EVP_PKEY_get_bits(key.get()), GetParam().bits);
  EXPECT_EQ(CurveNid(key.get()), GetParam().curve_nid);
}

TEST(ParseKeyType, RejectsUnknownNamesNamingTheFieldAndAcceptedNames) {
  for (const char* name :
       {"", "rsa", "rsa-1024", "rsa2048", "rsa_2048", " rsa-2048", "rsa-2048 ",
        "ecdsa-p521", "ecdsa", "p256", "ed25519", "ecdsa-p256x"}) {
    SCOPED_TRACE(name);
    EXPECT_THAT(ParseKeyType("spec.key_type", name),
                StatusIs(kInvalid,
                         AllOf(StartsWith("spec.key_type: "),
                               HasSubstr(std::string("'") + name + "'"),
                               HasSubstr("ecdsa-p256"), HasSubstr("ecdsa-p384"),
                               HasSubstr("rsa-2048"), HasSubstr("rsa-3072"),
                               HasSubstr("rsa-4096"))));
  }
}

TEST(GeneratePrivateKey, TwoKeysDiffer) {
  for (KeyType type : {KeyType::kEcdsaP256, KeyType::kRsa2048}) {
    SCOPED_TRACE(KeyTypeName(type));
    const absl::StatusOr<SecretString> first = GeneratePrivateKey(type);
    const absl::StatusOr<SecretString> second = GeneratePrivateKey(type);
    ASSERT_THAT(first, IsOk());
    ASSERT_THAT(second, IsOk());
    EXPECT_NE(first->Reveal(), second->Reveal());
    PkeyPtr a = ReadKey(first->Reveal());
    PkeyPtr b = ReadKey(second->Reveal());
    ASSERT_NE(a, nullptr);
    ASSERT_NE(b, nullptr);
    // Different public keys, not only a different encoding.
    EXPECT_NE(EVP_PKEY_eq(a.get(), b.get()), 1);
  }
}

// The PEM of generated EC keys is built without OpenSSL's encoder; it must
// be exactly what OpenSSL writes for the same key, and hold that key.
TEST(GenerateKey, EcPemIsByteForByteOpenSslsPkcs8) {
  for (KeyType type : {KeyType::kEcdsaP256, KeyType::kEcdsaP384}) {
    for (int i = 0; i < 300; ++i) {  // covers scalars with leading zero bytes
      auto key = GenerateKey(type);
      ASSERT_THAT(key, IsOk());
      std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()),
                                                    BIO_free);
      ASSERT_EQ(PEM_write_bio_PrivateKey(bio.get(), key->native(), nullptr,
                                         nullptr, 0, nullptr, nullptr),
                1);
      char* data = nullptr;
      const long length = BIO_get_mem_data(bio.get(), &data);
      ASSERT_EQ(key->pem().Reveal(), std::string(data, length))
          << KeyTypeName(type) << " key " << i;
      PkeyPtr parsed = ReadKey(key->pem().Reveal());
      ASSERT_NE(parsed, nullptr);
      EXPECT_EQ(EVP_PKEY_eq(parsed.get(), key->native()), 1);
    }
  }
}

}  // namespace
}  // namespace certferry::pki
