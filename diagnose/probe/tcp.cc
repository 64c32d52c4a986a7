#include "diagnose/probe/tcp.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>

#include "absl/time/clock.h"

namespace certferry::diagnose {
namespace {

struct AddrInfoDeleter {
  void operator()(addrinfo* info) const { freeaddrinfo(info); }
};

}  // namespace

Socket& Socket::operator=(Socket&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.Release();
  }
  return *this;
}

Socket::~Socket() {
  if (fd_ >= 0) ::close(fd_);
}

int Socket::Release() {
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

int PollMillis(absl::Time deadline) {
  const absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) return 0;
  return static_cast<int>(std::clamp<int64_t>(
      absl::ToInt64Milliseconds(absl::Ceil(left, absl::Milliseconds(1))), 1,
      1 << 30));
}

bool WaitReady(int fd, short events, absl::Time deadline) {
  while (true) {
    const int millis = PollMillis(deadline);
    if (millis == 0) return false;
    pollfd pfd = {fd, events, 0};
    const int ready = ::poll(&pfd, 1, millis);
    if (ready > 0) return true;
    if (ready < 0 && errno != EINTR) return true;
  }
}

TcpConnection ConnectTcp(const std::string& address, int port,
                         absl::Time deadline) {
  TcpConnection connection;
  TcpEvidence& evidence = connection.evidence;
  evidence.state = ProbeState::kDone;
  evidence.address = address;
  evidence.port = port;
  const absl::Time start = absl::Now();
  evidence.timeout = std::max(deadline - start, absl::ZeroDuration());
  auto finish = [&](TcpOutcome outcome, int error) {
    evidence.outcome = outcome;
    if (error != 0) evidence.error = std::strerror(error);
    evidence.elapsed = absl::Now() - start;
    return std::move(connection);
  };

  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  addrinfo* raw = nullptr;
  const std::string service = std::to_string(port);
  if (const int gai =
          ::getaddrinfo(address.c_str(), service.c_str(), &hints, &raw);
      gai != 0) {
    evidence.error = ::gai_strerror(gai);
    return finish(TcpOutcome::kError, 0);
  }
  std::unique_ptr<addrinfo, AddrInfoDeleter> target(raw);
  Socket socket(::socket(target->ai_family,
                         target->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                         target->ai_protocol));
  if (!socket.valid()) return finish(TcpOutcome::kError, errno);
  int error = 0;
  if (::connect(socket.fd(), target->ai_addr, target->ai_addrlen) != 0) {
    error = errno;
    if (error == EINPROGRESS) {
      if (!WaitReady(socket.fd(), POLLOUT, deadline)) {
        return finish(TcpOutcome::kTimedOut, 0);
      }
      socklen_t length = sizeof(error);
      if (::getsockopt(socket.fd(), SOL_SOCKET, SO_ERROR, &error, &length) !=
          0) {
        error = errno;
      }
    }
  }
  switch (error) {
    case 0:
      connection.socket = std::move(socket);
      return finish(TcpOutcome::kConnected, 0);
    case ECONNREFUSED:
      return finish(TcpOutcome::kRefused, error);
    case ETIMEDOUT:
      return finish(TcpOutcome::kTimedOut, error);
    default:
      return finish(TcpOutcome::kError, error);
  }
}

}  // namespace certferry::diagnose
