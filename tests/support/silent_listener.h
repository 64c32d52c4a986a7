#pragma once

// A TCP listener on 127.0.0.1 that never accepts, for probes against peers
// that misbehave below TLS: the kernel completes connections into the
// backlog and then nothing answers; with a full backlog it drops SYNs.

#include <vector>

namespace certferry::testing {

class SilentListener {
 public:
  // Listens on a port the kernel picks, with `backlog` (Linux queues
  // backlog + 1 connections). Test failures (not exceptions) on error.
  explicit SilentListener(int backlog = 8);
  ~SilentListener();
  SilentListener(const SilentListener&) = delete;
  SilentListener& operator=(const SilentListener&) = delete;

  int fd() const { return fd_; }
  int port() const { return port_; }

  // Connects once and keeps the connection, unaccepted. Made on a backlog-0
  // listener, it fills the accept queue, and Linux then drops further SYNs
  // to the port (net.ipv4.tcp_abort_on_overflow is 0 by default) instead of
  // answering them, as a firewall dropping packets does. True when the
  // connection was made.
  bool FillAcceptQueue();

 private:
  int fd_ = -1;
  int port_ = 0;
  std::vector<int> clients_;
};

}  // namespace certferry::testing
