#include "diagnose/diagnose.h"

#include <algorithm>

#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "diagnose/rules/chain_rules.h"

namespace certferry::diagnose {
namespace {

DiagnosisTimings Timings(const EndpointEvidence& evidence) {
  DiagnosisTimings timings;
  timings.dns = evidence.dns.elapsed;
  timings.connect = evidence.tcp.elapsed;
  timings.handshake = evidence.handshake.elapsed;
  for (const ProtocolEvidence& protocol : evidence.protocols) {
    timings.protocol_scan = std::max(timings.protocol_scan, protocol.elapsed);
  }
  for (const CipherClassEvidence& cipher_class : evidence.cipher_classes) {
    timings.cipher_scan = std::max(timings.cipher_scan, cipher_class.elapsed);
  }
  timings.hsts = evidence.hsts.elapsed;
  timings.total = evidence.elapsed;
  return timings;
}

}  // namespace

absl::StatusOr<DiagnosisReport> DiagnoseEndpoint(
    const EndpointDiagnosisRequest& request) {
  CF_ASSIGN_OR_RETURN(EndpointEvidence evidence,
                      CollectEndpointEvidence(request.endpoint));
  DiagnosisReport report;
  report.findings = EndpointFindings(evidence, request.served);
  // Trust, names, dates and keys only mean something for a chain that was
  // actually presented in a completed handshake.
  if (evidence.handshake.completed && !evidence.handshake.chain.empty()) {
    ChainRuleOptions chain_options;
    chain_options.now = request.now.value_or(absl::Now());
    chain_options.expected_domain = !request.expected_domain.empty()
                                        ? request.expected_domain
                                    : !evidence.sni.empty() ? evidence.sni
                                                            : evidence.host;
    chain_options.extra_trust_pem = request.extra_trust_pem;
    chain_options.use_system_trust = request.use_system_trust;
    std::vector<std::string> chain_pem;
    for (const PresentedCertificate& cert : evidence.handshake.chain) {
      chain_pem.push_back(cert.pem);
    }
    std::vector<Finding> chain_findings =
        ChainFindings(chain_pem, chain_options);
    report.findings.insert(report.findings.end(),
                           std::make_move_iterator(chain_findings.begin()),
                           std::make_move_iterator(chain_findings.end()));
  }
  SortWorstFirst(report.findings);
  report.worst = WorstSeverity(report.findings);
  report.chain = std::move(evidence.handshake.chain);
  report.protocol = std::move(evidence.handshake.protocol);
  report.cipher = std::move(evidence.handshake.cipher);
  report.addresses = std::move(evidence.dns.addresses);
  report.timings = Timings(evidence);
  return report;
}

}  // namespace certferry::diagnose
