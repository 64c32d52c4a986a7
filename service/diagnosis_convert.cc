#include "service/diagnosis_convert.h"

namespace certferry::service {

v1::Severity ToProto(diagnose::Severity severity) {
  switch (severity) {
    case diagnose::Severity::kInfo:
      return v1::SEVERITY_INFO;
    case diagnose::Severity::kOk:
      return v1::SEVERITY_OK;
    case diagnose::Severity::kLow:
      return v1::SEVERITY_LOW;
    case diagnose::Severity::kMedium:
      return v1::SEVERITY_MEDIUM;
    case diagnose::Severity::kHigh:
      return v1::SEVERITY_HIGH;
    case diagnose::Severity::kCritical:
      return v1::SEVERITY_CRITICAL;
  }
  return v1::SEVERITY_UNSPECIFIED;
}

v1::Finding ToProto(const diagnose::Finding& finding) {
  v1::Finding out;
  out.set_id(finding.id);
  out.set_severity(ToProto(finding.severity));
  out.set_title(finding.title);
  out.set_evidence(finding.evidence);
  out.set_browser_error(finding.browser_error);
  for (const std::string& step : finding.remedy) out.add_remedy(step);
  return out;
}

void AddFindings(const std::vector<diagnose::Finding>& findings,
                 v1::DiagnosisReport* report) {
  std::vector<diagnose::Finding> sorted = findings;
  diagnose::SortWorstFirst(sorted);
  for (const diagnose::Finding& f : sorted) {
    *report->add_findings() = ToProto(f);
  }
  report->set_worst(ToProto(diagnose::WorstSeverity(sorted)));
}

}  // namespace certferry::service
