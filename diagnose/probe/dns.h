#pragma once

// Name resolution for the live probes: the system resolver (getaddrinfo),
// bounded by a deadline.

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "diagnose/evidence.h"

namespace certferry::diagnose {

// Resolves `host` (a name or an IP literal) to its addresses for TCP.
// state kDone with the addresses, or with none and `error` when the name
// does not resolve; kTimedOut when `deadline` passes first (the lookup then
// finishes in the background and is dropped). expected_address is left
// empty. Thread-safe.
DnsEvidence ResolveHost(const std::string& host, absl::Time deadline);

// `address` in the numeric form ResolveHost reports ("::1" for
// "0:0::1"); unchanged when it is not an IP literal.
std::string CanonicalAddress(const std::string& address);

// True when `host` is an IPv4 or IPv6 literal (no SNI is sent for those).
bool IsIpLiteral(const std::string& host);

}  // namespace certferry::diagnose
