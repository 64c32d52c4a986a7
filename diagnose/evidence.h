#pragma once

// What the live probes saw at an endpoint, as plain values: the input of the
// endpoint rules (rules/endpoint_rules.h), which turn it into findings. The
// probes (probe/) fill it in; tests of the rules build it by hand.

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace certferry::diagnose {

// Whether a probe produced its answer. Read a probe's other fields only
// when it is kDone.
enum class ProbeState {
  kNotRun,      // skipped: a probe it needs failed (no address, port closed)
  kDone,        // answered; the answer may be negative (refused, missing)
  kTimedOut,    // the overall deadline passed before the answer
  kUntestable,  // this host's OpenSSL cannot offer what the probe needs
  kFailed,      // another error (local, or the connection was lost); detail
};

// "not run", "done", "timed out", "untestable", "failed".
absl::string_view ProbeStateName(ProbeState state);

enum class TlsVersion { kSsl3, kTls1_0, kTls1_1, kTls1_2, kTls1_3 };

// "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3" (OpenSSL's and nginx's
// spelling).
absl::string_view TlsVersionName(TlsVersion version);

// Cipher-suite classes a server should refuse (TLS 1.2 and older; TLS 1.3
// has none of them).
enum class CipherClass {
  kNull,            // no encryption
  kExport,          // 40/56-bit export grade
  kRc4,             // RC4 stream cipher
  kTripleDes,       // 3DES (64-bit block: Sweet32)
  kAnonymous,       // no server authentication (aNULL)
  kRsaKeyExchange,  // static RSA key exchange: no forward secrecy
};

// "NULL", "EXPORT", "RC4", "3DES", "anonymous", "RSA key exchange".
absl::string_view CipherClassName(CipherClass cipher_class);

struct DnsEvidence {
  ProbeState state = ProbeState::kNotRun;
  std::string host;
  // Numeric addresses in getaddrinfo's order, without duplicates; empty when
  // the name does not resolve.
  std::vector<std::string> addresses;
  std::string error;  // the resolver's message when it failed
  // The address the caller expected, in the same numeric form; empty: none.
  std::string expected_address;
  absl::Duration elapsed;
};

enum class TcpOutcome { kConnected, kRefused, kTimedOut, kError };

// A TCP connect to the first resolved address. A timeout here is an answer
// (packets dropped on the way), so state is kDone with outcome kTimedOut.
struct TcpEvidence {
  ProbeState state = ProbeState::kNotRun;
  std::string address;  // numeric
  int port = 0;
  TcpOutcome outcome = TcpOutcome::kError;
  std::string error;       // strerror text unless connected
  absl::Duration timeout;  // what the connect was allowed
  absl::Duration elapsed;
};

// One certificate as the server presented it.
struct PresentedCertificate {
  std::string pem;
  std::string sha256;   // lowercase hex of SHA-256 over the DER
  std::string subject;  // RFC 2253; empty when parse_error is set
  std::string issuer;   // RFC 2253; empty when parse_error is set
  // Unset (InfinitePast / empty) with parse_error.
  absl::Time not_before = absl::InfinitePast();
  absl::Time not_after = absl::InfinitePast();
  std::vector<std::string> dns_names;  // SAN dNSName entries, lowercase
  // Why the fields above are missing (e.g. an X.509 v1
  // certificate, which pki/ does not describe); empty normally.
  std::string parse_error;
};

// The handshake a lenient client makes (any version, any certificate,
// security level 0), with SNI and an OCSP status request.
struct HandshakeEvidence {
  ProbeState state = ProbeState::kNotRun;
  bool completed = false;  // with state kDone: false = the handshake failed
  std::string error;       // OpenSSL's reason when it failed
  std::string protocol;    // e.g. "TLSv1.3"
  std::string cipher;      // e.g. "TLS_AES_256_GCM_SHA384"
  std::vector<PresentedCertificate> chain;  // as presented, leaf first
  bool ocsp_stapled = false;
  size_t ocsp_response_bytes = 0;
  absl::Duration elapsed;
};

// A handshake offering exactly one protocol version.
struct ProtocolEvidence {
  TlsVersion version = TlsVersion::kTls1_2;
  ProbeState state = ProbeState::kNotRun;
  bool accepted = false;  // with state kDone
  std::string detail;     // refusal reason, or why untestable/failed
  absl::Duration elapsed;
};

// Handshakes (TLS 1.2 and older) offering only one class of suites; after
// each accepted suite the next offer leaves it out, to list what the server
// takes.
struct CipherClassEvidence {
  CipherClass cipher_class = CipherClass::kNull;
  ProbeState state = ProbeState::kNotRun;
  // OpenSSL names of the suites the server chose, in order; empty when it
  // refused the class. Possibly not all of them when the list was cut
  // (accepted_suites_truncated) or the deadline passed.
  std::vector<std::string> accepted_suites;
  bool accepted_suites_truncated = false;
  std::string detail;  // why untestable/failed, or the refusal reason
  absl::Duration elapsed;
};

// One HTTPS GET / (Host: the SNI name) and its response head.
struct HstsEvidence {
  ProbeState state = ProbeState::kNotRun;
  int http_status = 0;
  bool header_present = false;
  std::string header_value;  // the first Strict-Transport-Security header
  // max-age when the header has a valid one; nullopt otherwise.
  std::optional<absl::Duration> max_age;
  bool include_subdomains = false;
  std::string detail;  // why it failed or timed out
  absl::Duration elapsed;
};

struct EndpointEvidence {
  std::string host;
  int port = 0;
  std::string sni;  // empty: none was sent
  DnsEvidence dns;
  TcpEvidence tcp;
  HandshakeEvidence handshake;
  std::vector<ProtocolEvidence> protocols;  // SSLv3 .. TLS 1.3, in order
  std::vector<CipherClassEvidence> cipher_classes;  // CipherClass order
  HstsEvidence hsts;
  std::string tls_library;  // the client's, e.g. "OpenSSL 3.0.19 27 Jan 2026"
  absl::Duration timeout;   // the overall deadline, from the start
  absl::Duration elapsed;   // the whole collection
};

}  // namespace certferry::diagnose
