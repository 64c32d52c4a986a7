#include "diagnose/probe/tls_client.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "pki/certificate_bundle.h"
#include "pki/digest.h"
#include "pki/internal/openssl_handles.h"

namespace certferry::diagnose {
namespace {

struct SslCtxDeleter {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
struct SslDeleter {
  void operator()(SSL* ssl) const { SSL_free(ssl); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxDeleter>;
using SslPtr = std::unique_ptr<SSL, SslDeleter>;

// OpenSSL writes to the socket with write(2), so a peer that resets the
// connection would raise SIGPIPE and kill the process. Blocks it on this
// thread for the duration and swallows one raised meanwhile.
class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigset_t pipe_only = PipeOnly();
    pthread_sigmask(SIG_BLOCK, &pipe_only, &old_mask_);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
  }
  ~SigpipeGuard() {
    if (!was_pending_) {
      sigset_t pipe_only = PipeOnly();
      const timespec zero = {0, 0};
      while (sigtimedwait(&pipe_only, nullptr, &zero) == SIGPIPE) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
  }

 private:
  static sigset_t PipeOnly() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    return set;
  }
  sigset_t old_mask_;
  bool was_pending_ = false;
};

// OpenSSL's error queue is per thread: drain it into one line.
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

int OpenSslVersion(TlsVersion version) {
  switch (version) {
    case TlsVersion::kSsl3:
      return SSL3_VERSION;
    case TlsVersion::kTls1_0:
      return TLS1_VERSION;
    case TlsVersion::kTls1_1:
      return TLS1_1_VERSION;
    case TlsVersion::kTls1_2:
      return TLS1_2_VERSION;
    case TlsVersion::kTls1_3:
      return TLS1_3_VERSION;
  }
  return 0;
}

PresentedCertificate DescribePresented(X509* cert, size_t index) {
  PresentedCertificate entry;
  unsigned char* der = nullptr;
  const int der_length = i2d_X509(cert, &der);
  if (der_length > 0) {
    entry.sha256 = pki::Sha256Hex(
        absl::string_view(reinterpret_cast<char*>(der), der_length));
    OPENSSL_free(der);
  }
  pki::internal::BioPtr bio(BIO_new(BIO_s_mem()));
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
    entry.not_before = (*info)[0].not_before;
    entry.not_after = (*info)[0].not_after;
    entry.dns_names = std::move((*info)[0].dns_names);
  } else {
    entry.parse_error = std::string(info.status().message());
  }
  return entry;
}

// Why an SSL call failed, for a message: OpenSSL's queue, else the errno of
// a failed syscall, else an orderly close by the peer.
std::string FailureReason(int ssl_error, int saved_errno) {
  std::string reason = OpenSslErrors();
  if (!reason.empty()) return reason;
  if (ssl_error == SSL_ERROR_SYSCALL && saved_errno != 0) {
    return std::strerror(saved_errno);
  }
  return "the server closed the connection";
}

// After an SSL call on non-blocking `fd` failed with `ssl_error`: OK once
// the socket is ready for the call to be repeated; DEADLINE_EXCEEDED
// ("<what> did not finish ...") when `deadline` passes first; UNAVAILABLE
// with the reason for a real failure.
absl::Status AwaitRetry(int ssl_error, int saved_errno, int fd,
                        absl::Time deadline, absl::string_view what) {
  if (ssl_error != SSL_ERROR_WANT_READ && ssl_error != SSL_ERROR_WANT_WRITE) {
    return absl::UnavailableError(FailureReason(ssl_error, saved_errno));
  }
  if (!WaitReady(fd, ssl_error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT,
                 deadline)) {
    return absl::DeadlineExceededError(
        absl::StrCat(what, " did not finish before the deadline"));
  }
  return absl::OkStatus();
}

}  // namespace

struct TlsClient::Impl {
  TlsClientOptions options;
  SslCtxPtr ctx;

  // A new connection object for this configuration; SNI and the status
  // request are per connection.
  absl::StatusOr<SslPtr> NewSsl() const {
    SslPtr ssl(SSL_new(ctx.get()));
    if (ssl == nullptr) {
      return absl::InternalError(absl::StrCat("SSL_new: ", OpenSslErrors()));
    }
    if (!options.sni.empty() &&
        SSL_set_tlsext_host_name(ssl.get(), options.sni.c_str()) != 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("sni: \"", options.sni, "\" cannot be sent as SNI (",
                       OpenSslErrors(), "); give a DNS host name"));
    }
    if (options.request_ocsp &&
        SSL_set_tlsext_status_type(ssl.get(), TLSEXT_STATUSTYPE_ocsp) != 1) {
      return absl::InternalError(
          absl::StrCat("requesting OCSP stapling: ", OpenSslErrors()));
    }
    return ssl;
  }
};

struct TlsSession::Impl {
  SslPtr ssl;
  Socket socket;
};

TlsClient::TlsClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TlsClient::TlsClient(TlsClient&& other) noexcept = default;
TlsClient& TlsClient::operator=(TlsClient&& other) noexcept = default;
TlsClient::~TlsClient() = default;

absl::StatusOr<TlsClient> TlsClient::Create(const TlsClientOptions& options) {
  ERR_clear_error();
  pki::internal::ErrorQueueGuard error_guard;
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->ctx.reset(SSL_CTX_new(TLS_client_method()));
  if (impl->ctx == nullptr) {
    return absl::InternalError(absl::StrCat("SSL_CTX_new: ", OpenSslErrors()));
  }
  SSL_CTX* ctx = impl->ctx.get();
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  // Level 0 lets this client offer old versions and weak suites and accept
  // weak certificates: the probes ask what the server does, not whether it
  // is safe.
  SSL_CTX_set_security_level(ctx, 0);
  const std::string cipher_list = absl::StrCat(
      options.cipher_list.empty() ? "DEFAULT" : options.cipher_list,
      ":@SECLEVEL=0");
  if (SSL_CTX_set_cipher_list(ctx, cipher_list.c_str()) != 1) {
    return absl::FailedPreconditionError(
        absl::StrCat("this OpenSSL has no cipher suite for \"",
                     options.cipher_list, "\" (", OpenSslErrors(), ")"));
  }
  if ((options.min_version &&
       SSL_CTX_set_min_proto_version(
           ctx, OpenSslVersion(*options.min_version)) != 1) ||
      (options.max_version &&
       SSL_CTX_set_max_proto_version(
           ctx, OpenSslVersion(*options.max_version)) != 1)) {
    return absl::FailedPreconditionError(
        absl::StrCat("this OpenSSL cannot pin the protocol version (",
                     OpenSslErrors(), ")"));
  }

  // What a build leaves out (SSLv3 in Debian's OpenSSL, say) only shows
  // when a ClientHello is built, so build one into memory now.
  auto probe = impl->NewSsl();
  if (!probe.ok()) return probe.status();
  BIO* read_bio = BIO_new(BIO_s_mem());
  BIO* write_bio = BIO_new(BIO_s_mem());
  if (read_bio == nullptr || write_bio == nullptr) {
    BIO_free(read_bio);
    BIO_free(write_bio);
    return absl::InternalError("BIO_new failed");
  }
  SSL_set_bio(probe->get(), read_bio, write_bio);  // the SSL owns both now
  const int result = SSL_connect(probe->get());
  if (result == 1 ||
      SSL_get_error(probe->get(), result) != SSL_ERROR_WANT_READ ||
      BIO_ctrl_pending(write_bio) == 0) {
    std::string reason = OpenSslErrors();
    if (reason.empty()) reason = "no ClientHello was produced";
    return absl::FailedPreconditionError(
        absl::StrCat("this OpenSSL cannot offer it: ", reason));
  }
  return TlsClient(std::move(impl));
}

absl::StatusOr<TlsSession> TlsClient::Handshake(Socket socket,
                                                absl::Time deadline) const {
  SigpipeGuard sigpipe_guard;
  ERR_clear_error();
  pki::internal::ErrorQueueGuard error_guard;
  auto ssl = impl_->NewSsl();
  if (!ssl.ok()) return ssl.status();
  if (SSL_set_fd(ssl->get(), socket.fd()) != 1) {
    return absl::InternalError(absl::StrCat("SSL_set_fd: ", OpenSslErrors()));
  }
  while (true) {
    const int result = SSL_connect(ssl->get());
    if (result == 1) break;
    const int error = SSL_get_error(ssl->get(), result);
    absl::Status waited =
        AwaitRetry(error, errno, socket.fd(), deadline, "the handshake");
    if (!waited.ok()) return waited;
  }
  auto impl = std::make_unique<TlsSession::Impl>();
  impl->ssl = *std::move(ssl);
  impl->socket = std::move(socket);
  return TlsSession(std::move(impl));
}

TlsSession::TlsSession(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TlsSession::TlsSession(TlsSession&& other) noexcept = default;
TlsSession& TlsSession::operator=(TlsSession&& other) noexcept = default;

TlsSession::~TlsSession() {
  if (impl_ == nullptr) return;
  SigpipeGuard sigpipe_guard;
  // Best effort close_notify on a non-blocking socket; nothing waits.
  SSL_shutdown(impl_->ssl.get());
  ERR_clear_error();
}

std::string TlsSession::protocol() const {
  return SSL_get_version(impl_->ssl.get());
}

std::string TlsSession::cipher() const {
  const SSL_CIPHER* cipher = SSL_get_current_cipher(impl_->ssl.get());
  return cipher == nullptr ? "" : SSL_CIPHER_get_name(cipher);
}

std::vector<PresentedCertificate> TlsSession::PeerChain() const {
  std::vector<PresentedCertificate> chain;
  STACK_OF(X509)* certs = SSL_get_peer_cert_chain(impl_->ssl.get());
  if (certs == nullptr) return chain;
  for (int i = 0; i < sk_X509_num(certs); ++i) {
    chain.push_back(
        DescribePresented(sk_X509_value(certs, i), static_cast<size_t>(i)));
  }
  return chain;
}

std::string TlsSession::StapledOcspResponse() const {
  const unsigned char* response = nullptr;
  const long length =
      SSL_get_tlsext_status_ocsp_resp(impl_->ssl.get(), &response);
  if (length <= 0 || response == nullptr) return "";
  return std::string(reinterpret_cast<const char*>(response),
                     static_cast<size_t>(length));
}

absl::Status TlsSession::Write(absl::string_view data, absl::Time deadline) {
  SigpipeGuard sigpipe_guard;
  ERR_clear_error();
  SSL* ssl = impl_->ssl.get();
  while (!data.empty()) {
    size_t written = 0;
    const int result = SSL_write_ex(ssl, data.data(), data.size(), &written);
    if (result == 1) {
      data.remove_prefix(written);
      continue;
    }
    const int error = SSL_get_error(ssl, result);
    absl::Status waited =
        AwaitRetry(error, errno, impl_->socket.fd(), deadline, "sending");
    if (!waited.ok()) return waited;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> TlsSession::ReadUntil(
    const std::function<bool(absl::string_view)>& complete, size_t max_bytes,
    absl::Time deadline) {
  SigpipeGuard sigpipe_guard;
  ERR_clear_error();
  SSL* ssl = impl_->ssl.get();
  std::string received;
  while (received.size() < max_bytes && !complete(received)) {
    char buffer[4096];
    size_t read = 0;
    const size_t want = std::min(sizeof(buffer), max_bytes - received.size());
    const int result = SSL_read_ex(ssl, buffer, want, &read);
    if (result == 1) {
      received.append(buffer, read);
      continue;
    }
    const int error = SSL_get_error(ssl, result);
    const int saved_errno = errno;
    // Many servers close without close_notify after answering.
    if (error == SSL_ERROR_ZERO_RETURN ||
        (error == SSL_ERROR_SYSCALL && saved_errno == 0) ||
        (error == SSL_ERROR_SSL && ERR_GET_REASON(ERR_peek_error()) ==
                                       SSL_R_UNEXPECTED_EOF_WHILE_READING)) {
      ERR_clear_error();
      break;
    }
    absl::Status waited = AwaitRetry(error, saved_errno, impl_->socket.fd(),
                                     deadline, "reading the answer");
    if (!waited.ok()) return waited;
  }
  return received;
}

std::string TlsLibraryVersion() { return OpenSSL_version(OPENSSL_VERSION); }

HandshakeAttempt AttemptHandshake(Socket socket, const TlsClient& client,
                                  absl::Time deadline) {
  HandshakeAttempt attempt;
  auto session = client.Handshake(std::move(socket), deadline);
  if (session.ok()) {
    attempt.state = ProbeState::kDone;
    attempt.session.emplace(*std::move(session));
    return attempt;
  }
  attempt.detail = std::string(session.status().message());
  switch (session.status().code()) {
    case absl::StatusCode::kUnavailable:
      attempt.state = ProbeState::kDone;
      break;
    case absl::StatusCode::kDeadlineExceeded:
      attempt.state = ProbeState::kTimedOut;
      break;
    default:
      attempt.state = ProbeState::kFailed;
  }
  return attempt;
}

HandshakeAttempt AttemptHandshake(const ProbeTarget& target,
                                  const TlsClient& client,
                                  absl::Time deadline) {
  TcpConnection tcp = ConnectTcp(target.address, target.port, deadline);
  switch (tcp.evidence.outcome) {
    case TcpOutcome::kConnected:
      return AttemptHandshake(std::move(tcp.socket), client, deadline);
    case TcpOutcome::kTimedOut: {
      HandshakeAttempt attempt;
      attempt.state = ProbeState::kTimedOut;
      attempt.detail = "connecting did not finish before the deadline";
      return attempt;
    }
    default: {
      HandshakeAttempt attempt;
      attempt.state = ProbeState::kFailed;
      attempt.detail = absl::StrCat("connecting: ", tcp.evidence.error);
      return attempt;
    }
  }
}

}  // namespace certferry::diagnose
