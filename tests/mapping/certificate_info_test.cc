#include "mapping/certificate_info.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace certferry::mapping {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

MappingRow Row(int row, std::string domain, std::string id = "cas-1") {
  MappingRow r;
  r.row = row;
  r.domain = std::move(domain);
  r.certificate_id = std::move(id);
  return r;
}

MappingValidationOptions WithCertificates() {
  MappingValidationOptions options;
  options.certificates =
      CertificateNames{{"cas-1", {"api.example.com", "*.apps.example.com"}},
                       {"cas-2", {"shop.example.org"}}};
  return options;
}

// One issue at `row` in `column` whose problem mentions `problem`.
auto Issue(int row, const std::string& column, const std::string& problem) {
  return AllOf(Field(&MappingIssue::row, row),
               Field(&MappingIssue::column, column),
               Field(&MappingIssue::problem, HasSubstr(problem)));
}

std::vector<MappingIssue> CheckDomain(const std::string& domain) {
  return ValidateMappingRows({Row(2, "api.example.com"), Row(3, domain)},
                             WithCertificates());
}

TEST(ValidateMappingRows, AcceptsExactCoveredDomains) {
  EXPECT_THAT(ValidateMappingRows(
                  {Row(2, "api.example.com"), Row(3, "eu.apps.example.com"),
                   Row(4, "shop.example.org", "cas-2")},
                  WithCertificates()),
              IsEmpty());
}

TEST(ValidateMappingRows, RefusesWildcardAndSuggestsAHost) {
  const std::vector<MappingIssue> issues = CheckDomain("*.apps.example.com");
  ASSERT_THAT(issues, ElementsAre(Issue(3, "Domain", "is a wildcard")));
  EXPECT_EQ(FormatMappingIssue(issues[0]),
            "row 3, column Domain: '*.apps.example.com' is a wildcard; AIRec "
            "maps exact host names — list each host (e.g. "
            "'api.apps.example.com')");
}

TEST(ValidateMappingRows, RefusesSchemeAndShowsTheBareHost) {
  EXPECT_THAT(
      CheckDomain("https://eu.apps.example.com"),
      ElementsAre(AllOf(
          Issue(3, "Domain", "has a scheme"),
          Field(&MappingIssue::problem, HasSubstr("use 'eu.apps.example.com'")),
          Field(&MappingIssue::value, "https://eu.apps.example.com"))));
}

TEST(ValidateMappingRows, RefusesTrailingSlash) {
  EXPECT_THAT(CheckDomain("eu.apps.example.com/"),
              ElementsAre(Issue(3, "Domain", "ends with a slash")));
}

TEST(ValidateMappingRows, RefusesTrailingDot) {
  EXPECT_THAT(CheckDomain("eu.apps.example.com."),
              ElementsAre(Issue(3, "Domain", "ends with a dot")));
}

TEST(ValidateMappingRows, RefusesUpperCaseAndSaysTheLowerCaseName) {
  EXPECT_THAT(
      CheckDomain("EU.Apps.example.com"),
      ElementsAre(Issue(3, "Domain", "use lower case 'eu.apps.example.com'")));
}

TEST(ValidateMappingRows, RefusesSpaces) {
  EXPECT_THAT(CheckDomain(" eu.apps.example.com"),
              ElementsAre(Issue(3, "Domain", "contains a space")));
}

TEST(ValidateMappingRows, RefusesIpAddressAndBadLabels) {
  EXPECT_THAT(CheckDomain("192.0.2.1"),
              ElementsAre(Issue(3, "Domain", "is an IP address")));
  EXPECT_THAT(CheckDomain("a_b.apps.example.com"),
              ElementsAre(Issue(3, "Domain", "contains '_'")));
}

TEST(ValidateMappingRows, RefusesDomainTheCertificateDoesNotCover) {
  // The wildcard covers one label only (RFC 6125).
  EXPECT_THAT(
      CheckDomain("a.b.apps.example.com"),
      ElementsAre(Issue(3, "Domain", "is not covered by certificate 'cas-1'")));
  EXPECT_THAT(ValidateMappingRows({Row(2, "api.example.com", "cas-2")},
                                  WithCertificates()),
              ElementsAre(Issue(2, "Domain", "(names: shop.example.org)")));
}

TEST(ValidateMappingRows, RefusesUnknownAndEmptyCertificateId) {
  EXPECT_THAT(ValidateMappingRows({Row(2, "api.example.com", "cas-9"),
                                   Row(3, "eu.apps.example.com", "")},
                                  WithCertificates()),
              ElementsAre(Issue(2, "CertificateID",
                                "not a known certificate; use one of: "
                                "cas-1, cas-2"),
                          Issue(3, "CertificateID", "is empty")));
}

TEST(ValidateMappingRows, WithoutCertificatesOnlyRequiresAnId) {
  EXPECT_THAT(ValidateMappingRows({Row(2, "api.example.com", "anything")}, {}),
              IsEmpty());
}

TEST(ValidateMappingRows, RefusesBadPorts) {
  std::vector<MappingRow> rows = {
      Row(2, "api.example.com"), Row(3, "a.apps.example.com"),
      Row(4, "b.apps.example.com"), Row(5, "c.apps.example.com")};
  rows[0].port = "0";
  rows[1].port = "70000";
  rows[2].port = "https";
  rows[3].port = "8443";  // valid, if unusual
  EXPECT_THAT(ValidateMappingRows(rows, WithCertificates()),
              ElementsAre(Issue(2, "Port", "out of range"),
                          Issue(3, "Port", "out of range"),
                          Issue(4, "Port", "not a port number; use 443")));
}

TEST(ValidateMappingRows, RefusesProtocolOtherThanHttps) {
  std::vector<MappingRow> rows = {Row(2, "api.example.com"),
                                  Row(3, "a.apps.example.com")};
  rows[0].protocol = "HTTP";
  rows[1].protocol = "https";
  EXPECT_THAT(ValidateMappingRows(rows, WithCertificates()),
              ElementsAre(Issue(2, "Protocol", "use 'HTTPS'"),
                          Issue(3, "Protocol", "exactly 'HTTPS'")));
}

TEST(ValidateMappingRows, RefusesDuplicateDomainNamingTheFirstRow) {
  EXPECT_THAT(ValidateMappingRows(
                  {Row(2, "api.example.com"), Row(3, "eu.apps.example.com"),
                   Row(4, "api.example.com")},
                  WithCertificates()),
              ElementsAre(Issue(4, "Domain", "duplicates row 2")));
}

TEST(ValidateMappingRows, ReportsEveryProblemNotOnlyTheFirst) {
  std::vector<MappingRow> rows = {Row(2, "*.apps.example.com"),
                                  Row(3, "api.example.com/"),
                                  Row(4, "eu.apps.example.com", "")};
  rows[2].port = "x";
  EXPECT_THAT(
      ValidateMappingRows(rows, WithCertificates()),
      ElementsAre(Issue(2, "Domain", "wildcard"), Issue(3, "Domain", "slash"),
                  Issue(4, "CertificateID", "empty"),
                  Issue(4, "Port", "not a port")));
}

TEST(ValidateMappingRows, VariantHeaderNamesItsColumnsAndNeedsCertType) {
  MappingValidationOptions options = WithCertificates();
  options.header = HeaderKind::kVariant;
  MappingRow good = Row(2, "api.example.com");
  good.cert_type = "SSL";
  good.protocol = "";  // not a column of the variant: not checked
  MappingRow bad = Row(3, "API.example.com", "");
  EXPECT_THAT(ValidateMappingRows({good, bad}, options),
              ElementsAre(Issue(3, "domain", "use lower case"),
                          Issue(3, "domain", "duplicates row 2"),
                          Issue(3, "certificate_id", "is empty"),
                          Issue(3, "cert_type", "is empty")));
}

TEST(FormatMappingIssues, OneLinePerIssue) {
  EXPECT_EQ(FormatMappingIssues({{2, "Port", "0", "is out of range"},
                                 {5, "Domain", "", "is empty"}}),
            "row 2, column Port: '0' is out of range\n"
            "row 5, column Domain: '' is empty");
}

}  // namespace
}  // namespace certferry::mapping
