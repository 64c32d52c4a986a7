// certferry-cloud-emulator --config FILE [--listen 127.0.0.1:0]
// Prints one machine-readable line per listener, then "ready"; stops on
// SIGTERM/SIGINT.

#include <signal.h>

#include <cstdio>
#include <iostream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "emulator/cloud_emulator.h"
#include "emulator/emulator_config.h"

namespace {

int Usage(const std::string& problem) {
  std::cerr << "certferry-cloud-emulator: " << problem
            << "\nusage: certferry-cloud-emulator --config FILE "
               "[--listen 127.0.0.1:PORT]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path;
  std::string listen = "127.0.0.1:0";
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const std::string& flag, std::string* out) {
      if (arg == flag && i + 1 < argc) {
        *out = argv[++i];
        return true;
      }
      if (arg.rfind(flag + "=", 0) == 0) {
        *out = arg.substr(flag.size() + 1);
        return true;
      }
      return false;
    };
    if (!value("--config", &config_path) && !value("--listen", &listen)) {
      return Usage("unknown argument '" + arg + "'");
    }
  }
  if (config_path.empty()) return Usage("--config is required");
  const size_t colon = listen.rfind(':');
  int port = -1;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(listen.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return Usage("--listen: expected HOST:PORT, e.g. 127.0.0.1:0");
  }

  auto config = certferry::emulator::LoadEmulatorConfig(config_path);
  if (!config.ok()) {
    std::cerr << config.status().message() << "\n";
    return 1;
  }
  // Block the stop signals before any thread starts so only sigwait sees
  // them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  certferry::emulator::CloudEmulator emulator(*std::move(config));
  if (absl::Status s = emulator.Start(listen.substr(0, colon), port); !s.ok()) {
    std::cerr << s.message() << "\n";
    return 1;
  }
  std::cout << "api 127.0.0.1:" << emulator.api_port() << "\n";
  for (const auto& e : emulator.Endpoints()) {
    std::cout << e.kind << " " << e.id << " " << e.product << " " << e.domain
              << " 127.0.0.1:" << e.port << "\n";
  }
  std::cout << "ready" << std::endl;
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  emulator.Stop();
  return 0;
}
