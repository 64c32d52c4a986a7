#include "targets/endpoint_probe.h"

#include <algorithm>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "diagnose/probe/dns.h"
#include "diagnose/probe/tcp.h"
#include "diagnose/probe/tls_client.h"

namespace certferry::targets {
namespace {

std::string Where(const VerifyEndpoint& endpoint) {
  std::string where = absl::StrCat(endpoint.host, ":", endpoint.port);
  if (!endpoint.sni.empty())
    absl::StrAppend(&where, " (SNI ", endpoint.sni, ")");
  return where;
}

// Every resolved address in turn, as a client with several A/AAAA records
// does; the first that connects wins.
absl::StatusOr<diagnose::Socket> Connect(const VerifyEndpoint& endpoint,
                                         absl::Time deadline,
                                         absl::Duration timeout) {
  diagnose::DnsEvidence dns = diagnose::ResolveHost(endpoint.host, deadline);
  if (dns.state == diagnose::ProbeState::kTimedOut) {
    return absl::DeadlineExceededError(
        absl::StrCat("resolving ", endpoint.host, " took longer than ",
                     absl::FormatDuration(timeout)));
  }
  if (dns.addresses.empty()) {
    return absl::UnavailableError(
        absl::StrCat("resolving ", endpoint.host, ": ", dns.error));
  }
  std::string last_error;
  for (const std::string& address : dns.addresses) {
    diagnose::TcpConnection connection =
        diagnose::ConnectTcp(address, endpoint.port, deadline);
    switch (connection.evidence.outcome) {
      case diagnose::TcpOutcome::kConnected:
        return std::move(connection.socket);
      case diagnose::TcpOutcome::kTimedOut:
        if (absl::Now() >= deadline) {
          return absl::DeadlineExceededError(absl::StrCat(
              "connecting to ", Where(endpoint), " took longer than ",
              absl::FormatDuration(timeout)));
        }
        [[fallthrough]];
      default:
        last_error = connection.evidence.error;
    }
  }
  return absl::UnavailableError(
      absl::StrCat("connecting to ", Where(endpoint), ": ", last_error));
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
  diagnose::TlsClientOptions options;
  options.sni = endpoint.sni;
  auto client = diagnose::TlsClient::Create(options);
  if (!client.ok()) return client.status();
  auto socket = Connect(endpoint, deadline, timeout);
  if (!socket.ok()) return socket.status();
  auto session = client->Handshake(*std::move(socket), deadline);
  if (!session.ok()) {
    switch (session.status().code()) {
      case absl::StatusCode::kDeadlineExceeded:
        return absl::DeadlineExceededError(absl::StrCat(
            "TLS handshake with ", Where(endpoint), " did not finish within ",
            absl::FormatDuration(timeout)));
      case absl::StatusCode::kUnavailable:
        return absl::UnavailableError(
            absl::StrCat("TLS handshake with ", Where(endpoint),
                         " failed: ", session.status().message()));
      default:
        return session.status();
    }
  }
  ServedCertificate served;
  served.chain = session->PeerChain();
  if (served.chain.empty()) {
    return absl::UnavailableError(absl::StrCat(
        Where(endpoint), " completed the handshake without a certificate"));
  }
  served.leaf_sha256 = served.chain[0].sha256;
  served.protocol = session->protocol();
  served.cipher = session->cipher();
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
