// DiagnoseBundle through DiagnosisApi with a real PostgreSQL: a bundle given
// as files, a stored certificate (its key opened from the sealed copy) and a
// file target's directory, each diagnosed with the catalog's ids; bad input
// is refused naming the field.

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/diagnosis_api.h"
#include "tests/support/service_stack.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_pki.h"

namespace certferry::service {
namespace {

using ::certferry::testing::IsOk;
using ::certferry::testing::StatusIs;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

std::vector<std::string> Ids(const v1::DiagnosisReport& report) {
  std::vector<std::string> ids;
  for (const v1::Finding& f : report.findings()) ids.push_back(f.id());
  return ids;
}

class DiagnosisApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto stack = testing::ServiceStack::Create();
    ASSERT_THAT(stack, IsOk());
    stack_ = *std::move(stack);
    api_ = std::make_unique<DiagnosisApi>(stack_->db(), stack_->keys());
  }

  std::unique_ptr<testing::ServiceStack> stack_;
  std::unique_ptr<DiagnosisApi> api_;
};

TEST_F(DiagnosisApiTest, FilesWithTheWrongKeyAreAKeyMismatch) {
  const testing::TestChain chain = testing::MakeChain({"shop.example.com"});
  const testing::TestKey other = testing::GenerateTestKey();
  v1::DiagnoseBundleRequest request;
  request.mutable_files()->set_chain_pem(chain.fullchain_pem());
  request.mutable_files()->set_private_key_pem(other.private_key_pem);
  request.add_intended_domains("shop.example.com");
  request.set_trust_bundle_pem(chain.root.cert_pem);
  auto report = api_->DiagnoseBundle(request);
  ASSERT_THAT(report, IsOk());
  EXPECT_THAT(Ids(*report), Contains("KEY_MISMATCH"));
  EXPECT_THAT(Ids(*report), Contains("CHAIN_TRUSTED"));
  EXPECT_EQ(report->worst(), v1::SEVERITY_CRITICAL);
  EXPECT_EQ(report->findings(0).severity(), v1::SEVERITY_CRITICAL);
  ASSERT_EQ(report->chain_size(), 2);
  EXPECT_THAT(report->chain(0).dns_names(), Contains("shop.example.com"));
  // Key material never comes back.
  for (const v1::Finding& f : report->findings()) {
    EXPECT_THAT(f.evidence(), Not(HasSubstr("PRIVATE KEY")));
  }
}

TEST_F(DiagnosisApiTest, StoredCertificateIsDiagnosedWithItsSealedKey) {
  auto imported = stack_->ImportFor("shop", {"shop.example.com"});
  ASSERT_THAT(imported, IsOk());
  v1::DiagnoseBundleRequest request;
  request.mutable_certificate()->set_id(imported->id);
  auto report = api_->DiagnoseBundle(request);
  ASSERT_THAT(report, IsOk());
  // The key matches (no KEY_MISMATCH); its own domains are checked.
  EXPECT_THAT(Ids(*report), Not(Contains("KEY_MISMATCH")));
  EXPECT_THAT(Ids(*report), Contains("HOSTNAME_MATCH"));
  // The test CA is not trusted unless asked.
  EXPECT_THAT(Ids(*report), Contains("CHAIN_UNTRUSTED_ISSUER"));
}

TEST_F(DiagnosisApiTest, FileTargetWithAWorldReadableKey) {
  const std::string dir = ::testing::TempDir() + "/diagnosis-target";
  std::filesystem::create_directories(dir);
  const testing::TestChain chain = testing::MakeChain({"shop.example.com"});
  std::ofstream(dir + "/fullchain.pem") << chain.fullchain_pem();
  std::ofstream(dir + "/privkey.pem") << chain.leaf.key.private_key_pem;
  std::filesystem::permissions(dir + "/privkey.pem",
                               std::filesystem::perms(0644));
  v1::CreateTargetRequest create;
  create.mutable_target()->set_name("web");
  create.mutable_target()->mutable_file()->set_directory(dir);
  create.mutable_target()->mutable_file()->add_reload_command("/bin/true");
  create.mutable_target()->add_domains("shop.example.com");
  ASSERT_THAT(stack_->targets().CreateTarget(create), IsOk());

  v1::DiagnoseBundleRequest request;
  request.set_file_target("web");
  auto report = api_->DiagnoseBundle(request);
  ASSERT_THAT(report, IsOk());
  EXPECT_THAT(Ids(*report), Contains("KEY_FILE_TOO_OPEN"));
  EXPECT_THAT(Ids(*report), Contains("HOSTNAME_MATCH"));
  std::filesystem::remove_all(dir);
}

TEST_F(DiagnosisApiTest, BadInputNamesTheField) {
  EXPECT_THAT(
      api_->DiagnoseBundle({}).status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("source")));
  v1::DiagnoseBundleRequest bad_trust;
  bad_trust.mutable_files()->set_chain_pem(
      testing::MakeChain().fullchain_pem());
  bad_trust.set_trust_bundle_pem("not a certificate");
  EXPECT_THAT(api_->DiagnoseBundle(bad_trust).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("trust_bundle_pem")));
  v1::DiagnoseBundleRequest big;
  big.mutable_files()->set_chain_pem(std::string(2 << 20, 'A'));
  EXPECT_THAT(api_->DiagnoseBundle(big).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("files.chain_pem")));
  v1::DiagnoseBundleRequest unknown;
  unknown.mutable_certificate()->set_id("5f0b3c2e-1d2a-4e5f-9a8b-7c6d5e4f3a2b");
  EXPECT_THAT(api_->DiagnoseBundle(unknown).status(),
              StatusIs(absl::StatusCode::kNotFound));
  v1::DiagnoseBundleRequest bad_domain;
  bad_domain.mutable_files()->set_chain_pem(
      testing::MakeChain().fullchain_pem());
  bad_domain.add_intended_domains("https://shop.example.com/");
  EXPECT_THAT(api_->DiagnoseBundle(bad_domain).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("intended_domains[0]")));
}

}  // namespace
}  // namespace certferry::service
