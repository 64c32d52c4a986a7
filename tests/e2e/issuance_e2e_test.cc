// End to end issuance with the real certferryd: the CLI issues and waits,
// `openssl verify` accepts the result for the names asked for, and a worker
// process killed with SIGKILL mid-run loses nothing and duplicates nothing.

#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <fstream>
#include <regex>

#include "absl/strings/str_cat.h"
#include "certferry/v1/certificate_service.grpc.pb.h"
#include "certferry/v1/operations.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/daemon.h"
#include "tests/support/status_matchers.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_database.h"
#include "tests/support/wait_for.h"

namespace certferry {
namespace {

using ::certferry::testing::IsOk;
using ::testing::HasSubstr;

std::string TempPath(const std::string& name) {
  return absl::StrCat(::testing::TempDir(), "certferry-issue-", getpid(), "-",
                      name);
}

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
}

void Deadline(grpc::ClientContext* context, int seconds = 30) {
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::seconds(seconds));
}

TEST(IssuanceE2e, CliIssuesAndOpensslVerifiesTheChainForTheNames) {
  testing::Daemon daemon;
  daemon.binary = CERTFERRYD_PATH;
  ASSERT_THAT(testing::StartNewDaemon(&daemon, {"--bootstrap_ca=e2e-root"}),
              IsOk());
  auto issued = testing::RunProgram({CERTFERRY_CLI_PATH, "--server",
                                     daemon.address(), "issue", "--name", "web",
                                     "--domain", "web.example.com", "--domain",
                                     "*.api.example.com", "--wait"});
  ASSERT_THAT(issued, IsOk());
  ASSERT_EQ(issued->exit_code, 0) << issued->output;
  EXPECT_THAT(issued->output, HasSubstr("succeeded"));
  std::smatch match;
  ASSERT_TRUE(std::regex_search(issued->output, match,
                                std::regex(R"(id:\s+([0-9a-f-]{36}))")))
      << issued->output;

  auto root =
      testing::RunProgram({CERTFERRY_CLI_PATH, "--server", daemon.address(),
                           "ca", "get", "e2e-root", "--root"});
  ASSERT_THAT(root, IsOk());
  ASSERT_EQ(root->exit_code, 0) << root->output;
  const std::string root_file = TempPath("root.pem");
  WriteFile(root_file, root->output);

  // The chain is what `issue --wait` itself printed, as a user would save
  // it; it must equal the stored chain.
  const size_t pem_start = issued->output.find("-----BEGIN CERTIFICATE-----");
  ASSERT_NE(pem_start, std::string::npos) << issued->output;
  const std::string printed_chain = issued->output.substr(pem_start);
  EXPECT_EQ(printed_chain.find("PRIVATE KEY"), std::string::npos);
  auto stub = v1::CertificateService::NewStub(grpc::CreateChannel(
      daemon.address(), grpc::InsecureChannelCredentials()));
  v1::GetCertificateRequest get;
  get.set_id(match[1]);
  v1::Certificate certificate;
  grpc::ClientContext context;
  Deadline(&context);
  ASSERT_TRUE(stub->GetCertificate(&context, get, &certificate).ok());
  EXPECT_EQ(printed_chain, certificate.version().chain_pem());
  const std::string chain_file = TempPath("chain.pem");
  WriteFile(chain_file, printed_chain);

  for (const char* host : {"web.example.com", "v2.api.example.com"}) {
    auto verify = testing::RunProgram({"/usr/bin/openssl", "verify", "-CAfile",
                                       root_file, "-verify_hostname", host,
                                       "-purpose", "sslserver", chain_file});
    ASSERT_THAT(verify, IsOk());
    EXPECT_EQ(verify->exit_code, 0) << host << ": " << verify->output;
    EXPECT_THAT(verify->output, HasSubstr(": OK"));
  }
  auto wrong = testing::RunProgram({"/usr/bin/openssl", "verify", "-CAfile",
                                    root_file, "-verify_hostname",
                                    "other.example.org", chain_file});
  ASSERT_THAT(wrong, IsOk());
  EXPECT_NE(wrong->exit_code, 0);

  // Bad input from the CLI: the rule and the name, and no operation.
  auto bad = testing::RunProgram({CERTFERRY_CLI_PATH, "--server",
                                  daemon.address(), "issue", "--name", "bad",
                                  "--domain", "a.*.example.com"});
  ASSERT_THAT(bad, IsOk());
  EXPECT_EQ(bad->exit_code, 1);
  EXPECT_THAT(bad->output, HasSubstr("INVALID_ARGUMENT: domains[0]"));
}

// certferryd renews by itself: a one-hour certificate whose policy renews
// at a tenth of its lifetime (1.5 minutes after issuance, with the CA's
// five-minute backdate) gets a new version from the daemon's own scheduler
// and workers, and the CLI shows expiring certificates with their renewal
// state and sets policies.
TEST(IssuanceE2e, DaemonRenewsAndCliShowsExpiringCertificates) {
  testing::Daemon daemon;
  daemon.binary = CERTFERRYD_PATH;
  ASSERT_THAT(testing::StartNewDaemon(&daemon, {"--bootstrap_ca=renew-root",
                                                "--renewal_scan_interval=1s"}),
              IsOk());
  auto cli = [&](std::vector<std::string> args) {
    args.insert(args.begin(),
                {CERTFERRY_CLI_PATH, "--server", daemon.address()});
    auto run = testing::RunProgram(args);
    EXPECT_THAT(run, IsOk());
    return run.ok() ? *run : testing::RunResult{};
  };
  auto issue = [&](const std::string& name, const std::string& validity) {
    auto issued =
        cli({"issue", "--name", name, "--domain", name + ".example.com",
             "--validity", validity, "--wait"});
    EXPECT_EQ(issued.exit_code, 0) << issued.output;
    std::smatch match;
    EXPECT_TRUE(std::regex_search(issued.output, match,
                                  std::regex(R"(id:\s+([0-9a-f-]{36}))")))
        << issued.output;
    return match.size() > 1 ? std::string(match[1]) : std::string();
  };
  const std::string soon = issue("soon", "1h");
  const std::string later = issue("later", "90d");

  auto expiring = cli({"certs", "expiring", "--within", "30d"});
  ASSERT_EQ(expiring.exit_code, 0) << expiring.output;
  EXPECT_THAT(expiring.output, HasSubstr("soon"));
  EXPECT_THAT(expiring.output, HasSubstr("scheduled"));
  EXPECT_THAT(expiring.output, ::testing::Not(HasSubstr("later")));
  EXPECT_THAT(expiring.output, HasSubstr("1 certificate(s) expiring within"));
  EXPECT_EQ(cli({"certs", "expiring"}).exit_code, 2);

  auto disabled = cli({"certs", "renewal", later, "--disable"});
  ASSERT_EQ(disabled.exit_code, 0) << disabled.output;
  EXPECT_THAT(disabled.output, HasSubstr("renewal:       disabled"));
  auto policy = cli({"certs", "renewal", soon, "--fraction", "0.1"});
  ASSERT_EQ(policy.exit_code, 0) << policy.output;
  EXPECT_THAT(policy.output, HasSubstr("0.1 of the lifetime"));
  EXPECT_EQ(cli({"certs", "renewal", soon, "--fraction", "0.01"}).exit_code, 1);

  // No call from here on: the daemon finds it due and renews it.
  auto stub = v1::CertificateService::NewStub(grpc::CreateChannel(
      daemon.address(), grpc::InsecureChannelCredentials()));
  v1::Certificate certificate;
  EXPECT_TRUE(testing::WaitFor(
      [&] {
        v1::GetCertificateRequest get;
        get.set_id(soon);
        grpc::ClientContext context;
        Deadline(&context);
        return stub->GetCertificate(&context, get, &certificate).ok() &&
               certificate.renewal().renewed_to_version() == 2;
      },
      absl::Minutes(4), absl::Milliseconds(500)))
      << certificate.DebugString();
  EXPECT_EQ(certificate.version_count(), 2);
  EXPECT_EQ(certificate.renewal().renewed_from_version(), 1);
  auto shown = cli({"certs", "get", soon});
  ASSERT_EQ(shown.exit_code, 0) << shown.output;
  EXPECT_THAT(shown.output, HasSubstr("renewed:     version 2 from version 1"));
}

// Kills certferryd with SIGKILL while issuance jobs run, restarts it, and
// checks that every job finished exactly once in its recorded effects.
TEST(IssuanceE2e, SigkillMidRunLosesAndDuplicatesNothing) {
  constexpr int kJobs = 12;
  testing::Daemon daemon;
  daemon.binary = CERTFERRYD_PATH;
  const std::vector<std::string> flags = {"--bootstrap_ca=crash-root",
                                          "--workers=2", "--job_lease=2s"};
  ASSERT_THAT(testing::StartNewDaemon(&daemon, flags), IsOk());
  auto channel =
      grpc::CreateChannel(daemon.address(), grpc::InsecureChannelCredentials());
  auto certs = v1::CertificateService::NewStub(channel);
  std::vector<std::string> names;
  for (int i = 0; i < kJobs; ++i) {
    v1::IssueCertificateRequest request;
    request.set_name(absl::StrCat("crash-", i));
    request.add_domains(absl::StrCat("crash", i, ".example.com"));
    request.set_key_type("rsa-4096");  // slow keygen keeps jobs running
    v1::Operation op;
    grpc::ClientContext context;
    Deadline(&context);
    ASSERT_TRUE(certs->IssueCertificate(&context, request, &op).ok());
    names.push_back(op.name());
  }
  auto count = [&](const std::string& sql) {
    auto value = testing::QueryScalar(daemon.database.dsn, sql);
    return value.ok() && !value->empty() ? std::stoi(*value) : -1;
  };
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        return count("SELECT count(*) FROM jobs WHERE state = 'succeeded'") >=
               1;
      },
      absl::Seconds(120)));
  daemon.process->Signal(SIGKILL);
  ASSERT_TRUE(daemon.process->Wait(absl::Seconds(10)).has_value());
  const int done_before =
      count("SELECT count(*) FROM jobs WHERE state = 'succeeded'");
  EXPECT_LT(done_before, kJobs) << "every job finished before the kill; the "
                                   "test did not exercise a crash";

  ASSERT_THAT(testing::StartDaemonProcess(&daemon, flags), IsOk());
  auto ops = v1::OperationService::NewStub(grpc::CreateChannel(
      daemon.address(), grpc::InsecureChannelCredentials()));
  for (const std::string& name : names) {
    v1::Operation op;
    ASSERT_TRUE(testing::WaitFor(
        [&] {
          v1::WaitOperationRequest wait;
          wait.set_name(name);
          wait.mutable_timeout()->set_seconds(5);
          grpc::ClientContext context;
          Deadline(&context);
          return ops->WaitOperation(&context, wait, &op).ok() && op.done();
        },
        absl::Seconds(180)))
        << name;
    EXPECT_EQ(op.metadata().state(), v1::OPERATION_STATE_SUCCEEDED)
        << name << ": " << op.error().message();
  }
  // Exactly once: one version per job, one job per version.
  EXPECT_EQ(count("SELECT count(*) FROM certificate_versions"), kJobs);
  EXPECT_EQ(count("SELECT count(DISTINCT issued_by_job_id) FROM "
                  "certificate_versions"),
            kJobs);
  // Some job was taken up again after its lease expired.
  EXPECT_GE(count("SELECT max(attempts) FROM jobs"), 2);
}

}  // namespace
}  // namespace certferry
