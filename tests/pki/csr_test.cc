#include "pki/csr.h"

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pki/key_generation.h"
#include "tests/support/status_matchers.h"

namespace certferry::pki {
namespace {

using ::certferry::testing::IsOk;
using ::certferry::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

using ReqPtr = std::unique_ptr<X509_REQ, decltype(&X509_REQ_free)>;

ReqPtr ParseDer(const std::string& der) {
  const auto* cursor = reinterpret_cast<const unsigned char*>(der.data());
  return ReqPtr(d2i_X509_REQ(nullptr, &cursor, static_cast<long>(der.size())),
                X509_REQ_free);
}

std::vector<std::string> SanDnsNames(X509_REQ* request) {
  std::vector<std::string> names;
  STACK_OF(X509_EXTENSION)* extensions = X509_REQ_get_extensions(request);
  const int index = X509v3_get_ext_by_NID(extensions, NID_subject_alt_name, -1);
  if (index >= 0) {
    auto* general_names = static_cast<GENERAL_NAMES*>(
        X509V3_EXT_d2i(X509v3_get_ext(extensions, index)));
    for (int i = 0; i < sk_GENERAL_NAME_num(general_names); ++i) {
      const GENERAL_NAME* name = sk_GENERAL_NAME_value(general_names, i);
      if (name->type != GEN_DNS) continue;
      names.emplace_back(
          reinterpret_cast<const char*>(ASN1_STRING_get0_data(name->d.dNSName)),
          ASN1_STRING_length(name->d.dNSName));
    }
    GENERAL_NAMES_free(general_names);
  }
  sk_X509_EXTENSION_pop_free(extensions, X509_EXTENSION_free);
  return names;
}

std::string CommonName(X509_REQ* request) {
  char cn[256] = {0};
  X509_NAME_get_text_by_NID(X509_REQ_get_subject_name(request), NID_commonName,
                            cn, sizeof(cn));
  return cn;
}

TEST(CreateCsrDer, SignedByTheKeyWithEveryNameInTheSan) {
  for (KeyType type :
       {KeyType::kEcdsaP256, KeyType::kEcdsaP384, KeyType::kRsa2048}) {
    absl::StatusOr<PrivateKey> key = GenerateKey(type);
    ASSERT_THAT(key, IsOk());
    absl::StatusOr<std::string> der =
        CreateCsrDer(*key, {"Www.Example.com", "*.example.com", "example.com"});
    ASSERT_THAT(der, IsOk());
    ReqPtr request = ParseDer(*der);
    ASSERT_NE(request, nullptr);
    EXPECT_EQ(X509_REQ_verify(request.get(), key->native()), 1);
    EXPECT_EQ(EVP_PKEY_eq(X509_REQ_get0_pubkey(request.get()), key->native()),
              1);
    EXPECT_THAT(SanDnsNames(request.get()),
                ElementsAre("www.example.com", "*.example.com", "example.com"));
    EXPECT_EQ(CommonName(request.get()), "www.example.com");
  }
}

TEST(CreateCsrDer, LongFirstNameStaysOutOfTheSubject) {
  absl::StatusOr<PrivateKey> key = GenerateKey(KeyType::kEcdsaP256);
  ASSERT_THAT(key, IsOk());
  const std::string long_name =
      std::string(60, 'a') + ".example.com";  // 72 characters
  absl::StatusOr<std::string> der = CreateCsrDer(*key, {long_name});
  ASSERT_THAT(der, IsOk());
  ReqPtr request = ParseDer(*der);
  ASSERT_NE(request, nullptr);
  EXPECT_EQ(CommonName(request.get()), "");
  EXPECT_THAT(SanDnsNames(request.get()), ElementsAre(long_name));
}

TEST(CreateCsrDer, RejectsBadNamesNamingTheIndex) {
  absl::StatusOr<PrivateKey> key = GenerateKey(KeyType::kEcdsaP256);
  ASSERT_THAT(key, IsOk());
  EXPECT_THAT(
      CreateCsrDer(*key, {}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("dns_names")));
  EXPECT_THAT(
      CreateCsrDer(*key, {"ok.example.com", "a..b"}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("dns_names[1]")));
  EXPECT_THAT(
      CreateCsrDer(*key, {"192.0.2.1"}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("dns_names[0]")));
}

}  // namespace
}  // namespace certferry::pki
