#pragma once

// What a diagnosis reports: one finding per observation, with a stable id
// (what tooling and tests key on), a severity on the scale TLS scanners use,
// the evidence seen, the error a browser would show, and the steps that fix
// it. Plain values; no I/O.

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace certferry::diagnose {

// Ordered: a larger value is worse. The scale testssl.sh and similar
// scanners use, so results line up with theirs.
enum class Severity {
  kInfo = 0,
  kOk = 1,
  kLow = 2,
  kMedium = 3,
  kHigh = 4,
  kCritical = 5
};

// "INFO", "OK", "LOW", "MEDIUM", "HIGH", "CRITICAL".
absl::string_view SeverityName(Severity severity);

struct Finding {
  std::string id;  // stable, e.g. "CHAIN_INCOMPLETE" (finding_catalog.h)
  Severity severity = Severity::kInfo;
  std::string title;     // one line: what is wrong (or right)
  std::string evidence;  // what was seen, e.g. subjects, fingerprints, dates
  // What a browser shows for it ("NET::ERR_CERT_DATE_INVALID"); empty when
  // none applies.
  std::string browser_error;
  std::vector<std::string> remedy;  // concrete steps, in order
};

// Worst first; equal severities keep their order.
void SortWorstFirst(std::vector<Finding>& findings);

// The worst severity in `findings`; kInfo for none.
Severity WorstSeverity(const std::vector<Finding>& findings);

}  // namespace certferry::diagnose
