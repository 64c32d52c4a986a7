#pragma once

// Runs a configured command (a target's reload or check command, a DNS-01
// hook) without a shell, with a deadline and bounded output capture.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace certferry {

// How a command ended. Exactly one of exited / signaled / timed_out is true.
struct CommandResult {
  bool exited = false;
  int exit_code = -1;  // when exited
  bool signaled = false;
  int signal = 0;  // when signaled
  bool timed_out = false;
  // stdout and stderr interleaved, at most kMaxCommandOutputBytes; a marker
  // says when more was written.
  std::string output;

  bool Succeeded() const { return exited && exit_code == 0; }
  // "exit status 3", "killed by signal 9", "timed out after 2s and was
  // killed".
  std::string Describe() const;
};

inline constexpr size_t kMaxCommandOutputBytes = 4096;

// Where `program` would be executed from: itself when it contains '/', else
// the first executable match on PATH. NOT_FOUND when there is none.
absl::StatusOr<std::string> ResolveExecutable(const std::string& program);

// Runs argv[0] (resolved as ResolveExecutable does) with `argv` in a new
// process group, stdin from /dev/null, stdout and stderr captured. On
// timeout the whole process group is killed (SIGKILL) and reaped.
// Returns the result for any way the command ends; an error status only when
// it could not be started: INVALID_ARGUMENT for an empty argv, NOT_FOUND or
// FAILED_PRECONDITION (not executable) for argv[0], INTERNAL otherwise.
// Thread-safe; blocks the calling thread up to `timeout`.
absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         absl::Duration timeout);

}  // namespace certferry
