#include "targets/file_target.h"

#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pki/digest.h"
#include "tests/support/status_matchers.h"
#include "tests/support/test_pki.h"

namespace certferry::targets {
namespace {

using ::certferry::testing::IsOk;
using ::certferry::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void WriteFile(const std::string& path, const std::string& content,
               mode_t mode = 0644) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
  ASSERT_EQ(::chmod(path.c_str(), mode), 0);
}

mode_t ModeOf(const std::string& path) {
  struct stat st;
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

bool Exists(const std::string& path) {
  return ::access(path.c_str(), F_OK) == 0;
}

// Identity to deploy: leaf + intermediate chain and the leaf key.
struct Deployable {
  testing::TestChain chain;
  TargetContents contents;
};

Deployable MakeDeployable(const std::string& name) {
  Deployable d;
  d.chain = testing::MakeChain({name});
  d.contents.empty = false;
  d.contents.chain_pem = d.chain.fullchain_pem();
  d.contents.private_key_pem = SecretString(d.chain.leaf.key.private_key_pem);
  return d;
}

class FileTargetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = absl::StrCat(::testing::TempDir(), "filetarget-XXXXXX");
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    root_ = templ;
    dir_ = root_ + "/certs";
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  FileTargetConfig Config() const {
    FileTargetConfig config;
    config.directory = dir_;
    return config;
  }
  std::unique_ptr<FileTarget> Target(const FileTargetConfig& config) {
    auto target = FileTarget::Create(config);
    EXPECT_THAT(target, IsOk());
    return target.ok() ? *std::move(target) : nullptr;
  }
  // An executable /bin/sh script in the test's root directory.
  std::string Script(const std::string& name, const std::string& body) {
    const std::string path = root_ + "/" + name;
    WriteFile(path, "#!/bin/sh\n" + body + "\n", 0755);
    return path;
  }
  std::string chain_path() const { return dir_ + "/fullchain.pem"; }
  std::string key_path() const { return dir_ + "/privkey.pem"; }

  std::string root_;
  std::string dir_;
};

TEST_F(FileTargetTest, ApplyCreatesDirectoryAndFilesWithTheirModes) {
  const mode_t old_umask = ::umask(0);  // modes must not depend on the umask
  Deployable a = MakeDeployable("a.example.com");
  auto outcome = Target(Config())->Apply(a.contents);
  ::umask(old_umask);
  ASSERT_THAT(outcome, IsOk());
  EXPECT_EQ(ModeOf(dir_), 0750u);
  EXPECT_EQ(ModeOf(chain_path()), 0644u);
  EXPECT_EQ(ModeOf(key_path()), 0600u);
  EXPECT_EQ(ReadFile(chain_path()), a.contents.chain_pem);
  EXPECT_EQ(ReadFile(key_path()), a.chain.leaf.key.private_key_pem);
  // No temporary files left behind.
  int entries = 0;
  for ([[maybe_unused]] const auto& e :
       std::filesystem::directory_iterator(dir_)) {
    ++entries;
  }
  EXPECT_EQ(entries, 2);
}

TEST_F(FileTargetTest, ApplyReplacesExistingFilesAndTightensTheirModes) {
  ASSERT_EQ(::mkdir(dir_.c_str(), 0755), 0);
  WriteFile(chain_path(), "old chain", 0666);
  WriteFile(key_path(), "old key", 0666);
  Deployable a = MakeDeployable("a.example.com");
  ASSERT_THAT(Target(Config())->Apply(a.contents), IsOk());
  EXPECT_EQ(ReadFile(chain_path()), a.contents.chain_pem);
  EXPECT_EQ(ModeOf(key_path()), 0600u);
  EXPECT_EQ(ModeOf(chain_path()), 0644u);
}

TEST_F(FileTargetTest, ApplySetsConfiguredOwnerAndGroup) {
  FileTargetConfig config = Config();
  // As root the files can be given away; otherwise only to ourselves.
  if (::geteuid() == 0) {
    config.owner = "nobody";
    config.group = "nogroup";
  } else {
    config.owner = ::getpwuid(::geteuid())->pw_name;
    config.group = ::getgrgid(::getegid())->gr_name;
  }
  ASSERT_THAT(Target(config)->Apply(MakeDeployable("a.example.com").contents),
              IsOk());
  struct stat st;
  ASSERT_EQ(::stat(key_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, ::getpwnam(config.owner.c_str())->pw_uid);
  EXPECT_EQ(st.st_gid, ::getgrnam(config.group.c_str())->gr_gid);
  ASSERT_EQ(::stat(dir_.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, ::getpwnam(config.owner.c_str())->pw_uid);
}

TEST_F(FileTargetTest, ReadCurrentReturnsWhatApplyWroteWithLeafFingerprint) {
  Deployable a = MakeDeployable("a.example.com");
  auto target = Target(Config());
  ASSERT_THAT(target->Apply(a.contents), IsOk());
  auto current = target->ReadCurrent();
  ASSERT_THAT(current, IsOk());
  EXPECT_FALSE(current->empty);
  EXPECT_EQ(current->chain_pem, a.contents.chain_pem);
  EXPECT_EQ(current->private_key_pem.Reveal(),
            a.chain.leaf.key.private_key_pem);
  EXPECT_EQ(current->leaf_sha256, pki::Sha256Hex(a.chain.leaf.cert_der));
}

TEST_F(FileTargetTest, ReadCurrentOfMissingFilesIsEmpty) {
  auto current = Target(Config())->ReadCurrent();
  ASSERT_THAT(current, IsOk());
  EXPECT_TRUE(current->empty);
  EXPECT_TRUE(current->chain_pem.empty());
  EXPECT_TRUE(current->leaf_sha256.empty());
}

TEST_F(FileTargetTest, ReadCurrentReportsHalfDeployedTarget) {
  Deployable a = MakeDeployable("a.example.com");
  ASSERT_EQ(::mkdir(dir_.c_str(), 0750), 0);
  WriteFile(chain_path(), a.contents.chain_pem);
  auto current = Target(Config())->ReadCurrent();
  ASSERT_THAT(current, IsOk());
  EXPECT_FALSE(current->empty);
  EXPECT_EQ(current->chain_pem, a.contents.chain_pem);
  EXPECT_TRUE(current->private_key_pem.empty());
  EXPECT_EQ(current->leaf_sha256, pki::Sha256Hex(a.chain.leaf.cert_der));
}

TEST_F(FileTargetTest, ReadCurrentOfUnparsableChainHasNoFingerprint) {
  ASSERT_EQ(::mkdir(dir_.c_str(), 0750), 0);
  WriteFile(chain_path(), "not a certificate");
  WriteFile(key_path(), "not a key", 0600);
  auto current = Target(Config())->ReadCurrent();
  ASSERT_THAT(current, IsOk());
  EXPECT_EQ(current->chain_pem, "not a certificate");
  EXPECT_TRUE(current->leaf_sha256.empty());
}

TEST_F(FileTargetTest, EmptyContentsRemoveBothFiles) {
  auto target = Target(Config());
  ASSERT_THAT(target->Apply(MakeDeployable("a.example.com").contents), IsOk());
  ASSERT_TRUE(Exists(key_path()));
  ASSERT_THAT(target->Apply(TargetContents{}), IsOk());
  EXPECT_FALSE(Exists(chain_path()));
  EXPECT_FALSE(Exists(key_path()));
  auto current = target->ReadCurrent();
  ASSERT_THAT(current, IsOk());
  EXPECT_TRUE(current->empty);
}

TEST_F(FileTargetTest, SuccessfulReloadRunsAfterFilesAreInPlace) {
  FileTargetConfig config = Config();
  // The reload sees the new files: it copies them where the test can look.
  config.reload_command = {
      Script("reload.sh", absl::StrCat("cp ", chain_path(), " ", root_,
                                       "/seen.pem && echo reloaded"))};
  Deployable a = MakeDeployable("a.example.com");
  auto outcome = Target(config)->Apply(a.contents);
  ASSERT_THAT(outcome, IsOk());
  EXPECT_EQ(outcome->output, "reloaded");
  EXPECT_EQ(ReadFile(root_ + "/seen.pem"), a.contents.chain_pem);
}

TEST_F(FileTargetTest, FailedReloadRestoresPreviousFilesByteForByte) {
  // Previous files written by someone else, with content Apply would never
  // produce itself, so the restore must be a byte copy.
  ASSERT_EQ(::mkdir(dir_.c_str(), 0750), 0);
  Deployable a = MakeDeployable("a.example.com");
  const std::string old_chain = "# hand-made\r\n" + a.contents.chain_pem;
  const std::string old_key = a.chain.leaf.key.private_key_pem + "\n\n";
  WriteFile(chain_path(), old_chain);
  WriteFile(key_path(), old_key, 0600);

  Deployable b = MakeDeployable("b.example.com");
  const std::string runs = root_ + "/runs";
  FileTargetConfig config = Config();
  // Fails only while B is in place, and counts its runs.
  const std::string b_copy = root_ + "/b.pem";
  WriteFile(b_copy, b.contents.chain_pem);
  config.reload_command = {Script(
      "reload.sh",
      absl::StrCat("echo run >> ", runs, "\nif cmp -s ", chain_path(), " ",
                   b_copy, "; then\n  echo 'ssl: bad certificate' >&2\n",
                   "  exit 3\nfi\necho back on the old files"))};
  auto outcome = Target(config)->Apply(b.contents);
  EXPECT_THAT(outcome, StatusIs(absl::StatusCode::kFailedPrecondition,
                                AllOf(HasSubstr("reload_command"),
                                      HasSubstr("exit status 3"),
                                      HasSubstr("ssl: bad certificate"),
                                      HasSubstr("previous files were restored"),
                                      HasSubstr("and reloaded"),
                                      Not(HasSubstr("PRIVATE KEY")))));
  EXPECT_EQ(ReadFile(chain_path()), old_chain);
  EXPECT_EQ(ReadFile(key_path()), old_key);
  EXPECT_EQ(ModeOf(key_path()), 0600u);
  // Once with B (failed), once more to go back to the restored files.
  EXPECT_EQ(ReadFile(runs), "run\nrun\n");
}

TEST_F(FileTargetTest, FailedReloadOnFirstDeploymentRemovesTheNewFiles) {
  FileTargetConfig config = Config();
  config.reload_command = {"/bin/false"};
  auto outcome =
      Target(config)->Apply(MakeDeployable("a.example.com").contents);
  EXPECT_THAT(outcome, StatusIs(absl::StatusCode::kFailedPrecondition,
                                AllOf(HasSubstr("exit status 1"),
                                      HasSubstr("reloading them failed too"))));
  EXPECT_FALSE(Exists(chain_path()));
  EXPECT_FALSE(Exists(key_path()));
}

TEST_F(FileTargetTest, FailedCheckRestoresAndDoesNotReload) {
  Deployable a = MakeDeployable("a.example.com");
  auto target = Target(Config());
  ASSERT_THAT(target->Apply(a.contents), IsOk());

  FileTargetConfig config = Config();
  config.check_command = {
      Script("check.sh", "echo 'key values mismatch' >&2; exit 1")};
  const std::string reloaded = root_ + "/reloaded";
  config.reload_command = {Script("reload.sh", "touch " + reloaded)};
  auto outcome =
      Target(config)->Apply(MakeDeployable("b.example.com").contents);
  EXPECT_THAT(outcome, StatusIs(absl::StatusCode::kFailedPrecondition,
                                AllOf(HasSubstr("check_command"),
                                      HasSubstr("exit status 1"),
                                      HasSubstr("key values mismatch"))));
  EXPECT_EQ(ReadFile(chain_path()), a.contents.chain_pem);
  EXPECT_EQ(ReadFile(key_path()), a.chain.leaf.key.private_key_pem);
  EXPECT_FALSE(Exists(reloaded));
}

TEST_F(FileTargetTest, ReloadTimeoutKillsProcessGroupAndRestores) {
  Deployable a = MakeDeployable("a.example.com");
  ASSERT_THAT(Target(Config())->Apply(a.contents), IsOk());
  const std::string pid_file = root_ + "/sleeper.pid";
  FileTargetConfig config = Config();
  // A reload that hangs, with a grandchild that must die with it; quick on
  // the second run (the restore) so the test shows the rerun as well.
  const std::string marker = root_ + "/hung-once";
  config.reload_command = {Script(
      "reload.sh",
      absl::StrCat("if [ -e ", marker, " ]; then exit 0; fi\ntouch ", marker,
                   "\necho going to hang\nsleep 60 &\necho $! > ", pid_file,
                   "\nwait"))};
  config.reload_timeout = absl::Milliseconds(500);
  const absl::Time start = absl::Now();
  auto outcome =
      Target(config)->Apply(MakeDeployable("b.example.com").contents);
  EXPECT_LT(absl::Now() - start, absl::Seconds(20));
  EXPECT_THAT(outcome,
              StatusIs(absl::StatusCode::kDeadlineExceeded,
                       AllOf(HasSubstr("timed out"), HasSubstr("going to hang"),
                             HasSubstr("and reloaded"))));
  EXPECT_EQ(ReadFile(chain_path()), a.contents.chain_pem);
  const int sleeper = std::stoi(ReadFile(pid_file));
  // Killed with the group: gone, or a zombie awaiting its new parent.
  const std::string stat = ReadFile(absl::StrCat("/proc/", sleeper, "/stat"));
  EXPECT_TRUE(stat.empty() || stat.find(") Z ") != std::string::npos) << stat;
}

TEST_F(FileTargetTest, ReloadThatCannotExecuteRestores) {
  Deployable a = MakeDeployable("a.example.com");
  ASSERT_THAT(Target(Config())->Apply(a.contents), IsOk());
  FileTargetConfig config = Config();
  const std::string script = Script("reload.sh", "exit 0");
  config.reload_command = {script};
  auto target = Target(config);
  ASSERT_EQ(::chmod(script.c_str(), 0644), 0);  // no longer executable
  auto outcome = target->Apply(MakeDeployable("b.example.com").contents);
  EXPECT_THAT(outcome, StatusIs(absl::StatusCode::kFailedPrecondition,
                                HasSubstr("could not run")));
  EXPECT_EQ(ReadFile(chain_path()), a.contents.chain_pem);
}

TEST(ValidateFileTargetConfigTest, AcceptsDefaultsWithAbsoluteDirectory) {
  FileTargetConfig config;
  config.directory = "/etc/nginx/certs";
  config.reload_command = {"nginx", "-s", "reload"};  // found on PATH
  EXPECT_THAT(ValidateFileTargetConfig(config), IsOk());
}

TEST(ValidateFileTargetConfigTest, NamesTheBadField) {
  const auto invalid = [](void (*change)(FileTargetConfig&)) {
    FileTargetConfig config;
    config.directory = "/etc/nginx/certs";
    change(config);
    return ValidateFileTargetConfig(config);
  };
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  EXPECT_THAT(invalid([](FileTargetConfig& c) { c.directory = "certs"; }),
              StatusIs(kInvalid,
                       AllOf(HasSubstr("directory: "), HasSubstr("absolute"))));
  EXPECT_THAT(
      invalid([](FileTargetConfig& c) { c.chain_file = "sub/fullchain.pem"; }),
      StatusIs(kInvalid, HasSubstr("chain_file: ")));
  EXPECT_THAT(invalid([](FileTargetConfig& c) { c.key_file = ".."; }),
              StatusIs(kInvalid, HasSubstr("key_file: ")));
  EXPECT_THAT(invalid([](FileTargetConfig& c) { c.key_file = c.chain_file; }),
              StatusIs(kInvalid, HasSubstr("key_file: ")));
  EXPECT_THAT(
      invalid([](FileTargetConfig& c) { c.owner = "no-such-user-certferry"; }),
      StatusIs(kInvalid, HasSubstr("owner: ")));
  EXPECT_THAT(
      invalid([](FileTargetConfig& c) { c.group = "no-such-group-certferry"; }),
      StatusIs(kInvalid, HasSubstr("group: ")));
  EXPECT_THAT(invalid([](FileTargetConfig& c) {
                c.reload_command = {"no-such-program-certferry"};
              }),
              StatusIs(kInvalid, AllOf(HasSubstr("reload_command[0]: "),
                                       HasSubstr("PATH"))));
  EXPECT_THAT(invalid([](FileTargetConfig& c) {
                c.check_command = {"/no/such/nginx", "-t"};
              }),
              StatusIs(kInvalid, HasSubstr("check_command[0]: ")));
  EXPECT_THAT(invalid([](FileTargetConfig& c) {
                c.reload_timeout = absl::ZeroDuration();
              }),
              StatusIs(kInvalid, HasSubstr("reload_timeout: ")));
  EXPECT_THAT(
      invalid([](FileTargetConfig& c) { c.reload_timeout = absl::Hours(1); }),
      StatusIs(kInvalid, HasSubstr("reload_timeout: ")));
}

TEST(FileTargetCreateTest, RejectsInvalidConfig) {
  FileTargetConfig config;
  config.directory = "relative";
  EXPECT_THAT(
      FileTarget::Create(config),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("directory: ")));
}

}  // namespace
}  // namespace certferry::targets
