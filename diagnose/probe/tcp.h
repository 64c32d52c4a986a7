#pragma once

// TCP for the live probes: an owned socket, a connect bounded by a deadline
// that tells refused from dropped, and waiting for readiness.

#include <string>

#include "absl/time/time.h"
#include "diagnose/evidence.h"

namespace certferry::diagnose {

// An owned, non-blocking socket descriptor; closed on destruction.
// Move-only; not thread-safe.
class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd) : fd_(fd) {}
  Socket(Socket&& other) noexcept : fd_(other.Release()) {}
  Socket& operator=(Socket&& other) noexcept;
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket();

  bool valid() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  // Gives up ownership; the caller closes the descriptor.
  int Release();

 private:
  int fd_ = -1;
};

struct TcpConnection {
  TcpEvidence evidence;
  Socket socket;  // connected when evidence.outcome is kConnected
};

// Connects to `address` (numeric IPv4/IPv6) on `port`: outcome kConnected,
// kRefused (RST: nothing listens), kTimedOut (no answer before `deadline`,
// or the kernel gave up: packets are dropped) or kError (unreachable
// network or host, a local failure; `error` says which). state is always
// kDone. Thread-safe.
TcpConnection ConnectTcp(const std::string& address, int port,
                         absl::Time deadline);

// Milliseconds left until `deadline` for poll(2): 0 when it has passed,
// else at least 1.
int PollMillis(absl::Time deadline);

// Waits until `fd` is ready for `events` (POLLIN/POLLOUT); false when
// `deadline` passed first. A poll error counts as ready so the following
// I/O call reports it.
bool WaitReady(int fd, short events, absl::Time deadline);

}  // namespace certferry::diagnose
