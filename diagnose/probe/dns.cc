#include "diagnose/probe/dns.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <memory>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"

namespace certferry::diagnose {
namespace {

struct AddrInfoDeleter {
  void operator()(addrinfo* info) const { freeaddrinfo(info); }
};

struct Lookup {
  int gai_error = 0;
  std::vector<std::string> addresses;
};

Lookup RunGetAddrInfo(const std::string& host, int flags) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = flags;
  addrinfo* raw = nullptr;
  Lookup lookup;
  lookup.gai_error = ::getaddrinfo(host.c_str(), nullptr, &hints, &raw);
  if (lookup.gai_error != 0) return lookup;
  std::unique_ptr<addrinfo, AddrInfoDeleter> list(raw);
  for (addrinfo* a = list.get(); a != nullptr; a = a->ai_next) {
    char text[NI_MAXHOST];
    if (::getnameinfo(a->ai_addr, a->ai_addrlen, text, sizeof(text), nullptr, 0,
                      NI_NUMERICHOST) != 0) {
      continue;
    }
    if (std::find(lookup.addresses.begin(), lookup.addresses.end(), text) ==
        lookup.addresses.end()) {
      lookup.addresses.emplace_back(text);
    }
  }
  return lookup;
}

// getaddrinfo cannot be cancelled or given a timeout, so a name lookup runs
// on its own thread and the caller stops waiting at the deadline; the
// thread finishes whenever the resolver gives up and its result is dropped.
struct PendingLookup {
  absl::Mutex mu;
  bool done ABSL_GUARDED_BY(mu) = false;
  Lookup result ABSL_GUARDED_BY(mu);
};

}  // namespace

bool IsIpLiteral(const std::string& host) {
  in6_addr buffer;
  return ::inet_pton(AF_INET, host.c_str(), &buffer) == 1 ||
         ::inet_pton(AF_INET6, host.c_str(), &buffer) == 1;
}

std::string CanonicalAddress(const std::string& address) {
  if (!IsIpLiteral(address)) return address;
  Lookup lookup = RunGetAddrInfo(address, AI_NUMERICHOST);
  if (lookup.gai_error != 0 || lookup.addresses.empty()) return address;
  return lookup.addresses.front();
}

DnsEvidence ResolveHost(const std::string& host, absl::Time deadline) {
  DnsEvidence evidence;
  evidence.host = host;
  const absl::Time start = absl::Now();
  Lookup lookup;
  if (IsIpLiteral(host)) {
    lookup = RunGetAddrInfo(host, AI_NUMERICHOST);
  } else {
    auto pending = std::make_shared<PendingLookup>();
    std::thread([pending, host] {
      Lookup result = RunGetAddrInfo(host, 0);
      absl::MutexLock lock(&pending->mu);
      pending->result = std::move(result);
      pending->done = true;
    }).detach();
    absl::MutexLock lock(&pending->mu);
    if (!pending->mu.AwaitWithDeadline(absl::Condition(&pending->done),
                                       deadline)) {
      evidence.state = ProbeState::kTimedOut;
      evidence.error = "the resolver did not answer before the deadline";
      evidence.elapsed = absl::Now() - start;
      return evidence;
    }
    lookup = std::move(pending->result);
  }
  evidence.state = ProbeState::kDone;
  evidence.elapsed = absl::Now() - start;
  if (lookup.gai_error != 0) {
    evidence.error = ::gai_strerror(lookup.gai_error);
  } else {
    evidence.addresses = std::move(lookup.addresses);
    if (evidence.addresses.empty()) evidence.error = "no address";
  }
  return evidence;
}

}  // namespace certferry::diagnose
