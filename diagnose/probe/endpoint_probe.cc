#include "diagnose/probe/endpoint_probe.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "diagnose/probe/dns.h"
#include "diagnose/probe/hsts.h"
#include "diagnose/probe/tcp.h"
#include "diagnose/probe/tls_client.h"
#include "diagnose/probe/tls_scan.h"

namespace certferry::diagnose {
namespace {

// Probes wait on the network far more than they compute, so more threads
// than cores pay off; more than this only queues handshakes at the server.
constexpr int kMaxParallelProbes = 8;

constexpr TlsVersion kVersions[] = {TlsVersion::kSsl3, TlsVersion::kTls1_0,
                                    TlsVersion::kTls1_1, TlsVersion::kTls1_2,
                                    TlsVersion::kTls1_3};
constexpr CipherClass kCipherClasses[] = {
    CipherClass::kNull,      CipherClass::kExport,
    CipherClass::kRc4,       CipherClass::kTripleDes,
    CipherClass::kAnonymous, CipherClass::kRsaKeyExchange};

// Runs every task once on up to `max_threads` threads (the caller's
// included) and returns when all are done. Each task writes only its own
// part of the evidence.
void RunConcurrently(const std::vector<std::function<void()>>& tasks,
                     int max_threads) {
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < tasks.size(); i = next++) tasks[i]();
  };
  const int extra =
      std::min<int>(max_threads, static_cast<int>(tasks.size())) - 1;
  std::vector<std::thread> threads;
  for (int i = 0; i < extra; ++i) threads.emplace_back(work);
  work();
  for (std::thread& thread : threads) thread.join();
}

HandshakeEvidence ProbeHandshake(Socket socket, const std::string& sni,
                                 absl::Time deadline) {
  HandshakeEvidence evidence;
  const absl::Time start = absl::Now();
  TlsClientOptions options;
  options.sni = sni;
  options.request_ocsp = true;
  auto client = TlsClient::Create(options);
  if (!client.ok()) {
    evidence.state = ProbeState::kFailed;
    evidence.error = std::string(client.status().message());
    return evidence;
  }
  HandshakeAttempt attempt =
      AttemptHandshake(std::move(socket), *client, deadline);
  evidence.elapsed = absl::Now() - start;
  evidence.state = attempt.state;
  evidence.error = std::move(attempt.detail);
  if (!attempt.session) return evidence;
  const TlsSession& session = *attempt.session;
  evidence.completed = true;
  evidence.protocol = session.protocol();
  evidence.cipher = session.cipher();
  evidence.chain = session.PeerChain();
  const std::string ocsp = session.StapledOcspResponse();
  evidence.ocsp_stapled = !ocsp.empty();
  evidence.ocsp_response_bytes = ocsp.size();
  return evidence;
}

// The Host header a browser sends for this URL.
std::string HostHeader(const std::string& name, int port) {
  std::string host = name.find(':') != std::string::npos
                         ? absl::StrCat("[", name, "]")  // IPv6 literal
                         : name;
  if (port != 443) absl::StrAppend(&host, ":", port);
  return host;
}

}  // namespace

absl::StatusOr<EndpointEvidence> CollectEndpointEvidence(
    const EndpointProbeRequest& request) {
  if (request.host.empty()) {
    return absl::InvalidArgumentError(
        "host: empty; give a host name or IP address, e.g. www.example.com");
  }
  if (request.port < 1 || request.port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "port: ", request.port, " is out of range; give 1..65535"));
  }
  if (request.timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("timeout: ", absl::FormatDuration(request.timeout),
                     " leaves no time; give a positive duration, e.g. 10s"));
  }
  const absl::Time start = absl::Now();
  const absl::Time deadline = start + request.timeout;

  EndpointEvidence evidence;
  evidence.host = request.host;
  evidence.port = request.port;
  evidence.sni = !request.sni.empty()        ? request.sni
                 : IsIpLiteral(request.host) ? ""
                                             : request.host;
  evidence.timeout = request.timeout;
  evidence.tls_library = TlsLibraryVersion();
  for (TlsVersion version : kVersions) {
    evidence.protocols.emplace_back().version = version;
  }
  for (CipherClass cipher_class : kCipherClasses) {
    evidence.cipher_classes.emplace_back().cipher_class = cipher_class;
  }
  auto finish = [&] {
    evidence.elapsed = absl::Now() - start;
    return evidence;
  };

  evidence.dns = ResolveHost(request.host, deadline);
  if (!request.expected_address.empty()) {
    evidence.dns.expected_address = CanonicalAddress(request.expected_address);
  }
  if (evidence.dns.state != ProbeState::kDone ||
      evidence.dns.addresses.empty()) {
    return finish();
  }

  TcpConnection tcp =
      ConnectTcp(evidence.dns.addresses.front(), request.port, deadline);
  evidence.tcp = tcp.evidence;
  if (tcp.evidence.outcome != TcpOutcome::kConnected) return finish();

  const ProbeTarget target{evidence.tcp.address, request.port};
  const std::string& sni = evidence.sni;
  const std::string host_header =
      HostHeader(sni.empty() ? request.host : sni, request.port);
  // Longest first: the cipher classes take a handshake per accepted suite.
  std::vector<std::function<void()>> tasks;
  tasks.push_back([&] {
    evidence.handshake = ProbeHandshake(std::move(tcp.socket), sni, deadline);
  });
  for (CipherClassEvidence& cipher_class : evidence.cipher_classes) {
    tasks.push_back([&] {
      cipher_class =
          ProbeCipherClass(target, sni, cipher_class.cipher_class, deadline);
    });
  }
  tasks.push_back(
      [&] { evidence.hsts = ProbeHsts(target, sni, host_header, deadline); });
  for (ProtocolEvidence& protocol : evidence.protocols) {
    tasks.push_back([&] {
      protocol = ProbeProtocolVersion(target, sni, protocol.version, deadline);
    });
  }
  RunConcurrently(tasks, kMaxParallelProbes);
  return finish();
}

}  // namespace certferry::diagnose
