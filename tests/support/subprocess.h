#pragma once

// Runs a program as a child process for end-to-end tests, with its stdout
// and stderr captured to a file. The child is killed (SIGKILL) when the
// Subprocess is destroyed if it is still running.

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace certferry::testing {

class Subprocess {
 public:
  // Starts `argv[0]` with `argv`, the current environment plus `env`.
  static absl::StatusOr<Subprocess> Start(
      const std::vector<std::string>& argv,
      const std::map<std::string, std::string>& env = {});

  Subprocess(Subprocess&& other) noexcept;
  Subprocess& operator=(Subprocess&&) = delete;
  ~Subprocess();

  pid_t pid() const { return pid_; }
  // Everything the child wrote to stdout and stderr so far.
  std::string Output() const;
  void Signal(int signal_number) const;
  // Waits for the child to exit; its exit code, or -signal if killed, or
  // std::nullopt when `timeout` passed first.
  std::optional<int> Wait(absl::Duration timeout);

 private:
  Subprocess(pid_t pid, std::string output_path)
      : pid_(pid), output_path_(std::move(output_path)) {}
  pid_t pid_ = -1;
  bool exited_ = false;
  std::string output_path_;
};

// Runs a program to completion; returns its exit code and output.
struct RunResult {
  int exit_code = -1;
  std::string output;
};
absl::StatusOr<RunResult> RunProgram(
    const std::vector<std::string>& argv,
    const std::map<std::string, std::string>& env = {},
    absl::Duration timeout = absl::Seconds(60));

}  // namespace certferry::testing
