#include "pki/es256_key.h"

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

TEST(Es256Key, SignaturesAreRawRAndSVerifiableWithThePublicKey) {
  absl::StatusOr<SecretString> pem = GeneratePrivateKey(KeyType::kEcdsaP256);
  ASSERT_THAT(pem, IsOk());
  absl::StatusOr<Es256Key> key = Es256Key::Parse("account_key", *pem);
  ASSERT_THAT(key, IsOk());

  for (const std::string data : {"", "eyJhbGciOiJFUzI1NiJ9.e30", "x"}) {
    absl::StatusOr<std::string> signature = key->Sign(data);
    ASSERT_THAT(signature, IsOk());
    EXPECT_EQ(signature->size(), 64u);
    EXPECT_TRUE(testing::VerifyEs256(pem->Reveal(), data, *signature)) << data;
    EXPECT_FALSE(testing::VerifyEs256(pem->Reveal(), data + "!", *signature));
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
