#include "diagnose/finding.h"

#include <algorithm>

namespace certferry::diagnose {

absl::string_view SeverityName(Severity severity) {
  switch (severity) {
    case Severity::kInfo:
      return "INFO";
    case Severity::kOk:
      return "OK";
    case Severity::kLow:
      return "LOW";
    case Severity::kMedium:
      return "MEDIUM";
    case Severity::kHigh:
      return "HIGH";
    case Severity::kCritical:
      return "CRITICAL";
  }
  return "INFO";
}

void SortWorstFirst(std::vector<Finding>& findings) {
  std::stable_sort(findings.begin(), findings.end(),
                   [](const Finding& a, const Finding& b) {
                     return a.severity > b.severity;
                   });
}

Severity WorstSeverity(const std::vector<Finding>& findings) {
  Severity worst = Severity::kInfo;
  for (const Finding& f : findings) worst = std::max(worst, f.severity);
  return worst;
}

}  // namespace certferry::diagnose
