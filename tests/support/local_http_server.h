#pragma once

// A real HTTP server on 127.0.0.1 (cpp-httplib) for tests of HTTP clients
// (cloud/, webhook deliveries): the test installs a handler that sees every
// request and answers it. Started in the constructor (waits until it
// listens), stopped in the destructor.

#include <httplib.h>

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/support/wait_for.h"

namespace certferry::testing {

class LocalHttpServer {
 public:
  using Handler =
      std::function<void(const httplib::Request&, httplib::Response&)>;

  // Plain HTTP, or HTTPS when `cert_file` and `key_file` (PEM paths) are
  // given.
  explicit LocalHttpServer(Handler handler, const std::string& cert_file = "",
                           const std::string& key_file = "")
      : handler_(std::move(handler)),
        server_(cert_file.empty() ? std::make_unique<httplib::Server>()
                                  : std::make_unique<httplib::SSLServer>(
                                        cert_file.c_str(), key_file.c_str())) {
    auto dispatch = [this](const httplib::Request& req,
                           httplib::Response& res) { handler_(req, res); };
    server_->Get(".*", dispatch);
    server_->Post(".*", dispatch);
    server_->Put(".*", dispatch);
    // Stop() waits for idle keep-alive connections; do not wait long.
    server_->set_keep_alive_timeout(1);
    port_ = server_->bind_to_any_port("127.0.0.1");
    EXPECT_GT(port_, 0) << "cannot bind 127.0.0.1";
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    EXPECT_TRUE(WaitFor([this] { return server_->is_running(); }))
        << "server did not start listening";
  }

  ~LocalHttpServer() { Stop(); }

  // Stops listening; later connections are refused.
  void Stop() {
    server_->stop();
    if (thread_.joinable()) thread_.join();
  }

  int port() const { return port_; }
  std::string url() const { return absl::StrCat("http://127.0.0.1:", port_); }

 private:
  Handler handler_;
  std::unique_ptr<httplib::Server> server_;
  int port_ = -1;
  std::thread thread_;
};

}  // namespace certferry::testing
