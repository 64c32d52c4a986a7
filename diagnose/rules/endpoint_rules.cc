#include "diagnose/rules/endpoint_rules.h"

#include <algorithm>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "diagnose/finding_catalog.h"

namespace certferry::diagnose {
namespace {

// Browsers' preload list and scanners ask for at least this much.
constexpr absl::Duration kMinHstsMaxAge = absl::Hours(24 * 180);

// Short and readable: "312us", "41ms", "3.2s".
std::string Elapsed(absl::Duration duration) {
  absl::Duration unit = absl::Milliseconds(100);
  if (duration < absl::Milliseconds(1)) {
    unit = absl::Microseconds(1);
  } else if (duration < absl::Seconds(1)) {
    unit = absl::Milliseconds(1);
  }
  return absl::FormatDuration(absl::Trunc(duration, unit));
}

std::string Endpoint(const EndpointEvidence& evidence) {
  std::string where = absl::StrCat(
      evidence.tcp.address.empty() ? evidence.host : evidence.tcp.address, ":",
      evidence.port);
  if (!evidence.sni.empty())
    absl::StrAppend(&where, " (SNI ", evidence.sni, ")");
  return where;
}

// "365 days" from a day up, else "10m".
std::string Age(absl::Duration duration) {
  if (duration < absl::Hours(24)) return absl::FormatDuration(duration);
  return absl::StrCat(absl::ToInt64Hours(duration) / 24, " days");
}

std::string NormalizeFingerprint(absl::string_view hex) {
  return absl::AsciiStrToLower(absl::StrReplaceAll(hex, {{":", ""}}));
}

// Collects the probes that did not get their answer, for CHECK_INCOMPLETE.
class Incomplete {
 public:
  void Note(absl::string_view probe, ProbeState state,
            absl::string_view detail) {
    if (state != ProbeState::kTimedOut && state != ProbeState::kFailed) return;
    std::string entry = absl::StrCat(probe, " (", ProbeStateName(state));
    if (!detail.empty()) absl::StrAppend(&entry, ": ", detail);
    entry.append(")");
    entries_.push_back(std::move(entry));
  }
  void AddFinding(const EndpointEvidence& evidence,
                  std::vector<Finding>& findings) const {
    if (entries_.empty()) return;
    findings.push_back(MakeFinding(
        "CHECK_INCOMPLETE",
        absl::StrCat(absl::StrJoin(entries_, "; "), "; overall deadline ",
                     absl::FormatDuration(evidence.timeout))));
  }

 private:
  std::vector<std::string> entries_;
};

// False when no later check can run (no address).
bool DnsFindings(const EndpointEvidence& evidence,
                 std::vector<Finding>& findings) {
  const DnsEvidence& dns = evidence.dns;
  if (dns.state == ProbeState::kTimedOut) {
    findings.push_back(MakeFinding(
        "DNS_NO_ADDRESS",
        absl::StrCat(dns.host, ": the resolver did not answer within ",
                     Elapsed(dns.elapsed))));
    return false;
  }
  if (dns.state != ProbeState::kDone) return false;
  if (dns.addresses.empty()) {
    findings.push_back(
        MakeFinding("DNS_NO_ADDRESS", absl::StrCat(dns.host, ": ", dns.error)));
    return false;
  }
  const std::string addresses = absl::StrJoin(dns.addresses, ", ");
  findings.push_back(MakeFinding(
      "DNS_RESOLVED", absl::StrCat(dns.host, " resolves to ", addresses, " (",
                                   Elapsed(dns.elapsed), ")")));
  if (!dns.expected_address.empty() &&
      std::find(dns.addresses.begin(), dns.addresses.end(),
                dns.expected_address) == dns.addresses.end()) {
    findings.push_back(
        MakeFinding("DNS_ADDRESS_MISMATCH",
                    absl::StrCat(dns.host, " resolves to ", addresses,
                                 "; expected ", dns.expected_address)));
  }
  return true;
}

// False when no later check can run (no connection).
bool TcpFindings(const EndpointEvidence& evidence,
                 std::vector<Finding>& findings) {
  const TcpEvidence& tcp = evidence.tcp;
  if (tcp.state != ProbeState::kDone) return false;
  std::string where = absl::StrCat(tcp.address, ":", tcp.port);
  if (evidence.dns.addresses.size() > 1) {
    absl::StrAppend(&where, " (the first of ", evidence.dns.addresses.size(),
                    " addresses)");
  }
  switch (tcp.outcome) {
    case TcpOutcome::kConnected:
      findings.push_back(MakeFinding(
          "PORT_REACHABLE", absl::StrCat(where, " accepted the connection in ",
                                         Elapsed(tcp.elapsed))));
      return true;
    case TcpOutcome::kRefused:
      findings.push_back(MakeFinding(
          "PORT_REFUSED", absl::StrCat(where, ": ", tcp.error, " after ",
                                       Elapsed(tcp.elapsed))));
      return false;
    case TcpOutcome::kTimedOut:
      findings.push_back(MakeFinding(
          "PORT_UNREACHABLE",
          absl::StrCat(where, ": no answer to the connection attempt within ",
                       Elapsed(tcp.elapsed))));
      return false;
    case TcpOutcome::kError:
      findings.push_back(MakeFinding("PORT_UNREACHABLE",
                                     absl::StrCat(where, ": ", tcp.error)));
      return false;
  }
  return false;
}

// False when no later check can run (no TLS).
bool HandshakeFindings(const EndpointEvidence& evidence,
                       std::vector<Finding>& findings, Incomplete& incomplete) {
  const HandshakeEvidence& handshake = evidence.handshake;
  switch (handshake.state) {
    case ProbeState::kDone:
      if (handshake.completed) return true;
      findings.push_back(
          MakeFinding("TLS_HANDSHAKE_FAILED",
                      absl::StrCat(Endpoint(evidence), ": ", handshake.error)));
      return false;
    case ProbeState::kTimedOut:
      findings.push_back(MakeFinding(
          "TLS_HANDSHAKE_FAILED",
          absl::StrCat(Endpoint(evidence),
                       ": the server did not complete the handshake within ",
                       Elapsed(handshake.elapsed))));
      return false;
    default:
      incomplete.Note("TLS handshake", handshake.state, handshake.error);
      return false;
  }
}

void ServedFindings(const EndpointEvidence& evidence,
                    const EndpointRuleOptions& options,
                    std::vector<Finding>& findings) {
  if (options.expected_leaf_sha256.empty()) return;
  const std::string expected =
      NormalizeFingerprint(options.expected_leaf_sha256);
  if (evidence.handshake.chain.empty()) {
    findings.push_back(MakeFinding(
        "SERVED_NOT_DEPLOYED",
        absl::StrCat("no certificate was served; expected leaf sha256 ",
                     expected)));
    return;
  }
  const PresentedCertificate& leaf = evidence.handshake.chain.front();
  const std::string subject =
      leaf.subject.empty() ? "unreadable subject" : leaf.subject;
  if (leaf.sha256 == expected) {
    findings.push_back(MakeFinding(
        "SERVED_AS_DEPLOYED",
        absl::StrCat("leaf sha256 ", leaf.sha256, " (", subject, ")")));
    return;
  }
  std::string known;
  if (options.name_certificate) known = options.name_certificate(leaf.sha256);
  findings.push_back(MakeFinding(
      "SERVED_NOT_DEPLOYED",
      absl::StrCat("served leaf sha256 ", leaf.sha256, " (", subject, "; ",
                   known.empty() ? "not a certificate certferry knows"
                                 : absl::StrCat("known as ", known),
                   "); expected sha256 ", expected)));
}

void OcspFindings(const HandshakeEvidence& handshake,
                  std::vector<Finding>& findings) {
  if (handshake.ocsp_stapled) {
    findings.push_back(MakeFinding(
        "OCSP_STAPLED", absl::StrCat("a ", handshake.ocsp_response_bytes,
                                     "-byte OCSP response was stapled")));
  } else {
    findings.push_back(MakeFinding(
        "OCSP_STAPLING_MISSING",
        "the handshake asked for OCSP stapling (status_request) and got no "
        "response"));
  }
}

const ProtocolEvidence* FindProtocol(const EndpointEvidence& evidence,
                                     TlsVersion version) {
  for (const ProtocolEvidence& protocol : evidence.protocols) {
    if (protocol.version == version) return &protocol;
  }
  return nullptr;
}

bool Accepted(const ProtocolEvidence* protocol) {
  return protocol != nullptr && protocol->state == ProbeState::kDone &&
         protocol->accepted;
}

bool Refused(const ProtocolEvidence* protocol) {
  return protocol != nullptr && protocol->state == ProbeState::kDone &&
         !protocol->accepted;
}

std::string Offered(const ProtocolEvidence& protocol) {
  std::string text = absl::StrCat("a handshake offering only ",
                                  TlsVersionName(protocol.version), " was ",
                                  protocol.accepted ? "accepted" : "refused");
  if (!protocol.accepted && !protocol.detail.empty()) {
    absl::StrAppend(&text, " (", protocol.detail, ")");
  }
  return text;
}

void ProtocolFindings(const EndpointEvidence& evidence,
                      std::vector<Finding>& findings, Incomplete& incomplete) {
  static constexpr std::pair<TlsVersion, const char*> kLegacy[] = {
      {TlsVersion::kSsl3, "PROTOCOL_SSL3"},
      {TlsVersion::kTls1_0, "PROTOCOL_TLS1_0"},
      {TlsVersion::kTls1_1, "PROTOCOL_TLS1_1"}};
  for (const auto& [version, id] : kLegacy) {
    const ProtocolEvidence* protocol = FindProtocol(evidence, version);
    if (Accepted(protocol)) {
      findings.push_back(MakeFinding(id, Offered(*protocol)));
    }
  }
  const ProtocolEvidence* tls12 = FindProtocol(evidence, TlsVersion::kTls1_2);
  const ProtocolEvidence* tls13 = FindProtocol(evidence, TlsVersion::kTls1_3);
  if (Refused(tls12) && Refused(tls13)) {
    findings.push_back(
        MakeFinding("PROTOCOL_MODERN_MISSING",
                    absl::StrCat(Offered(*tls12), "; ", Offered(*tls13),
                                 "; the server "
                                 "negotiated ",
                                 evidence.handshake.protocol)));
  } else {
    if (Refused(tls12)) {
      findings.push_back(
          MakeFinding("PROTOCOL_TLS1_2_MISSING", Offered(*tls12)));
    }
    if (Refused(tls13)) {
      findings.push_back(
          MakeFinding("PROTOCOL_TLS1_3_MISSING", Offered(*tls13)));
    }
  }
  std::vector<std::string> untestable;
  for (const ProtocolEvidence& protocol : evidence.protocols) {
    if (protocol.state == ProbeState::kUntestable) {
      untestable.emplace_back(TlsVersionName(protocol.version));
    }
    incomplete.Note(TlsVersionName(protocol.version), protocol.state,
                    protocol.detail);
  }
  if (!untestable.empty()) {
    findings.push_back(MakeFinding(
        "PROTOCOL_UNTESTABLE",
        absl::StrCat(absl::StrJoin(untestable, ", "), ": ",
                     evidence.tls_library.empty() ? "this TLS library"
                                                  : evidence.tls_library,
                     " cannot offer ",
                     untestable.size() == 1 ? "it" : "them")));
  }
}

// WEAK_CIPHER's severity per class; nullopt for the class with its own id.
std::optional<Severity> WeakCipherSeverity(CipherClass cipher_class) {
  switch (cipher_class) {
    case CipherClass::kNull:
    case CipherClass::kExport:
    case CipherClass::kAnonymous:
      return Severity::kCritical;
    case CipherClass::kRc4:
      return Severity::kHigh;
    case CipherClass::kTripleDes:
      return Severity::kMedium;
    case CipherClass::kRsaKeyExchange:
      return std::nullopt;
  }
  return std::nullopt;
}

void CipherFindings(const EndpointEvidence& evidence,
                    std::vector<Finding>& findings, Incomplete& incomplete) {
  std::vector<std::string> untestable;
  for (const CipherClassEvidence& cipher_class : evidence.cipher_classes) {
    const std::string name(CipherClassName(cipher_class.cipher_class));
    if (cipher_class.state == ProbeState::kUntestable) {
      untestable.push_back(name);
      continue;
    }
    incomplete.Note(absl::StrCat("cipher class ", name), cipher_class.state,
                    cipher_class.detail);
    if (cipher_class.state != ProbeState::kDone ||
        cipher_class.accepted_suites.empty()) {
      continue;
    }
    std::string suites =
        absl::StrCat(name, " suites accepted: ",
                     absl::StrJoin(cipher_class.accepted_suites, ", "));
    if (cipher_class.accepted_suites_truncated) {
      absl::StrAppend(&suites, " (and possibly more)");
    }
    if (std::optional<Severity> severity =
            WeakCipherSeverity(cipher_class.cipher_class)) {
      findings.push_back(MakeFinding("WEAK_CIPHER", suites, *severity));
    } else {
      findings.push_back(MakeFinding("CIPHER_NO_FORWARD_SECRECY", suites));
    }
  }
  if (!untestable.empty()) {
    findings.push_back(MakeFinding(
        "CIPHER_CLASS_UNTESTABLE",
        absl::StrCat(absl::StrJoin(untestable, ", "), ": ",
                     evidence.tls_library.empty() ? "this TLS library"
                                                  : evidence.tls_library,
                     " has no such suites to offer")));
  }
}

void HstsFindings(const HstsEvidence& hsts, std::vector<Finding>& findings,
                  Incomplete& incomplete) {
  incomplete.Note("HSTS", hsts.state, hsts.detail);
  if (hsts.state != ProbeState::kDone) return;
  if (!hsts.header_present) {
    findings.push_back(MakeFinding(
        "HSTS_MISSING",
        absl::StrCat("GET / answered ", hsts.http_status,
                     " without a Strict-Transport-Security header")));
    return;
  }
  const std::string header =
      absl::StrCat("Strict-Transport-Security: ", hsts.header_value);
  if (!hsts.max_age) {
    findings.push_back(MakeFinding(
        "HSTS_MISSING",
        absl::StrCat(header, " has no valid max-age, so browsers ignore it")));
    return;
  }
  const std::string age =
      absl::StrCat(header, " (max-age ", Age(*hsts.max_age), ")");
  if (*hsts.max_age < kMinHstsMaxAge) {
    findings.push_back(MakeFinding(
        "HSTS_MAX_AGE_SHORT",
        absl::StrCat(age, "; at least ", Age(kMinHstsMaxAge), " expected")));
  } else {
    findings.push_back(MakeFinding("HSTS_PRESENT", age));
  }
}

}  // namespace

std::vector<Finding> EndpointFindings(const EndpointEvidence& evidence,
                                      const EndpointRuleOptions& options) {
  std::vector<Finding> findings;
  Incomplete incomplete;
  if (DnsFindings(evidence, findings) && TcpFindings(evidence, findings) &&
      HandshakeFindings(evidence, findings, incomplete)) {
    ServedFindings(evidence, options, findings);
    OcspFindings(evidence.handshake, findings);
    ProtocolFindings(evidence, findings, incomplete);
    CipherFindings(evidence, findings, incomplete);
    HstsFindings(evidence.hsts, findings, incomplete);
  }
  incomplete.AddFinding(evidence, findings);
  return findings;
}

}  // namespace certferry::diagnose
