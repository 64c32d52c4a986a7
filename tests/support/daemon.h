#pragma once

// Runs the real certferryd binary for end-to-end tests: its own database
// (migrated by certferryd itself) and KEK, a free port, output captured.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_database.h"

namespace certferry::testing {

struct Daemon {
  std::string binary;  // path to certferryd
  TestDatabase database;
  std::string kek_path;
  std::optional<Subprocess> process;
  int port = 0;
  std::string address() const;
};

// Creates a fresh database and KEK for `daemon` (binary must be set), then
// starts it. Extra flags are appended to `certferryd serve`.
absl::Status StartNewDaemon(Daemon* daemon,
                            const std::vector<std::string>& flags = {});

// (Re)starts certferryd on the daemon's existing database and KEK, waiting
// until it reports its port. Any previous process must have exited.
absl::Status StartDaemonProcess(Daemon* daemon,
                                const std::vector<std::string>& flags = {});

}  // namespace certferry::testing
