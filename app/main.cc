// certferryd: the certferry gRPC service.
//
//   certferryd [serve] [flags]      serve until SIGTERM/SIGINT (exit 0)
//   certferryd migrate [flags]      apply pending schema migrations and exit
//   certferryd generate-kek PATH    create a new key-encryption key file

#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "app/application.h"
#include "app/config_flags.h"
#include "common/log.h"
#include "pki/key_envelope.h"
#include "storage/database.h"
#include "storage/migrations.h"

namespace {

using certferry::LogError;
using certferry::LogInfo;

int Fail(const absl::Status& status) {
  LogError(std::string(status.message()));
  return 1;
}

int GenerateKek(const std::vector<char*>& args) {
  if (args.size() != 3) {
    std::fprintf(stderr, "usage: certferryd generate-kek PATH\n");
    return 2;
  }
  auto kek = certferry::pki::GenerateKeyEncryptionKeyFile(args[2]);
  if (!kek.ok()) return Fail(kek.status());
  LogInfo(
      absl::StrCat("created key-encryption key ", kek->id, " in ", args[2]));
  return 0;
}

int Migrate() {
  auto config = certferry::app::ConfigFromFlags(/*need_kek=*/false);
  if (!config.ok()) return Fail(config.status());
  certferry::SetMinLogLevel(config->log_level);
  auto db = certferry::storage::Database::Connect(config->database);
  if (!db.ok()) return Fail(db.status());
  auto report = certferry::storage::ApplyMigrations(
      **db, certferry::storage::EmbeddedMigrations());
  if (!report.ok()) return Fail(report.status());
  LogInfo(absl::StrCat("schema at version ", report->current_version, "; ",
                       report->applied.size(), " migration(s) applied"));
  return 0;
}

int Serve() {
  // Block the stop signals in every thread (gRPC's included) so that only
  // the sigwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto config = certferry::app::ConfigFromFlags(/*need_kek=*/true);
  if (!config.ok()) return Fail(config.status());
  const absl::Duration grace = config->shutdown_grace;
  auto app = certferry::app::Application::Start(*std::move(config));
  if (!app.ok()) return Fail(app.status());

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  LogInfo(absl::StrCat("received ",
                       signal_number == SIGTERM ? "SIGTERM" : "SIGINT"));
  (*app)->Shutdown(grace);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Debian's Abseil is built with absl::Mutex deadlock detection on, which
  // every gRPC lock then pays for (a lock-order graph update per
  // acquisition). It is a debugging aid; production servers turn it off.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  absl::SetProgramUsageMessage(
      "certferryd [serve|migrate|generate-kek PATH] [flags]\n"
      "The certferry certificate service. See README.md.");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  const std::string command = args.size() > 1 ? args[1] : "serve";
  if (command == "generate-kek") return GenerateKek(args);
  if (args.size() > 2) {
    std::fprintf(stderr, "unexpected arguments after '%s'\n", command.c_str());
    return 2;
  }
  if (command == "serve") return Serve();
  if (command == "migrate") return Migrate();
  std::fprintf(stderr,
               "unknown command '%s'; use serve, migrate or generate-kek\n",
               command.c_str());
  return 2;
}
