#pragma once

// Serves the built-in CAs' CRLs over plain HTTP at GET (or HEAD)
// /crl/<CA id>.crl: the DER CRL as application/pkix-crl, the URL issued
// certificates carry as their CRL distribution point. HTTP rather than
// HTTPS as RFC 5280 §4.2.1.13 expects: fetching a CRL must not itself
// depend on a certificate check. The CRL comes from CrlPublisher::Current,
// so a CRL that is missing or due is published on fetch. Unknown CAs and
// other paths get 404. Thread-safe; requests run on cpp-httplib's threads.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "issuers/crl_publisher.h"

namespace certferry::service {

class CrlHttpServer {
 public:
  // Binds `listen_address` (host:port; port 0 picks a free one); requests
  // wait in the backlog until Serve. INVALID_ARGUMENT for a malformed
  // address; UNAVAILABLE when it cannot be bound.
  static absl::StatusOr<std::unique_ptr<CrlHttpServer>> Bind(
      const std::string& listen_address);

  ~CrlHttpServer();  // Stops.
  CrlHttpServer(const CrlHttpServer&) = delete;
  CrlHttpServer& operator=(const CrlHttpServer&) = delete;

  // Starts answering with `crls`' CRLs (`crls` must outlive the server).
  // Call once. (Two steps, so that the URL with the bound port can go into
  // the certificates before anything serves.)
  void Serve(issuers::CrlPublisher& crls);

  // Stops accepting and waits for requests in progress. Idempotent.
  void Stop();

  // The host as given (without brackets) and the port actually bound.
  const std::string& host() const { return host_; }
  int port() const { return port_; }

 private:
  struct Impl;  // the cpp-httplib server and its thread
  CrlHttpServer();

  std::unique_ptr<Impl> impl_;
  std::string host_;
  int port_ = 0;
};

}  // namespace certferry::service
