#pragma once

// Test helpers for findings: matchers on id and severity, and access to the
// single finding of an id.

#include <ostream>
#include <string>
#include <vector>

#include "diagnose/finding.h"
#include "diagnose/rules/chain_rules.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/test_pki.h"

namespace certferry::diagnose {

// Failure messages name severities and findings instead of dumping bytes.
inline void PrintTo(Severity severity, std::ostream* os) {
  *os << SeverityName(severity);
}
inline void PrintTo(const Finding& finding, std::ostream* os) {
  *os << finding.id << " " << SeverityName(finding.severity) << " ("
      << finding.evidence << ")";
}

inline ::testing::Matcher<const Finding&> HasId(const std::string& id) {
  return ::testing::Field(&Finding::id, id);
}

inline ::testing::Matcher<const Finding&> IsFinding(const std::string& id,
                                                    Severity severity) {
  return ::testing::AllOf(HasId(id),
                          ::testing::Field(&Finding::severity, severity));
}

inline std::vector<std::string> Ids(const std::vector<Finding>& findings) {
  std::vector<std::string> ids;
  for (const Finding& finding : findings) ids.push_back(finding.id);
  return ids;
}

// The one finding with `id`; a test failure (and an empty finding) when
// there is none or more than one.
inline const Finding& Only(const std::vector<Finding>& findings,
                           const std::string& id) {
  static const Finding kNone;
  const Finding* found = &kNone;
  int count = 0;
  for (const Finding& finding : findings) {
    if (finding.id == id) {
      found = &finding;
      ++count;
    }
  }
  EXPECT_EQ(count, 1) << id << " in "
                      << ::testing::PrintToString(Ids(findings));
  return count == 1 ? *found : kNone;
}

// Hermetic options: only the chain's test root is trusted.
inline ChainRuleOptions TrustingRootOf(
    const ::certferry::testing::TestChain& chain,
    const std::string& domain = "") {
  ChainRuleOptions options;
  options.extra_trust_pem = chain.root.cert_pem;
  options.use_system_trust = false;
  options.expected_domain = domain;
  return options;
}

}  // namespace certferry::diagnose
