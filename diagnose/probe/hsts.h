#pragma once

// The HSTS probe: one HTTPS GET / and the Strict-Transport-Security header
// of the answer, with the parsing it needs (pure, tested on its own).

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "diagnose/evidence.h"
#include "diagnose/probe/tls_client.h"

namespace certferry::diagnose {

// Connects to `target`, handshakes with SNI `sni`, sends GET / with
// `host_header` as Host and reads the response head. state kDone with the
// status and the header (or its absence); kTimedOut; kFailed when the
// connection, the handshake or the response fails (detail). Thread-safe.
HstsEvidence ProbeHsts(const ProbeTarget& target, const std::string& sni,
                       const std::string& host_header, absl::Time deadline);

struct HttpResponseHead {
  int status = 0;
  // In order; names as sent.
  std::vector<std::pair<std::string, std::string>> headers;
};

// Parses an HTTP/1.x status line and header fields up to the blank line.
// INVALID_ARGUMENT when the status line is not HTTP/1.x or the head has no
// end.
absl::StatusOr<HttpResponseHead> ParseHttpResponseHead(absl::string_view text);

struct StrictTransportSecurity {
  // nullopt when the value is invalid (RFC 6797 6.1: max-age missing, not
  // a number, or a directive repeated): browsers then ignore the header.
  std::optional<absl::Duration> max_age;
  bool include_subdomains = false;
};

// Parses a Strict-Transport-Security header value, e.g.
// "max-age=31536000; includeSubDomains".
StrictTransportSecurity ParseStrictTransportSecurity(absl::string_view value);

}  // namespace certferry::diagnose
