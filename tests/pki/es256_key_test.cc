#include "pki/es256_key.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pki/key_generation.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_pki.h"

namespace certferry::pki {
namespace {

using ::certferry::testing::IsOk;
using ::certferry::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

using PkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

PkeyPtr ReadKey(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  return PkeyPtr(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr),
                 EVP_PKEY_free);
}

// Verifies a JWS-style r || s signature with OpenSSL's own ECDSA verifier.
bool VerifiesRaw(EVP_PKEY* key, const std::string& data,
                 const std::string& raw) {
  if (raw.size() != 64) return false;
  ECDSA_SIG* sig = ECDSA_SIG_new();
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  ECDSA_SIG_set0(sig, BN_bin2bn(bytes, 32, nullptr),
                 BN_bin2bn(bytes + 32, 32, nullptr));
  unsigned char* der = nullptr;
  const int der_length = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok =
      EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
      EVP_DigestVerify(ctx, der, der_length,
                       reinterpret_cast<const unsigned char*>(data.data()),
                       data.size()) == 1;
  EVP_MD_CTX_free(ctx);
  OPENSSL_free(der);
  return ok;
}

TEST(Es256Key, SignaturesAreRawRAndSVerifiableWithThePublicKey) {
  absl::StatusOr<SecretString> pem = GeneratePrivateKey(KeyType::kEcdsaP256);
  ASSERT_THAT(pem, IsOk());
  absl::StatusOr<Es256Key> key = Es256Key::Parse("account_key", *pem);
  ASSERT_THAT(key, IsOk());
  PkeyPtr openssl_key = ReadKey(pem->Reveal());
  ASSERT_NE(openssl_key, nullptr);

  for (const std::string data : {"", "eyJhbGciOiJFUzI1NiJ9.e30", "x"}) {
    absl::StatusOr<std::string> signature = key->Sign(data);
    ASSERT_THAT(signature, IsOk());
    EXPECT_EQ(signature->size(), 64u);
    EXPECT_TRUE(VerifiesRaw(openssl_key.get(), data, *signature)) << data;
    EXPECT_FALSE(VerifiesRaw(openssl_key.get(), data + "!", *signature));
  }
}

TEST(Es256Key, CoordinatesAreThePublicPoint) {
  absl::StatusOr<PrivateKey> generated = GenerateKey(KeyType::kEcdsaP256);
  ASSERT_THAT(generated, IsOk());
  absl::StatusOr<Es256Key> key = Es256Key::Parse("k", generated->pem());
  ASSERT_THAT(key, IsOk());
  // The generator keeps 0x04 || X || Y.
  EXPECT_EQ(std::string(1, '\x04') + key->x() + key->y(),
            generated->ec_public_point());
}

TEST(Es256Key, AcceptsTraditionalEcKeys) {
  const testing::TestKey key =
      testing::GenerateTestKey(testing::TestKeyType::kEcdsaP256);
  EXPECT_THAT(
      Es256Key::Parse("k", SecretString(testing::TraditionalPrivateKeyPem(
                               key.private_key_pem))),
      IsOk());
}

TEST(Es256Key, RejectsOtherKeysNamingTheField) {
  const testing::TestKey p384 =
      testing::GenerateTestKey(testing::TestKeyType::kEcdsaP384);
  EXPECT_THAT(
      Es256Key::Parse("account_key", SecretString(p384.private_key_pem)),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("account_key: "), HasSubstr("P-256"))));
  const testing::TestKey rsa =
      testing::GenerateTestKey(testing::TestKeyType::kRsa2048);
  EXPECT_THAT(Es256Key::Parse("account_key", SecretString(rsa.private_key_pem)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(Es256Key, RejectsGarbageAndEncryptedKeysWithoutEchoingThem) {
  const std::string garbage = "-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n";
  EXPECT_THAT(
      Es256Key::Parse("account_key", SecretString(garbage)),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("account_key: "), Not(HasSubstr("c2VjcmV0")))));
  const testing::TestKey key =
      testing::GenerateTestKey(testing::TestKeyType::kEcdsaP256);
  EXPECT_THAT(
      Es256Key::Parse("account_key", SecretString(testing::EncryptPrivateKeyPem(
                                         key.private_key_pem, "passphrase"))),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unencrypted")));
}

}  // namespace
}  // namespace certferry::pki
