#include "emulator/tls_endpoint.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"

namespace certferry::emulator {

struct TlsEndpoint::Context {
  SSL_CTX* ctx = nullptr;
  ~Context() { SSL_CTX_free(ctx); }
};

namespace {

std::string OpenSslError() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof(buf));
  return buf;
}

SSL_CTX* NewServerContext() {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx != nullptr) SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  return ctx;
}

// A fresh self-signed P-256 certificate for `name`, valid for a day.
absl::Status UsePlaceholder(SSL_CTX* ctx, const std::string& name) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  absl::Status status = absl::OkStatus();
  if (key == nullptr || cert == nullptr) {
    status = absl::InternalError("placeholder: " + OpenSslError());
  } else {
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
    X509_NAME* subject = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(
                                   "certferry emulator placeholder"),
                               -1, -1, 0);
    X509_NAME_add_entry_by_txt(
        subject, "CN", MBSTRING_UTF8,
        reinterpret_cast<const unsigned char*>(name.c_str()), -1, -1, 0);
    X509_set_issuer_name(cert, subject);
    X509_set_pubkey(cert, key);
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, cert, cert, nullptr, nullptr, 0);
    const std::string san = "DNS:" + name;
    if (X509_EXTENSION* ext = X509V3_EXT_conf_nid(
            nullptr, &v3, NID_subject_alt_name, san.c_str())) {
      X509_add_ext(cert, ext, -1);
      X509_EXTENSION_free(ext);
    }
    if (X509_sign(cert, key, EVP_sha256()) == 0 ||
        SSL_CTX_use_certificate(ctx, cert) != 1 ||
        SSL_CTX_use_PrivateKey(ctx, key) != 1) {
      status = absl::InternalError("placeholder: " + OpenSslError());
    }
  }
  X509_free(cert);
  EVP_PKEY_free(key);
  return status;
}

}  // namespace

TlsEndpoint::TlsEndpoint(std::string placeholder_name)
    : placeholder_name_(std::move(placeholder_name)) {}

TlsEndpoint::~TlsEndpoint() { Stop(); }

absl::StatusOr<int> TlsEndpoint::Start() {
  placeholder_ = std::make_shared<Context>();
  placeholder_->ctx = NewServerContext();
  if (placeholder_->ctx == nullptr) {
    return absl::InternalError("SSL_CTX_new: " + OpenSslError());
  }
  if (absl::Status s = UsePlaceholder(placeholder_->ctx, placeholder_name_);
      !s.ok()) {
    return s;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    current_ = placeholder_;
  }
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (listen_fd_ < 0 ||
      bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(listen_fd_, 64) != 0 ||
      getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return absl::InternalError("TLS endpoint: cannot listen on 127.0.0.1");
  }
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { AcceptLoop(); });
  return port_;
}

void TlsEndpoint::Stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
  if (listen_fd_ >= 0) close(listen_fd_);
  listen_fd_ = -1;
}

absl::Status TlsEndpoint::SetCertificate(const std::string& chain_pem,
                                         const SecretString& key_pem) {
  auto context = std::make_shared<Context>();
  context->ctx = NewServerContext();
  BIO* chain_bio =
      BIO_new_mem_buf(chain_pem.data(), static_cast<int>(chain_pem.size()));
  BIO* key_bio = BIO_new_mem_buf(key_pem.Reveal().data(),
                                 static_cast<int>(key_pem.size()));
  X509* leaf = PEM_read_bio_X509(chain_bio, nullptr, nullptr, nullptr);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio, nullptr, nullptr, nullptr);
  bool ok = context->ctx != nullptr && leaf != nullptr && key != nullptr &&
            SSL_CTX_use_certificate(context->ctx, leaf) == 1 &&
            SSL_CTX_use_PrivateKey(context->ctx, key) == 1 &&
            SSL_CTX_check_private_key(context->ctx) == 1;
  // The rest of the chain goes out after the leaf, as a real terminator does.
  while (ok) {
    X509* extra = PEM_read_bio_X509(chain_bio, nullptr, nullptr, nullptr);
    if (extra == nullptr) break;
    if (SSL_CTX_add_extra_chain_cert(context->ctx, extra) != 1) {
      X509_free(extra);
      ok = false;
    }
  }
  std::string error = ok ? "" : OpenSslError();
  ERR_clear_error();
  X509_free(leaf);
  EVP_PKEY_free(key);
  BIO_free(chain_bio);
  BIO_free(key_bio);
  if (!ok) {
    return absl::InvalidArgumentError(
        absl::StrCat("certificate and key cannot be served: ", error));
  }
  std::lock_guard<std::mutex> lock(mu_);
  current_ = std::move(context);
  return absl::OkStatus();
}

void TlsEndpoint::ServePlaceholder() {
  std::lock_guard<std::mutex> lock(mu_);
  current_ = placeholder_;
}

void TlsEndpoint::AcceptLoop() {
  while (!stopping_) {
    pollfd pfd{listen_fd_, POLLIN, 0};
    if (poll(&pfd, 1, 50) <= 0) continue;
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    // A client that never finishes the handshake must not stall the
    // endpoint for long: handshakes run one at a time on this thread.
    timeval timeout{2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
    std::shared_ptr<Context> context;
    {
      std::lock_guard<std::mutex> lock(mu_);
      context = current_;
    }
    SSL* ssl = SSL_new(context->ctx);
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) == 1) SSL_shutdown(ssl);
    ERR_clear_error();
    SSL_free(ssl);
    close(fd);
  }
}

}  // namespace certferry::emulator
