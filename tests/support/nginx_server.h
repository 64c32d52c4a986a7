#pragma once

// Debian's nginx as a child process on 127.0.0.1, with a private prefix and
// configuration in a temporary directory, serving TLS from the PEM files a
// FileTarget writes. nginx refuses to start without readable certificate
// files, so Create() only prepares; Start() runs it once the files exist.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/support/subprocess.h"

namespace certferry::testing {

inline constexpr char kNginxBinary[] = "/usr/sbin/nginx";

struct NginxOptions {
  std::string chain_file = "fullchain.pem";  // in the cert directory
  std::string key_file = "privkey.pem";
  // false: the port speaks plain HTTP (`listen` without `ssl`, no
  // certificate), e.g. a server misconfigured to serve HTTP on 443.
  bool tls = true;
  // Directives appended to the server block, e.g.
  // "ssl_protocols TLSv1.3;\nadd_header Strict-Transport-Security "
  // "\"max-age=600\" always;\n". The location answers GET / with 200.
  std::string server_directives;
};

class NginxServer {
 public:
  // Makes the prefix directory and picks a free port; nothing runs yet.
  // `cert_directory` holds `chain_file` and `key_file` (maybe not yet).
  static absl::StatusOr<std::unique_ptr<NginxServer>> Create(
      std::string cert_directory, std::string chain_file = "fullchain.pem",
      std::string key_file = "privkey.pem");
  static absl::StatusOr<std::unique_ptr<NginxServer>> Create(
      std::string cert_directory, NginxOptions options);
  // Stops nginx (SIGTERM, then SIGKILL) and removes the prefix directory.
  ~NginxServer();

  // Starts the master (`daemon off`, one worker) and waits until it accepts
  // connections. FAILED_PRECONDITION with nginx's error log when it exits.
  absl::Status Start();
  bool Running();

  int port() const { return port_; }
  const std::string& prefix() const { return prefix_; }
  // Everything nginx logged so far.
  std::string ErrorLog() const;

  // `nginx -t -q` on this configuration: loads the certificate and key and
  // fails (exit 1, reason on stderr) when they are unreadable or do not
  // match, without touching the running server. Use as
  // FileTargetConfig::check_command.
  std::vector<std::string> CheckCommand() const;
  // `nginx -s reload` for this instance (reads its pid file). nginx 1.22
  // parses the configuration (certificates included) before signalling, so
  // it fails on a broken certificate too; but it exits 0 as soon as the
  // signal is sent, and a master that then fails to apply the new
  // configuration keeps the old one and only logs it. Verify with the probe.
  std::vector<std::string> ReloadCommand() const;

 private:
  NginxServer() = default;
  absl::Status WriteConfig();
  std::vector<std::string> BaseArgs() const;

  std::string cert_directory_;
  NginxOptions options_;
  std::string prefix_;
  std::string config_path_;
  std::string error_log_path_;
  int port_ = 0;
  std::optional<Subprocess> process_;
};

// A TCP port on 127.0.0.1 that was free a moment ago.
absl::StatusOr<int> PickFreePort();

}  // namespace certferry::testing
