#include "targets/endpoint_probe.h"

#include <netdb.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <thread>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "pki/certificate_bundle.h"
#include "pki/digest.h"

namespace certferry::targets {
namespace {

struct SslCtxDeleter {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
struct SslDeleter {
  void operator()(SSL* ssl) const { SSL_free(ssl); }
};
struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct AddrInfoDeleter {
  void operator()(addrinfo* info) const { freeaddrinfo(info); }
};

// OpenSSL writes to the socket with write(2), so a peer that resets the
// connection would raise SIGPIPE and kill the process. Blocks it on this
// thread for the duration and swallows one raised meanwhile.
class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigset_t pipe_only;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_only, &old_mask_);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
  }
  ~SigpipeGuard() {
    if (!was_pending_) {
      sigset_t pipe_only;
      sigemptyset(&pipe_only);
      sigaddset(&pipe_only, SIGPIPE);
      const timespec zero = {0, 0};
      while (sigtimedwait(&pipe_only, nullptr, &zero) == SIGPIPE) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
  }

 private:
  sigset_t old_mask_;
  bool was_pending_ = false;
};

std::string Where(const VerifyEndpoint& endpoint) {
  std::string where = absl::StrCat(endpoint.host, ":", endpoint.port);
  if (!endpoint.sni.empty())
    absl::StrAppend(&where, " (SNI ", endpoint.sni, ")");
  return where;
}

int RemainingMillis(absl::Time deadline) {
  const absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) return 0;
  return static_cast<int>(
      std::clamp<int64_t>(absl::ToInt64Milliseconds(left), 1, 1 << 30));
}

// Waits until `fd` is ready for `events`; false when the deadline passed.
bool WaitReady(int fd, short events, absl::Time deadline) {
  while (true) {
    const int millis = RemainingMillis(deadline);
    if (millis == 0) return false;
    pollfd pfd = {fd, events, 0};
    const int ready = ::poll(&pfd, 1, millis);
    if (ready > 0) return true;
    if (ready < 0 && errno != EINTR) return true;  // let the I/O report it
  }
}

std::string OpenSslErrors() {
  std::string text;
  while (unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof(buffer));
    if (!text.empty()) text.append("; ");
    text.append(buffer);
  }
  return text;
}

absl::StatusOr<int> Connect(const VerifyEndpoint& endpoint, absl::Time deadline,
                            absl::Duration timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* raw = nullptr;
  const std::string port = std::to_string(endpoint.port);
  const int gai =
      ::getaddrinfo(endpoint.host.c_str(), port.c_str(), &hints, &raw);
  if (gai != 0) {
    return absl::UnavailableError(
        absl::StrCat("resolving ", endpoint.host, ": ", ::gai_strerror(gai)));
  }
  std::unique_ptr<addrinfo, AddrInfoDeleter> addresses(raw);
  std::string last_error = "no address";
  for (addrinfo* a = addresses.get(); a != nullptr; a = a->ai_next) {
    const int fd =
        ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                 a->ai_protocol);
    if (fd < 0) {
      last_error = std::strerror(errno);
      continue;
    }
    int error = 0;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      error = errno;
      if (error == EINPROGRESS) {
        if (!WaitReady(fd, POLLOUT, deadline)) {
          ::close(fd);
          return absl::DeadlineExceededError(absl::StrCat(
              "connecting to ", Where(endpoint), " took longer than ",
              absl::FormatDuration(timeout)));
        }
        socklen_t length = sizeof(error);
        if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) {
          error = errno;
        }
      }
    }
    if (error == 0) return fd;
    ::close(fd);
    last_error = std::strerror(error);
  }
  return absl::UnavailableError(
      absl::StrCat("connecting to ", Where(endpoint), ": ", last_error));
}

ServedChainEntry DescribeServed(X509* cert, size_t index) {
  ServedChainEntry entry;
  unsigned char* der = nullptr;
  const int der_length = i2d_X509(cert, &der);
  if (der_length > 0) {
    entry.sha256 = pki::Sha256Hex(
        absl::string_view(reinterpret_cast<char*>(der), der_length));
    OPENSSL_free(der);
  }
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new(BIO_s_mem()));
  if (bio != nullptr && PEM_write_bio_X509(bio.get(), cert) == 1) {
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio.get(), &data);
    entry.pem.assign(data, static_cast<size_t>(length));
  }
  // pki/ describes certificates the way stored versions are described, so
  // subjects compare as strings with what was deployed.
  auto info = pki::ParseCertificateChain(
      entry.pem, absl::StrCat("served certificate ", index + 1));
  if (info.ok() && !info->empty()) {
    entry.subject = (*info)[0].subject;
    entry.issuer = (*info)[0].issuer;
    entry.not_after = (*info)[0].not_after;
  } else {
    entry.parse_error = std::string(info.status().message());
  }
  return entry;
}

}  // namespace

absl::StatusOr<ServedCertificate> FetchServedCertificate(
    const VerifyEndpoint& endpoint, absl::Duration timeout) {
  if (endpoint.host.empty()) {
    return absl::InvalidArgumentError(
        "host: empty; give a host name or IP address, e.g. 127.0.0.1");
  }
  if (endpoint.port < 1 || endpoint.port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "port: ", endpoint.port, " is out of range; give 1..65535"));
  }
  const absl::Time deadline = absl::Now() + timeout;
  SigpipeGuard sigpipe_guard;
  ERR_clear_error();
  absl::Cleanup clear_errors = [] { ERR_clear_error(); };

  auto fd = Connect(endpoint, deadline, timeout);
  if (!fd.ok()) return fd.status();
  absl::Cleanup close_fd = [&fd] { ::close(*fd); };

  std::unique_ptr<SSL_CTX, SslCtxDeleter> ctx(SSL_CTX_new(TLS_client_method()));
  if (ctx == nullptr) {
    return absl::InternalError(absl::StrCat("SSL_CTX_new: ", OpenSslErrors()));
  }
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  // Level 0 so weak or old certificates are still fetched and shown.
  SSL_CTX_set_security_level(ctx.get(), 0);
  std::unique_ptr<SSL, SslDeleter> ssl(SSL_new(ctx.get()));
  if (ssl == nullptr || SSL_set_fd(ssl.get(), *fd) != 1) {
    return absl::InternalError(absl::StrCat("SSL_new: ", OpenSslErrors()));
  }
  if (!endpoint.sni.empty() &&
      SSL_set_tlsext_host_name(ssl.get(), endpoint.sni.c_str()) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("sni: \"", endpoint.sni, "\" cannot be sent as SNI (",
                     OpenSslErrors(), "); give a DNS host name"));
  }

  while (true) {
    const int result = SSL_connect(ssl.get());
    if (result == 1) break;
    const int error = SSL_get_error(ssl.get(), result);
    const int saved_errno = errno;
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
      if (!WaitReady(*fd, error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT,
                     deadline)) {
        return absl::DeadlineExceededError(absl::StrCat(
            "TLS handshake with ", Where(endpoint), " did not finish within ",
            absl::FormatDuration(timeout)));
      }
      continue;
    }
    std::string reason = OpenSslErrors();
    if (reason.empty()) {
      reason = (error == SSL_ERROR_SYSCALL && saved_errno != 0)
                   ? std::strerror(saved_errno)
                   : "the server closed the connection";
    }
    return absl::UnavailableError(absl::StrCat(
        "TLS handshake with ", Where(endpoint), " failed: ", reason));
  }

  STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl.get());
  if (chain == nullptr || sk_X509_num(chain) == 0) {
    return absl::UnavailableError(absl::StrCat(
        Where(endpoint), " completed the handshake without a certificate"));
  }
  ServedCertificate served;
  for (int i = 0; i < sk_X509_num(chain); ++i) {
    served.chain.push_back(
        DescribeServed(sk_X509_value(chain, i), static_cast<size_t>(i)));
  }
  served.leaf_sha256 = served.chain[0].sha256;
  served.protocol = SSL_get_version(ssl.get());
  if (const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl.get())) {
    served.cipher = SSL_CIPHER_get_name(cipher);
  }
  // Best effort close_notify; the answer does not depend on it.
  SSL_shutdown(ssl.get());
  return served;
}

absl::StatusOr<ServedCertificate> WaitForServedLeaf(
    const VerifyEndpoint& endpoint, const std::string& expected_leaf_sha256,
    absl::Duration deadline, absl::Duration retry_interval) {
  const std::string expected = absl::AsciiStrToLower(expected_leaf_sha256);
  const absl::Time end = absl::Now() + deadline;
  absl::StatusOr<ServedCertificate> last =
      absl::DeadlineExceededError("no attempt was made");
  while (true) {
    const absl::Duration attempt_timeout =
        std::max(end - absl::Now(), absl::Milliseconds(1));
    last = FetchServedCertificate(endpoint, attempt_timeout);
    if (last.status().code() == absl::StatusCode::kInvalidArgument) {
      return last.status();
    }
    if (last.ok() && last->leaf_sha256 == expected) return last;
    if (absl::Now() + retry_interval >= end) break;
    // Production retry pacing while a reload takes effect.
    std::this_thread::sleep_for(absl::ToChronoMilliseconds(retry_interval));
  }
  const std::string waited = absl::FormatDuration(deadline);
  if (!last.ok()) {
    return absl::Status(
        last.status().code(),
        absl::StrCat("waiting ", waited, " for ", Where(endpoint),
                     " to serve leaf sha256 ", expected,
                     "; last attempt: ", last.status().message()));
  }
  const ServedChainEntry& leaf = last->chain[0];
  return absl::FailedPreconditionError(absl::StrCat(
      Where(endpoint), " serves leaf sha256 ", leaf.sha256, " (subject \"",
      leaf.subject, "\", issuer \"", leaf.issuer, "\"), expected sha256 ",
      expected, " after waiting ", waited,
      "; check that the server was reloaded and reads the deployed files"));
}

}  // namespace certferry::targets
