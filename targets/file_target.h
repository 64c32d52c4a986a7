#pragma once

// A deploy target made of two PEM files in a directory (nginx, Apache,
// HAProxy, Envoy read these), plus optional commands that check and reload
// the server that reads them.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "targets/deploy_target.h"

namespace certferry::targets {

struct FileTargetConfig {
  // Absolute path; created with mode 0750 (and owner/group) when missing.
  // Its parent must exist.
  std::string directory;
  // Plain file names inside `directory` (no '/').
  std::string chain_file = "fullchain.pem";  // written with mode 0644
  std::string key_file = "privkey.pem";      // written with mode 0600
  // User and group names given to the files (and a created directory);
  // empty: leave as created (the service's own user/group).
  std::string owner;
  std::string group;
  // argv of a command that validates the new files before the server is
  // reloaded, e.g. {"/usr/sbin/nginx", "-t", "-q", ...}. Empty: none. It
  // rejects broken files without signalling the server, and is needed when
  // the reload command cannot report them itself (`kill -HUP`, `systemctl
  // reload`: the server keeps its old config and only logs the error).
  std::vector<std::string> check_command;
  // argv of the command that takes the files into use, e.g.
  // {"/usr/sbin/nginx", "-s", "reload"}. Empty: none. Run without a shell;
  // argv[0] is an absolute path or a name found on PATH.
  std::vector<std::string> reload_command;
  // Limit for each run of check_command and reload_command.
  absl::Duration reload_timeout = absl::Seconds(30);
};

inline constexpr absl::Duration kMaxReloadTimeout = absl::Minutes(10);

// OK, or INVALID_ARGUMENT "<field>: <problem>; <fix>" for the first problem
// found: directory not absolute, a file name empty, "."/".." or containing
// '/', both files the same, owner/group not a known user/group,
// check_command[0] / reload_command[0] neither an absolute executable path
// nor found on PATH, reload_timeout not in (0, kMaxReloadTimeout].
absl::Status ValidateFileTargetConfig(const FileTargetConfig& config);

// Deploys by writing the files atomically (temporary file in the same
// directory created with its final mode, fsync, rename, fsync of the
// directory), then running check_command and reload_command. When either
// fails (non-zero exit, signal, timeout, cannot execute), the previous files
// are restored byte for byte (files that did not exist are removed) and,
// after a failed reload, the reload command is run again so the server
// returns to them. Errors: FAILED_PRECONDITION (command failed, files not
// writable), DEADLINE_EXCEEDED (command timed out), RESOURCE_EXHAUSTED (disk
// full), INTERNAL when even restoring failed (the message says the target's
// state is unknown). Messages carry the command's status and output, never
// key material.
//
// Not thread-safe (see DeployTarget); holds no resources between calls.
class FileTarget final : public DeployTarget {
 public:
  // INVALID_ARGUMENT as ValidateFileTargetConfig.
  static absl::StatusOr<std::unique_ptr<FileTarget>> Create(
      FileTargetConfig config);

  const FileTargetConfig& config() const { return config_; }

  // DeployTarget
  // Reads both files. Neither present: contents.empty. Only one present:
  // !empty with the other field empty (a half-deployed target, reported
  // rather than refused). FAILED_PRECONDITION when a file cannot be read or
  // is larger than 1 MiB.
  absl::StatusOr<TargetContents> ReadCurrent() override;
  // Makes the two files hold exactly `contents` (an empty chain_pem or
  // private key removes that file; contents.empty removes both), then checks
  // and reloads as described above.
  absl::StatusOr<ApplyOutcome> Apply(const TargetContents& contents) override;

 private:
  explicit FileTarget(FileTargetConfig config) : config_(std::move(config)) {}

  FileTargetConfig config_;
};

// SHA-256 (lowercase hex) of the first PEM certificate in `chain_pem`;
// empty when there is none or it does not parse.
std::string LeafSha256(const std::string& chain_pem);

}  // namespace certferry::targets
