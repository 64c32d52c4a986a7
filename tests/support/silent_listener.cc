#include "tests/support/silent_listener.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gtest/gtest.h"

namespace certferry::testing {
namespace {

sockaddr_in Loopback(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  return address;
}

}  // namespace

SilentListener::SilentListener(int backlog) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address = Loopback(0);
  socklen_t length = sizeof(address);
  EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&address), length), 0);
  EXPECT_EQ(::listen(fd_, backlog), 0);
  EXPECT_EQ(::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length),
            0);
  port_ = ntohs(address.sin_port);
}

SilentListener::~SilentListener() {
  for (int fd : clients_) ::close(fd);
  ::close(fd_);
}

bool SilentListener::FillAcceptQueue() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  clients_.push_back(fd);
  sockaddr_in address = Loopback(port_);
  return ::connect(fd, reinterpret_cast<sockaddr*>(&address),
                   sizeof(address)) == 0;
}

}  // namespace certferry::testing
