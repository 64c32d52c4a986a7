// FileTarget and the endpoint probe against Debian's nginx on loopback:
// deploy, reload, verify what is served, and refuse a broken certificate.

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pki/digest.h"
#include "targets/endpoint_probe.h"
#include "targets/file_target.h"
#include "tests/support/nginx_server.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_pki.h"

namespace certferry::targets {
namespace {

using ::certferry::testing::IsOk;
using ::certferry::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::SizeIs;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

struct Deployable {
  testing::TestChain chain;
  TargetContents contents;
  std::string leaf_sha256;
};

Deployable MakeDeployable(const std::string& name) {
  Deployable d;
  d.chain = testing::MakeChain({name});
  d.contents.empty = false;
  d.contents.chain_pem = d.chain.fullchain_pem();
  d.contents.private_key_pem = SecretString(d.chain.leaf.key.private_key_pem);
  d.leaf_sha256 = pki::Sha256Hex(d.chain.leaf.cert_der);
  return d;
}

class NginxFileTargetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = absl::StrCat(::testing::TempDir(), "nginxft-XXXXXX");
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    root_ = templ;
    dir_ = root_ + "/certs";
    auto server = testing::NginxServer::Create(dir_);
    ASSERT_THAT(server, IsOk());
    nginx_ = *std::move(server);

    // nginx cannot start without certificate files: the first deployment
    // writes them with no reload, then nginx starts on them.
    FileTargetConfig initial;
    initial.directory = dir_;
    auto target = FileTarget::Create(initial);
    ASSERT_THAT(target, IsOk());
    ASSERT_THAT((*target)->Apply(a_.contents), IsOk());
    ASSERT_THAT(nginx_->Start(), IsOk());
  }
  void TearDown() override {
    nginx_.reset();
    std::filesystem::remove_all(root_);
  }

  FileTargetConfig Config(bool with_check) const {
    FileTargetConfig config;
    config.directory = dir_;
    if (with_check) config.check_command = nginx_->CheckCommand();
    config.reload_command = nginx_->ReloadCommand();
    return config;
  }
  VerifyEndpoint Endpoint() const {
    return {"127.0.0.1", nginx_->port(), "a.example.com"};
  }

  std::string root_;
  std::string dir_;
  std::unique_ptr<testing::NginxServer> nginx_;
  Deployable a_ = MakeDeployable("a.example.com");
};

TEST_F(NginxFileTargetTest, FetchReturnsTheDeployedChain) {
  auto served = FetchServedCertificate(Endpoint(), absl::Seconds(10));
  ASSERT_THAT(served, IsOk());
  EXPECT_EQ(served->leaf_sha256, a_.leaf_sha256);
  ASSERT_THAT(served->chain, SizeIs(2));
  EXPECT_EQ(served->chain[0].sha256, a_.leaf_sha256);
  EXPECT_EQ(served->chain[0].pem, a_.chain.leaf.cert_pem);
  EXPECT_EQ(served->chain[1].sha256,
            pki::Sha256Hex(a_.chain.intermediate.cert_der));
  EXPECT_THAT(served->chain[0].subject, HasSubstr("CN=a.example.com"));
  EXPECT_EQ(served->chain[0].issuer, served->chain[1].subject);
  EXPECT_GT(served->chain[0].not_after, absl::Now());
  EXPECT_THAT(served->protocol, HasSubstr("TLSv1."));
  EXPECT_FALSE(served->cipher.empty());
}

TEST_F(NginxFileTargetTest, ApplyWithReloadServesTheNewCertificate) {
  auto target = FileTarget::Create(Config(/*with_check=*/true));
  ASSERT_THAT(target, IsOk());
  Deployable b = MakeDeployable("b.example.com");
  ASSERT_THAT((*target)->Apply(b.contents), IsOk());
  // The reload signal returns before the workers switch over.
  auto served = WaitForServedLeaf(Endpoint(), b.leaf_sha256, absl::Seconds(20),
                                  absl::Milliseconds(50));
  ASSERT_THAT(served, IsOk());
  EXPECT_THAT(served->chain[0].subject, HasSubstr("CN=b.example.com"));
  auto current = (*target)->ReadCurrent();
  ASSERT_THAT(current, IsOk());
  EXPECT_EQ(current->leaf_sha256, b.leaf_sha256);
}

TEST_F(NginxFileTargetTest, KeyNotMatchingCertificateFailsCheckAndKeepsOld) {
  const std::string chain_before = ReadFile(dir_ + "/fullchain.pem");
  const std::string key_before = ReadFile(dir_ + "/privkey.pem");
  auto target = FileTarget::Create(Config(/*with_check=*/true));
  ASSERT_THAT(target, IsOk());
  Deployable b = MakeDeployable("b.example.com");
  TargetContents broken = b.contents;
  broken.private_key_pem = a_.contents.private_key_pem;

  auto outcome = (*target)->Apply(broken);
  EXPECT_THAT(
      outcome,
      StatusIs(absl::StatusCode::kFailedPrecondition,
               AllOf(HasSubstr("check_command"), HasSubstr("exit status 1"),
                     HasSubstr("key values mismatch"),
                     HasSubstr("previous files were restored"))));
  EXPECT_EQ(ReadFile(dir_ + "/fullchain.pem"), chain_before);
  EXPECT_EQ(ReadFile(dir_ + "/privkey.pem"), key_before);
  EXPECT_TRUE(nginx_->Running());
  auto served = FetchServedCertificate(Endpoint(), absl::Seconds(10));
  ASSERT_THAT(served, IsOk());
  EXPECT_EQ(served->leaf_sha256, a_.leaf_sha256);
}

TEST_F(NginxFileTargetTest, RemovingFilesNginxNeedsFailsCheckAndRestores) {
  auto target = FileTarget::Create(Config(/*with_check=*/true));
  ASSERT_THAT(target, IsOk());
  EXPECT_THAT((*target)->Apply(TargetContents{}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("check_command")));
  auto current = (*target)->ReadCurrent();
  ASSERT_THAT(current, IsOk());
  EXPECT_EQ(current->leaf_sha256, a_.leaf_sha256);
}

// Pins nginx 1.22's behaviour: `nginx -s reload` parses the whole
// configuration, certificates included, before it signals the master, so a
// mismatched key fails the reload command itself (exit 1) even without a
// check command; the target then restores and reloads the old files.
TEST_F(NginxFileTargetTest, ReloadAloneRejectsKeyMismatchAndRestores) {
  auto target = FileTarget::Create(Config(/*with_check=*/false));
  ASSERT_THAT(target, IsOk());
  Deployable b = MakeDeployable("b.example.com");
  TargetContents broken = b.contents;
  broken.private_key_pem = a_.contents.private_key_pem;

  EXPECT_THAT(
      (*target)->Apply(broken),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               AllOf(HasSubstr("reload_command"), HasSubstr("exit status 1"),
                     HasSubstr("key values mismatch"),
                     HasSubstr("restored and reloaded"))));
  auto current = (*target)->ReadCurrent();
  ASSERT_THAT(current, IsOk());
  EXPECT_EQ(current->chain_pem, a_.contents.chain_pem);
  EXPECT_EQ(current->private_key_pem.Reveal(),
            a_.contents.private_key_pem.Reveal());
  EXPECT_TRUE(nginx_->Running());
  EXPECT_THAT(WaitForServedLeaf(Endpoint(), a_.leaf_sha256, absl::Seconds(10),
                                absl::Milliseconds(50)),
              IsOk());
}

// Files changed but the server not reloaded (the field's "forgot to
// reload"): only the probe shows the deployment did not take effect.
TEST_F(NginxFileTargetTest, ProbeShowsCertificateNotTakenIntoUse) {
  FileTargetConfig no_reload;
  no_reload.directory = dir_;
  auto target = FileTarget::Create(no_reload);
  ASSERT_THAT(target, IsOk());
  Deployable b = MakeDeployable("b.example.com");
  ASSERT_THAT((*target)->Apply(b.contents), IsOk());

  auto served =
      WaitForServedLeaf(Endpoint(), b.leaf_sha256, absl::Milliseconds(500),
                        absl::Milliseconds(100));
  EXPECT_THAT(served, StatusIs(absl::StatusCode::kFailedPrecondition,
                               AllOf(HasSubstr(a_.leaf_sha256),
                                     HasSubstr(b.leaf_sha256),
                                     HasSubstr("CN=a.example.com"))));
}

}  // namespace
}  // namespace certferry::targets
