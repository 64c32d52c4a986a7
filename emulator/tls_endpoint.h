#pragma once

// A TLS listener on 127.0.0.1 that serves whatever certificate is currently
// deployed to one emulated resource, so a client can verify a deployment
// with a real handshake. Each accepted connection completes the handshake
// and is closed; nothing else is spoken.

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/secret_string.h"

namespace certferry::emulator {

// Threading: one accept thread per endpoint; SetCertificate and
// ServePlaceholder may be called from any thread and take effect for the
// next handshake. Stop (or the destructor) joins the thread.
class TlsEndpoint {
 public:
  // `placeholder_name` is the CN/SAN of the self-signed certificate served
  // while nothing is deployed.
  explicit TlsEndpoint(std::string placeholder_name);
  ~TlsEndpoint();
  TlsEndpoint(const TlsEndpoint&) = delete;
  TlsEndpoint& operator=(const TlsEndpoint&) = delete;

  // Binds 127.0.0.1:0 and starts serving the placeholder. Returns the port.
  // INTERNAL when the socket or the placeholder cannot be made.
  absl::StatusOr<int> Start();
  void Stop();

  // Serves `chain_pem` (leaf first) with `key_pem` from now on.
  // INVALID_ARGUMENT when OpenSSL refuses the pair (key mismatch etc.).
  absl::Status SetCertificate(const std::string& chain_pem,
                              const SecretString& key_pem);
  void ServePlaceholder();

  int port() const { return port_; }

 private:
  struct Context;  // owns an SSL_CTX
  void AcceptLoop();

  std::string placeholder_name_;
  std::shared_ptr<Context> placeholder_;
  std::mutex mu_;
  std::shared_ptr<Context> current_;  // guarded by mu_
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace certferry::emulator
