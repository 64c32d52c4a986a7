// The certferry-cloud-emulator binary: startup lines, a real TLS listener
// per resource, clean exit on SIGTERM, and a refused bad config.

#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "targets/endpoint_probe.h"
#include "tests/support/subprocess.h"
#include "tests/support/wait_for.h"

namespace certferry {
namespace {

using ::testing::HasSubstr;

std::string WriteConfig(const std::string& text) {
  char path[] = "/tmp/certferry-emulator-config.XXXXXX";
  int fd = mkstemp(path);
  close(fd);
  std::ofstream(path) << text;
  return path;
}

// "... 127.0.0.1:PORT" -> PORT, from the first line starting with `prefix`.
int PortOf(const std::string& output, const std::string& prefix) {
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    if (!absl::StartsWith(line, prefix)) continue;
    int port = 0;
    if (absl::SimpleAtoi(line.substr(line.rfind(':') + 1), &port)) return port;
  }
  return 0;
}

TEST(EmulatorBinary, PrintsListenersServesTlsAndStopsOnSigterm) {
  const std::string config = WriteConfig(R"({
    "access_keys": [{"id": "AK", "secret": "S"}],
    "resources": [{"id": 1001, "product": "SLB", "domain": "www.example.com"}],
    "airec_instances": [{"id": "airec-cn-1", "domain": "rec.example.com"}]})");
  auto child = testing::Subprocess::Start(
      {CLOUD_EMULATOR_PATH, "--config", config, "--listen", "127.0.0.1:0"});
  ASSERT_TRUE(child.ok()) << child.status();
  ASSERT_TRUE(testing::WaitFor([&] {
    return absl::StrContains(child->Output(), "ready\n");
  })) << child->Output();
  const std::string output = child->Output();
  EXPECT_GT(PortOf(output, "api 127.0.0.1:"), 0) << output;
  EXPECT_GT(PortOf(output, "airec airec-cn-1 AIRec rec.example.com "), 0);
  const int port = PortOf(output, "resource 1001 SLB www.example.com ");
  ASSERT_GT(port, 0) << output;

  auto served = targets::FetchServedCertificate(
      {"127.0.0.1", port, "www.example.com"}, absl::Seconds(5));
  ASSERT_TRUE(served.ok()) << served.status();
  EXPECT_THAT(served->chain[0].subject, HasSubstr("CN=www.example.com"));
  EXPECT_THAT(served->chain[0].subject, HasSubstr("placeholder"));

  child->Signal(SIGTERM);
  EXPECT_EQ(child->Wait(absl::Seconds(10)), 0);
  unlink(config.c_str());
}

TEST(EmulatorBinary, BadConfigExitsNonZeroNamingTheKey) {
  const std::string config = WriteConfig(R"({
    "access_keys": [{"id": "AK", "secret": "S"}],
    "resources": [{"id": 1, "product": "ECS", "domain": "www.example.com"}]})");
  auto result = testing::RunProgram({CLOUD_EMULATOR_PATH, "--config", config});
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->exit_code, 1);
  EXPECT_THAT(result->output, HasSubstr("resources[0].product"));
  unlink(config.c_str());
}

}  // namespace
}  // namespace certferry
