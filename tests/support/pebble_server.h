#pragma once

// Debian's pebble (a small ACME CA for tests) and pebble-challtestsrv (its
// mock DNS server) as child processes on 127.0.0.1, for ACME end-to-end
// tests. Every name resolves to 127.0.0.1 through challtestsrv (no AAAA),
// so pebble validates http-01 against 127.0.0.1:<http_port> and reads
// dns-01 TXT records set through challtestsrv's management API. Pebble's
// HTTPS certificate is generated per run under a test CA (Debian's package
// ships no test certificates); clients trust ca_file().

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "tests/support/subprocess.h"

namespace certferry::testing {

inline constexpr char kPebbleBinary[] = "/usr/bin/pebble";
inline constexpr char kChallTestSrvBinary[] = "/usr/bin/pebble-challtestsrv";

struct PebbleOptions {
  // The port pebble connects to for http-01 (where the solver listens).
  int http_port = 0;
  // PEBBLE_WFE_NONCEREJECT: the share of good nonces pebble rejects as
  // badNonce. nullopt: pebble's default (5%).
  std::optional<int> nonce_reject_percent{};
  // Further environment for pebble (e.g. PEBBLE_AUTHZREUSE).
  std::map<std::string, std::string> env{};
};

class PebbleServer {
 public:
  // Starts challtestsrv, then pebble, and waits until pebble's directory
  // answers over HTTPS. FAILED_PRECONDITION with the processes' output
  // when either does not come up.
  static absl::StatusOr<std::unique_ptr<PebbleServer>> Start(
      const PebbleOptions& options);
  // Kills both and removes the temporary directory.
  ~PebbleServer();

  std::string directory_url() const;
  // The PEM CA that pebble's HTTPS certificate chains to.
  const std::string& ca_file() const { return ca_file_; }
  // challtestsrv's management API, e.g. http://127.0.0.1:PORT (POST
  // /set-txt {"host":"_acme-challenge.x.","value":"..."}, /clear-txt).
  std::string challtestsrv_url() const;
  // The root that pebble's issued chains lead to (management /roots/0;
  // regenerated on every start).
  absl::StatusOr<std::string> RootPem() const;
  // Both processes' output so far, for failure messages.
  std::string Output() const;

 private:
  PebbleServer() = default;

  std::string directory_;
  std::string ca_file_;
  int acme_port_ = 0;
  int management_port_ = 0;
  int dns_port_ = 0;
  int challtestsrv_port_ = 0;
  std::optional<Subprocess> challtestsrv_;
  std::optional<Subprocess> pebble_;
};

}  // namespace certferry::testing
