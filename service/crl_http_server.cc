#include "service/crl_http_server.h"

#include <httplib.h>

#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/log.h"

namespace certferry::service {
namespace {

constexpr char kCrlPath[] =
    R"(/crl/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.crl)";

// RFC 7231 IMF-fixdate, for Last-Modified.
std::string HttpDate(absl::Time t) {
  return absl::FormatTime("%a, %d %b %Y %H:%M:%S GMT", t, absl::UTCTimeZone());
}

void ServeCrl(issuers::CrlPublisher& crls, const httplib::Request& req,
              httplib::Response& res) {
  const std::string ca_id = req.matches[1];
  absl::StatusOr<model::CertificateRevocationList> crl = crls.Current(ca_id);
  if (!crl.ok()) {
    if (absl::IsNotFound(crl.status())) {
      res.status = 404;
      res.set_content(absl::StrCat("no certificate authority ", ca_id, "\n"),
                      "text/plain");
      return;
    }
    LogWarning(absl::StrCat("serving the CRL of CA ", ca_id,
                            " failed: ", crl.status().message()));
    res.status = 503;
    res.set_header("Retry-After", "5");
    res.set_content("CRL temporarily unavailable; retry\n", "text/plain");
    return;
  }
  res.status = 200;
  res.set_header("Last-Modified", HttpDate(crl->this_update));
  // Shared caches may hold it briefly; a revocation shows within a minute.
  res.set_header("Cache-Control", "public, max-age=60");
  res.set_content(crl->der, "application/pkix-crl");
}

}  // namespace

struct CrlHttpServer::Impl {
  httplib::Server server;
  std::thread thread;
};

CrlHttpServer::CrlHttpServer() : impl_(std::make_unique<Impl>()) {}

absl::StatusOr<std::unique_ptr<CrlHttpServer>> CrlHttpServer::Bind(
    const std::string& listen_address) {
  const size_t colon = listen_address.rfind(':');
  int port = -1;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(listen_address.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--crl_listen: '", listen_address,
        "' is not host:port; give e.g. 127.0.0.1:8080 (port 0: any free)"));
  }
  std::unique_ptr<CrlHttpServer> out(new CrlHttpServer());
  out->host_ = listen_address.substr(0, colon);
  if (out->host_.size() > 2 && out->host_.front() == '[' &&
      out->host_.back() == ']') {
    out->host_ = out->host_.substr(1, out->host_.size() - 2);
  }
  httplib::Server& server = out->impl_->server;
  // Stop waits for idle keep-alive connections; relying parties reconnect.
  server.set_keep_alive_timeout(2);
  if (port == 0) {
    out->port_ = server.bind_to_any_port(out->host_);
  } else if (server.bind_to_port(out->host_, port)) {
    out->port_ = port;
  }
  if (out->port_ <= 0) {
    return absl::UnavailableError(
        absl::StrCat("--crl_listen: cannot serve on ", listen_address,
                     "; is the port taken or the address not local? choose "
                     "another with --crl_listen"));
  }
  return out;
}

void CrlHttpServer::Serve(issuers::CrlPublisher& crls) {
  httplib::Server& server = impl_->server;
  server.Get(kCrlPath,
             [&crls](const httplib::Request& req, httplib::Response& res) {
               ServeCrl(crls, req, res);
             });
  impl_->thread = std::thread([&server] { server.listen_after_bind(); });
  // httplib 0.11 cannot wait until it listens, and a stop() that comes
  // before listen_after_bind would leave it running forever.
  while (!server.is_running()) absl::SleepFor(absl::Milliseconds(1));
}

CrlHttpServer::~CrlHttpServer() { Stop(); }

void CrlHttpServer::Stop() {
  // Never served: nothing listens, and stop() would have nothing to stop.
  if (!impl_->thread.joinable()) return;
  impl_->server.stop();
  impl_->thread.join();
}

}  // namespace certferry::service
