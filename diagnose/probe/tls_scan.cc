#include "diagnose/probe/tls_scan.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace certferry::diagnose {

std::string CipherClassRule(CipherClass cipher_class) {
  // PSK and SRP suites need credentials this client does not have; leave
  // them out so a class is not "offered" with suites OpenSSL then drops.
  switch (cipher_class) {
    case CipherClass::kNull:
      return "eNULL:!PSK:!SRP";
    case CipherClass::kExport:
      return "EXPORT:!PSK:!SRP";
    case CipherClass::kRc4:
      return "RC4:!PSK:!SRP";
    case CipherClass::kTripleDes:
      return "3DES:!PSK:!SRP";
    case CipherClass::kAnonymous:
      return "aNULL:!eNULL:!PSK:!SRP";
    case CipherClass::kRsaKeyExchange:
      return "kRSA:!eNULL:!aNULL:!EXPORT:!RC4:!3DES:!PSK:!SRP";
  }
  return "";
}

ProtocolEvidence ProbeProtocolVersion(const ProbeTarget& target,
                                      const std::string& sni,
                                      TlsVersion version, absl::Time deadline) {
  ProtocolEvidence evidence;
  evidence.version = version;
  const absl::Time start = absl::Now();
  TlsClientOptions options;
  options.sni = sni;
  options.min_version = version;
  options.max_version = version;
  auto client = TlsClient::Create(options);
  if (!client.ok()) {
    evidence.state =
        client.status().code() == absl::StatusCode::kFailedPrecondition
            ? ProbeState::kUntestable
            : ProbeState::kFailed;
    evidence.detail = std::string(client.status().message());
    return evidence;
  }
  HandshakeAttempt attempt = AttemptHandshake(target, *client, deadline);
  evidence.state = attempt.state;
  evidence.accepted = attempt.session.has_value();
  evidence.detail = std::move(attempt.detail);
  evidence.elapsed = absl::Now() - start;
  return evidence;
}

CipherClassEvidence ProbeCipherClass(const ProbeTarget& target,
                                     const std::string& sni,
                                     CipherClass cipher_class,
                                     absl::Time deadline, int max_suites) {
  CipherClassEvidence evidence;
  evidence.cipher_class = cipher_class;
  const absl::Time start = absl::Now();
  TlsClientOptions options;
  options.sni = sni;
  options.min_version = TlsVersion::kTls1_0;
  options.max_version = TlsVersion::kTls1_2;
  options.cipher_list = CipherClassRule(cipher_class);
  while (true) {
    auto client = TlsClient::Create(options);
    if (!client.ok()) {
      // Before the first handshake: this OpenSSL has none of the class.
      // After an accepted one: every suite it has was accepted.
      if (evidence.state == ProbeState::kNotRun) {
        evidence.state =
            client.status().code() == absl::StatusCode::kFailedPrecondition
                ? ProbeState::kUntestable
                : ProbeState::kFailed;
        evidence.detail = std::string(client.status().message());
      }
      break;
    }
    HandshakeAttempt attempt = AttemptHandshake(target, *client, deadline);
    if (evidence.state == ProbeState::kNotRun) {
      evidence.state = attempt.state;
      evidence.detail = attempt.detail;
    } else if (attempt.state != ProbeState::kDone) {
      // The list so far stands; what a later attempt might have added is
      // unknown.
      evidence.accepted_suites_truncated = true;
      evidence.detail = absl::StrCat("listing stopped: ", attempt.detail);
    }
    if (!attempt.session) break;
    const std::string suite = attempt.session->cipher();
    evidence.accepted_suites.push_back(suite);
    if (static_cast<int>(evidence.accepted_suites.size()) >= max_suites) {
      evidence.accepted_suites_truncated = true;
      break;
    }
    absl::StrAppend(&options.cipher_list, ":!", suite);
  }
  evidence.elapsed = absl::Now() - start;
  return evidence;
}

}  // namespace certferry::diagnose
