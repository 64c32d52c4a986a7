#pragma once

// Helpers for asserting on diagnosis findings by id and severity.

#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "diagnose/finding.h"

namespace certferry::diagnose {

using IdAndSeverity = std::pair<std::string, Severity>;

// (id, severity) of each finding, in order: compare with ElementsAre(Pair()).
inline std::vector<IdAndSeverity> Ids(const std::vector<Finding>& findings) {
  std::vector<IdAndSeverity> ids;
  for (const Finding& f : findings) ids.emplace_back(f.id, f.severity);
  return ids;
}

// The first finding with `id`; null when there is none.
inline const Finding* FindFinding(const std::vector<Finding>& findings,
                                  absl::string_view id) {
  for (const Finding& f : findings) {
    if (f.id == id) return &f;
  }
  return nullptr;
}

// Gtest prints severities by name.
inline void PrintTo(Severity severity, std::ostream* os) {
  *os << SeverityName(severity);
}

}  // namespace certferry::diagnose
