#include "diagnose/finding_json.h"

#include "diagnose/finding_catalog.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace certferry::diagnose {
namespace {

using ::certferry::testing::IsOk;
using ::certferry::testing::StatusIs;

TEST(FindingJson, RoundTrips) {
  std::vector<Finding> findings = {
      MakeFinding("CHAIN_INCOMPLETE", "issuer CN=R3 not sent"),
      MakeFinding("WEAK_CIPHER", "3DES: DES-CBC3-SHA", Severity::kMedium)};
  auto back = FindingsFromJson(FindingsToJson(findings));
  ASSERT_THAT(back, IsOk());
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ((*back)[0].id, "CHAIN_INCOMPLETE");
  EXPECT_EQ((*back)[0].severity, Severity::kHigh);
  EXPECT_EQ((*back)[0].browser_error, "NET::ERR_CERT_AUTHORITY_INVALID");
  EXPECT_EQ((*back)[0].remedy, findings[0].remedy);
  EXPECT_EQ((*back)[0].evidence, "issuer CN=R3 not sent");
  EXPECT_EQ((*back)[1].severity, Severity::kMedium);
  EXPECT_THAT(FindingsFromJson("[]"), IsOk());
}

TEST(FindingJson, RefusesWhatIsNotAFindingsArray) {
  EXPECT_THAT(FindingsFromJson("{}").status(),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(FindingsFromJson(R"([{"id":"X","severity":"BAD"}])").status(),
              StatusIs(absl::StatusCode::kDataLoss));
}

}  // namespace
}  // namespace certferry::diagnose
