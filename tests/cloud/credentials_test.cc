#include "cloud/credentials.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace certferry::cloud {
namespace {

using ::certferry::testing::IsOk;
using ::certferry::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return
      [vars = std::move(vars)](const char* name) -> std::optional<std::string> {
        auto it = vars.find(name);
        if (it == vars.end()) return std::nullopt;
        return it->second;
      };
}

TEST(CredentialsFromEnvironment, ReadsIdSecretAndToken) {
  absl::StatusOr<Credentials> c = CredentialsFromEnvironment(
      FakeEnv({{"ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIid"},
               {"ALIBABA_CLOUD_ACCESS_KEY_SECRET", "s3cret"},
               {"ALIBABA_CLOUD_SECURITY_TOKEN", "tok"}}));
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->access_key_id, "LTAIid");
  EXPECT_EQ(c->access_key_secret.Reveal(), "s3cret");
  ASSERT_TRUE(c->security_token.has_value());
  EXPECT_EQ(c->security_token->Reveal(), "tok");
  std::ostringstream printed;
  printed << c->access_key_secret;
  EXPECT_EQ(printed.str(), "[redacted]");
}

TEST(CredentialsFromEnvironment, NamesTheMissingVariable) {
  EXPECT_THAT(
      CredentialsFromEnvironment(
          FakeEnv({{"ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIid"}})),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("ALIBABA_CLOUD_ACCESS_KEY_SECRET is not set")));
  EXPECT_THAT(
      CredentialsFromEnvironment(
          FakeEnv({{"ALIBABA_CLOUD_ACCESS_KEY_SECRET", "s3cret"}})),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("ALIBABA_CLOUD_ACCESS_KEY_ID is not set"),
                     Not(HasSubstr("s3cret")))));
  EXPECT_THAT(CredentialsFromEnvironment(FakeEnv({})),
              StatusIs(absl::StatusCode::kNotFound));
}

constexpr char kIni[] = R"(# Alibaba credentials
[default]
type = access_key
access_key_id = defaultid
access_key_secret = defaultsecret

[sts-profile]
type = sts
access_key_id = STS.id
access_key_secret = stssecret
security_token = ststoken

[broken]
type = access_key
access_key_id = brokenid

[weird]
type = ecs_ram_role
)";

TEST(ParseCredentialsIni, ReadsTheRequestedProfile) {
  absl::StatusOr<Credentials> d = ParseCredentialsIni(kIni, "default", "f");
  ASSERT_THAT(d, IsOk());
  EXPECT_EQ(d->access_key_id, "defaultid");
  EXPECT_EQ(d->access_key_secret.Reveal(), "defaultsecret");
  EXPECT_FALSE(d->security_token.has_value());

  absl::StatusOr<Credentials> s = ParseCredentialsIni(kIni, "sts-profile", "f");
  ASSERT_THAT(s, IsOk());
  EXPECT_EQ(s->access_key_id, "STS.id");
  EXPECT_EQ(s->security_token->Reveal(), "ststoken");
}

TEST(ParseCredentialsIni, ErrorsNameProfileAndKey) {
  EXPECT_THAT(
      ParseCredentialsIni(kIni, "broken", "/h/.alibabacloud/credentials"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("/h/.alibabacloud/credentials"),
                     HasSubstr("[broken]"),
                     HasSubstr("access_key_secret is missing"))));
  EXPECT_THAT(ParseCredentialsIni(kIni, "weird", "f"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("ecs_ram_role: unsupported")));
  EXPECT_THAT(ParseCredentialsIni(kIni, "nope", "f"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("[nope]")));
}

class TempHome : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ =
        std::filesystem::temp_directory_path() /
        absl::StrCat(
            "cf-cred-", getpid(), "-",
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(home_ / ".alibabacloud");
  }
  void TearDown() override { std::filesystem::remove_all(home_); }
  void WriteCredentials(const std::string& text) {
    std::ofstream(home_ / ".alibabacloud" / "credentials") << text;
  }
  std::filesystem::path home_;
};

TEST_F(TempHome, EnvironmentWinsOverTheFile) {
  WriteCredentials(kIni);
  absl::StatusOr<Credentials> c = LoadDefaultCredentials(
      "", FakeEnv({{"HOME", home_.string()},
                   {"ALIBABA_CLOUD_ACCESS_KEY_ID", "envid"},
                   {"ALIBABA_CLOUD_ACCESS_KEY_SECRET", "envsecret"}}));
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->access_key_id, "envid");
}

TEST_F(TempHome, FallsBackToTheFileAndProfile) {
  WriteCredentials(kIni);
  absl::StatusOr<Credentials> d =
      LoadDefaultCredentials("", FakeEnv({{"HOME", home_.string()}}));
  ASSERT_THAT(d, IsOk());
  EXPECT_EQ(d->access_key_id, "defaultid");
  absl::StatusOr<Credentials> p = LoadDefaultCredentials(
      "", FakeEnv({{"HOME", home_.string()},
                   {"ALIBABA_CLOUD_PROFILE", "sts-profile"}}));
  ASSERT_THAT(p, IsOk());
  EXPECT_EQ(p->access_key_id, "STS.id");
}

TEST_F(TempHome, NothingAnywhereNamesBothPlaces) {
  EXPECT_THAT(LoadDefaultCredentials("", FakeEnv({{"HOME", home_.string()}})),
              StatusIs(absl::StatusCode::kNotFound,
                       AllOf(HasSubstr("ALIBABA_CLOUD_ACCESS_KEY_ID"),
                             HasSubstr(".alibabacloud/credentials"))));
}

}  // namespace
}  // namespace certferry::cloud
