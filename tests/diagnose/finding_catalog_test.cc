#include "diagnose/finding_catalog.h"

#include <set>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace certferry::diagnose {
namespace {

using ::testing::IsEmpty;
using ::testing::Not;

TEST(FindingCatalog, IdsAreUniqueUpperSnakeCase) {
  std::set<std::string> seen;
  for (const CatalogEntry& entry : FindingCatalog()) {
    EXPECT_TRUE(seen.insert(entry.id).second) << entry.id;
    const std::string id = entry.id;
    EXPECT_EQ(id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"),
              std::string::npos)
        << id;
  }
  EXPECT_GT(seen.size(), 40u);
}

// A problem without a fix is not a diagnosis.
TEST(FindingCatalog, EveryProblemHasARemedy) {
  for (const CatalogEntry& entry : FindingCatalog()) {
    if (entry.severity >= Severity::kLow) {
      EXPECT_THAT(entry.remedy, Not(IsEmpty())) << entry.id;
    }
    EXPECT_STRNE(entry.title, "") << entry.id;
  }
}

TEST(FindingCatalog, MakeFindingFillsFromTheCatalog) {
  Finding f = MakeFinding("CERT_EXPIRED", "notAfter 2020-01-01");
  EXPECT_EQ(f.id, "CERT_EXPIRED");
  EXPECT_EQ(f.severity, Severity::kCritical);
  EXPECT_EQ(f.browser_error, "NET::ERR_CERT_DATE_INVALID");
  EXPECT_EQ(f.evidence, "notAfter 2020-01-01");
  EXPECT_THAT(f.remedy, Not(IsEmpty()));

  Finding weak = MakeFinding("WEAK_CIPHER", "3DES", Severity::kMedium);
  EXPECT_EQ(weak.severity, Severity::kMedium);

  Finding unknown = MakeFinding("NO_SUCH_FINDING", "");
  EXPECT_EQ(unknown.id, "NO_SUCH_FINDING");
  EXPECT_EQ(unknown.severity, Severity::kInfo);
}

TEST(FindingCatalog, SortWorstFirstIsStable) {
  std::vector<Finding> findings = {MakeFinding("HSTS_MISSING", "a"),
                                   MakeFinding("CERT_EXPIRED", "b"),
                                   MakeFinding("CHAIN_TRUSTED", "c"),
                                   MakeFinding("OCSP_STAPLING_MISSING", "d")};
  SortWorstFirst(findings);
  ASSERT_EQ(findings.size(), 4u);
  EXPECT_EQ(findings[0].id, "CERT_EXPIRED");
  EXPECT_EQ(findings[1].evidence, "a");  // LOW, first of the two
  EXPECT_EQ(findings[2].evidence, "d");
  EXPECT_EQ(findings[3].id, "CHAIN_TRUSTED");
  EXPECT_EQ(WorstSeverity(findings), Severity::kCritical);
  EXPECT_EQ(WorstSeverity({}), Severity::kInfo);
  EXPECT_EQ(SeverityName(Severity::kMedium), "MEDIUM");
}

}  // namespace
}  // namespace certferry::diagnose
