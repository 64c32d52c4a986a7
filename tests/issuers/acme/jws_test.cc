// JWS, JWK and key authorizations, checked with OpenSSL and nlohmann-json
// rather than with the code under test.

#include "issuers/acme/jws.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include <memory>
#include <string>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "pki/key_generation.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_pki.h"

namespace certferry::issuers::acme {
namespace {

using ::certferry::testing::IsOk;
using ::testing::HasSubstr;
using ::testing::Not;

using PkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

std::string Unbase64Url(const std::string& text) {
  std::string out;
  EXPECT_TRUE(absl::WebSafeBase64Unescape(text, &out)) << text;
  return out;
}

PkeyPtr ReadKey(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  return PkeyPtr(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr),
                 EVP_PKEY_free);
}

std::string Coordinate(EVP_PKEY* key, const char* param) {
  BIGNUM* value = nullptr;
  EVP_PKEY_get_bn_param(key, param, &value);
  std::string bytes(32, '\0');
  BN_bn2binpad(value, reinterpret_cast<unsigned char*>(bytes.data()), 32);
  BN_free(value);
  return bytes;
}

std::string Sha256(const std::string& data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
         digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof(digest));
}

class JwsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<SecretString> pem =
        pki::GeneratePrivateKey(pki::KeyType::kEcdsaP256);
    ASSERT_THAT(pem, IsOk());
    pem_ = pem->Reveal();
    absl::StatusOr<pki::Es256Key> key = pki::Es256Key::Parse("key", *pem);
    ASSERT_THAT(key, IsOk());
    key_.emplace(*std::move(key));
    openssl_key_ = ReadKey(pem_);
    ASSERT_NE(openssl_key_, nullptr);
  }

  std::string pem_;
  std::optional<pki::Es256Key> key_;
  PkeyPtr openssl_key_{nullptr, EVP_PKEY_free};
};

TEST(Base64Url, UsesTheUrlAlphabetWithoutPadding) {
  EXPECT_EQ(Base64Url(""), "");
  EXPECT_EQ(Base64Url("f"), "Zg");
  EXPECT_EQ(Base64Url("fo"), "Zm8");
  EXPECT_EQ(Base64Url(std::string("\xfb\xff\xbf", 3)), "-_-_");
}

TEST_F(JwsTest, JwkIsCanonicalWithTheKeysCoordinates) {
  const std::string jwk = PublicJwk(*key_);
  const std::string x =
      Base64Url(Coordinate(openssl_key_.get(), OSSL_PKEY_PARAM_EC_PUB_X));
  const std::string y =
      Base64Url(Coordinate(openssl_key_.get(), OSSL_PKEY_PARAM_EC_PUB_Y));
  // RFC 7638 §3.2: required members only, sorted, no whitespace.
  EXPECT_EQ(jwk, R"({"crv":"P-256","kty":"EC","x":")" + x + R"(","y":")" + y +
                     R"("})");
  EXPECT_EQ(nlohmann::json::parse(jwk).dump(), jwk);
  EXPECT_EQ(JwkThumbprint(*key_), Base64Url(Sha256(jwk)));
  EXPECT_EQ(JwkThumbprint(*key_).size(), 43u);
}

TEST_F(JwsTest, KeyAuthorizationAndDnsValue) {
  const std::string authorization = KeyAuthorization("tok_en-1", "thumb");
  EXPECT_EQ(authorization, "tok_en-1.thumb");
  EXPECT_EQ(Dns01RecordValue(authorization),
            Base64Url(Sha256("tok_en-1.thumb")));
}

TEST_F(JwsTest, NewAccountStyleJwsCarriesTheJwkAndVerifies) {
  absl::StatusOr<std::string> body =
      SignJws(*key_, {.url = "https://ca/new-acct", .nonce = "n1", .kid = ""},
              R"({"termsOfServiceAgreed":true})");
  ASSERT_THAT(body, IsOk());
  const nlohmann::json jws = nlohmann::json::parse(*body);
  const nlohmann::json header =
      nlohmann::json::parse(Unbase64Url(jws["protected"]));
  EXPECT_EQ(header["alg"], "ES256");
  EXPECT_EQ(header["nonce"], "n1");
  EXPECT_EQ(header["url"], "https://ca/new-acct");
  EXPECT_FALSE(header.contains("kid"));
  EXPECT_EQ(header["jwk"].dump(), PublicJwk(*key_));
  EXPECT_EQ(Unbase64Url(jws["payload"]), R"({"termsOfServiceAgreed":true})");
  EXPECT_TRUE(testing::VerifyEs256(pem_,
                                   jws["protected"].get<std::string>() + "." +
                                       jws["payload"].get<std::string>(),
                                   Unbase64Url(jws["signature"])));
  EXPECT_THAT(*body, Not(HasSubstr("=")));
}

TEST_F(JwsTest, PostAsGetUsesKidAndAnEmptyPayload) {
  absl::StatusOr<std::string> body = SignJws(
      *key_,
      {.url = "https://ca/order/1", .nonce = "n2", .kid = "https://ca/acct/7"},
      "");
  ASSERT_THAT(body, IsOk());
  const nlohmann::json jws = nlohmann::json::parse(*body);
  const nlohmann::json header =
      nlohmann::json::parse(Unbase64Url(jws["protected"]));
  EXPECT_EQ(header["kid"], "https://ca/acct/7");
  EXPECT_FALSE(header.contains("jwk"));
  EXPECT_EQ(jws["payload"], "");
  EXPECT_TRUE(testing::VerifyEs256(pem_,
                                   jws["protected"].get<std::string>() + ".",
                                   Unbase64Url(jws["signature"])));
}

}  // namespace
}  // namespace certferry::issuers::acme
