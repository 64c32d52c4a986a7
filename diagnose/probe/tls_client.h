#pragma once

// The TLS client of the live probes: a lenient client (security level 0,
// no certificate verification: the point is to see what a server accepts
// and presents, trusted or not) whose versions and cipher suites can be
// pinned, with handshakes and I/O bounded by a deadline.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "diagnose/evidence.h"
#include "diagnose/probe/tcp.h"

namespace certferry::diagnose {

struct TlsClientOptions {
  std::string sni;  // empty: no SNI
  // nullopt: the lowest / highest version this OpenSSL speaks.
  std::optional<TlsVersion> min_version;
  std::optional<TlsVersion> max_version;
  // Suites for TLS 1.2 and older in OpenSSL's syntax; "@SECLEVEL=0" is
  // implied. Empty: "DEFAULT". TLS 1.3 always offers OpenSSL's defaults.
  std::string cipher_list;
  bool request_ocsp = false;  // send status_request (OCSP stapling)
};

// One established TLS connection. Move-only; not thread-safe. Destruction
// sends close_notify (best effort) and closes the socket.
class TlsSession {
 public:
  TlsSession(TlsSession&& other) noexcept;
  TlsSession& operator=(TlsSession&& other) noexcept;
  ~TlsSession();

  std::string protocol() const;  // e.g. "TLSv1.3"
  std::string cipher() const;    // OpenSSL's name, e.g. "ECDHE-RSA-NULL-SHA"
  // The certificates as the server presented them, leaf first.
  std::vector<PresentedCertificate> PeerChain() const;
  // The stapled OCSP response (DER); empty when none was stapled (or none
  // was requested).
  std::string StapledOcspResponse() const;

  // Sends all of `data`. UNAVAILABLE when the connection fails,
  // DEADLINE_EXCEEDED when `deadline` passes first.
  absl::Status Write(absl::string_view data, absl::Time deadline);
  // Reads until `complete(received so far)` is true, the peer closes, or
  // `max_bytes` have arrived; returns what arrived. UNAVAILABLE when the
  // connection fails, DEADLINE_EXCEEDED when `deadline` passes first.
  absl::StatusOr<std::string> ReadUntil(
      const std::function<bool(absl::string_view)>& complete, size_t max_bytes,
      absl::Time deadline);

 private:
  friend class TlsClient;
  struct Impl;
  explicit TlsSession(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A client configuration, reusable for any number of handshakes. Move-only;
// Handshake is thread-safe.
class TlsClient {
 public:
  // Builds the client and checks, without any I/O, that this OpenSSL can
  // offer what `options` ask for: it writes a ClientHello into memory.
  // FAILED_PRECONDITION with OpenSSL's reason when it cannot (a protocol
  // version or cipher class this build does not implement);
  // INVALID_ARGUMENT for an SNI name OpenSSL refuses; INTERNAL when OpenSSL
  // fails otherwise.
  static absl::StatusOr<TlsClient> Create(const TlsClientOptions& options);
  TlsClient(TlsClient&& other) noexcept;
  TlsClient& operator=(TlsClient&& other) noexcept;
  ~TlsClient();

  // Completes a handshake over `socket` (connected, non-blocking), without
  // verifying the server's certificate. UNAVAILABLE with OpenSSL's reason
  // when the server refuses (an alert), closes or resets;
  // DEADLINE_EXCEEDED when `deadline` passes first; INTERNAL when OpenSSL
  // fails locally.
  absl::StatusOr<TlsSession> Handshake(Socket socket,
                                       absl::Time deadline) const;

 private:
  struct Impl;
  explicit TlsClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The TLS library the client uses, e.g. "OpenSSL 3.0.19 27 Jan 2026": what
// can be offered (and so tested) depends on it.
std::string TlsLibraryVersion();

// Where the scans connect: the numeric address the TCP probe reached, so
// every probe talks to the same server.
struct ProbeTarget {
  std::string address;
  int port = 443;
};

// One handshake attempt, as the scans count it: state kDone with a session
// (accepted) or without one (refused: an alert, close or reset; `detail`
// has OpenSSL's reason); kTimedOut when the deadline passed; kFailed when
// the connection could not be made or OpenSSL failed locally (`detail`).
struct HandshakeAttempt {
  ProbeState state = ProbeState::kNotRun;
  std::optional<TlsSession> session;
  std::string detail;
};

// Connects to `target` and handshakes with `client`. Thread-safe.
HandshakeAttempt AttemptHandshake(const ProbeTarget& target,
                                  const TlsClient& client, absl::Time deadline);
// The same over a connected socket.
HandshakeAttempt AttemptHandshake(Socket socket, const TlsClient& client,
                                  absl::Time deadline);

}  // namespace certferry::diagnose
