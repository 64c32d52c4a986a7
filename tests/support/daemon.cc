#include "tests/support/daemon.h"

#include <unistd.h>

#include <regex>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/support/wait_for.h"

namespace certferry::testing {

std::string Daemon::address() const { return absl::StrCat("127.0.0.1:", port); }

absl::Status StartNewDaemon(Daemon* daemon,
                            const std::vector<std::string>& flags) {
  auto database = CreateEmptyTestDatabase();
  if (!database.ok()) return database.status();
  daemon->database = *database;
  daemon->kek_path = absl::StrCat(::testing::TempDir(), "certferry-", getpid(),
                                  "-", database->name, ".kek");
  auto kek = RunProgram({daemon->binary, "generate-kek", daemon->kek_path});
  if (!kek.ok()) return kek.status();
  if (kek->exit_code != 0) {
    return absl::InternalError("generate-kek failed: " + kek->output);
  }
  return StartDaemonProcess(daemon, flags);
}

absl::Status StartDaemonProcess(Daemon* daemon,
                                const std::vector<std::string>& flags) {
  std::vector<std::string> argv = {daemon->binary, "serve",
                                   "--listen=127.0.0.1:0"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  daemon->process.reset();
  auto process =
      Subprocess::Start(argv, {{"CERTFERRY_DATABASE_URL", daemon->database.dsn},
                               {"CERTFERRY_KEK_FILE", daemon->kek_path}});
  if (!process.ok()) return process.status();
  daemon->process.emplace(*std::move(process));
  daemon->port = 0;
  const std::regex port_line(R"(serving on \S+ \(port (\d+)\))");
  const bool started = WaitFor([&] {
    const std::string output = daemon->process->Output();
    std::smatch match;
    if (std::regex_search(output, match, port_line)) {
      daemon->port = std::stoi(match[1]);
      return true;
    }
    return false;
  });
  if (!started) {
    return absl::DeadlineExceededError("certferryd did not start:\n" +
                                       daemon->process->Output());
  }
  return absl::OkStatus();
}

}  // namespace certferry::testing
