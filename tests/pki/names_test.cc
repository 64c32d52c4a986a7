#include "pki/names.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace certferry::pki {
namespace {

using ::certferry::testing::IsOk;
using ::certferry::testing::IsOkAndHolds;
using ::certferry::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ContainsRegex;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;

// `n` copies of 'a'.
std::string Label(size_t n) { return std::string(n, 'a'); }

// A DNS name of exactly `length` characters made of labels of at most 63.
std::string NameOfLength(size_t length) {
  std::vector<std::string> labels;
  size_t remaining = length;
  while (remaining > 64) {
    labels.push_back(Label(63));
    remaining -= 64;
  }
  labels.push_back(Label(remaining));
  return absl::StrJoin(labels, ".");
}

TEST(IsIpAddress, RecognisesIpv4AndIpv6Only) {
  EXPECT_TRUE(IsIpAddress("192.0.2.1"));
  EXPECT_TRUE(IsIpAddress("2001:db8::1"));
  EXPECT_TRUE(IsIpAddress("::1"));
  EXPECT_FALSE(IsIpAddress("example.com"));
  EXPECT_FALSE(IsIpAddress("192.0.2.256"));
  EXPECT_FALSE(IsIpAddress("192.0.2"));
  EXPECT_FALSE(IsIpAddress(""));
}

TEST(ValidateCertificateName, AcceptsDnsNamesWildcardsAndIpAddresses) {
  ASSERT_EQ(NameOfLength(253).size(), 253u);
  for (const std::string& name : std::vector<std::string>{
           "example.com",
           "www.example.com",
           "WWW.Example.COM",
           "a-b.c1.example.co.uk",
           "xn--bcher-kva.example",
           "1.example.com",
           "*.example.com",
           "*.Sub.Example.com",
           Label(63) + ".example.com",
           NameOfLength(253),
           "192.0.2.1",
           "10.0.0.255",
           "2001:db8::1",
           "2001:DB8:0:0:8:800:200C:417A",
           "::1",
       }) {
    SCOPED_TRACE(name);
    EXPECT_THAT(ValidateCertificateName("domains[0]", name), IsOk());
  }
}

struct RejectCase {
  std::string name;
  std::string rule;  // a substring of the rule the name breaks
};

class ValidateCertificateNameRejects
    : public ::testing::TestWithParam<RejectCase> {};

INSTANTIATE_TEST_SUITE_P(
    InvalidNames, ValidateCertificateNameRejects,
    ::testing::Values(
        RejectCase{"", "is empty"},
        RejectCase{NameOfLength(254), "254 characters long"},
        RejectCase{Label(64) + ".example.com", "label of 64 characters"},
        RejectCase{"exa_mple.com", "contains '_'"},
        RejectCase{"exa mple.com", "contains ' '"},
        RejectCase{"ex!ample.com", "contains '!'"},
        RejectCase{"host.example.com:443", "contains ':'"},
        RejectCase{"example.com.", "ends with a dot"},
        RejectCase{"example.com/", "ends with a slash"},
        RejectCase{"https://example.com", "is a URL"},
        RejectCase{"a..example.com", "empty label"},
        RejectCase{".example.com", "empty label"},
        RejectCase{"*.com", "wildcard over a top-level domain"},
        RejectCase{"a.*.example.com", "wildcard outside the whole left-most"},
        RejectCase{"*a.example.com", "wildcard outside the whole left-most"},
        RejectCase{"a*.example.com", "wildcard outside the whole left-most"},
        RejectCase{"**.example.com", "wildcard outside the whole left-most"},
        RejectCase{"*", "single label"},
        RejectCase{"-www.example.com", "starts or ends with a hyphen"},
        RejectCase{"www-.example.com", "starts or ends with a hyphen"},
        RejectCase{"www.example.com-", "starts or ends with a hyphen"},
        RejectCase{"localhost", "single label"},
        RejectCase{"192.0.2.256:80", "contains ':'"}));

TEST_P(ValidateCertificateNameRejects, WithNameAndRule) {
  const RejectCase& c = GetParam();
  EXPECT_THAT(
      ValidateCertificateName("domains[2]", c.name),
      StatusIs(kInvalid,
               AllOf(StartsWith(absl::StrCat("domains[2]: '", c.name, "' ")),
                     HasSubstr(c.rule))));
}

TEST(NormalizeCertificateName, LowercasesDnsNames) {
  EXPECT_EQ(NormalizeCertificateName("WWW.Example.COM"), "www.example.com");
  EXPECT_EQ(NormalizeCertificateName("*.Example.com"), "*.example.com");
  EXPECT_EQ(NormalizeCertificateName("already.lower.example"),
            "already.lower.example");
}

TEST(NormalizeCertificateName, ReturnsIpAddressesAsGiven) {
  EXPECT_EQ(NormalizeCertificateName("192.0.2.1"), "192.0.2.1");
  EXPECT_EQ(NormalizeCertificateName("2001:DB8::1"), "2001:DB8::1");
}

TEST(NormalizeDnsNames, LowercasesAndDropsDuplicatesInOrder) {
  EXPECT_THAT(NormalizeDnsNames("dns_names", {"B.example.com", "*.Example.com",
                                              "b.example.com"}),
              IsOkAndHolds(ElementsAre("b.example.com", "*.example.com")));
}

TEST(NormalizeDnsNames, NamesTheBadEntryOrTheEmptyList) {
  EXPECT_THAT(NormalizeDnsNames("dns_names", {}),
              StatusIs(kInvalid, StartsWith("dns_names: empty")));
  EXPECT_THAT(NormalizeDnsNames("dns_names", {"ok.example.com", "a..b"}),
              StatusIs(kInvalid, StartsWith("dns_names[1]: ")));
  EXPECT_THAT(NormalizeDnsNames("dns_names", {"192.0.2.1"}),
              StatusIs(kInvalid, AllOf(StartsWith("dns_names[0]: "),
                                       HasSubstr("IP address"))));
}

TEST(ParseSanDomains, TrimsSkipsCommentsFoldsCaseAndDropsDuplicates) {
  const std::string content =
      "# names for the shop\n"
      "  www.Example.com  \n"
      "\n"
      "   \t \n"
      "api.example.com # the API\n"
      "WWW.EXAMPLE.COM\n"
      "\t192.0.2.10\t\n"
      "   # indented comment\n"
      "*.Example.com\n"
      "api.example.com\n"
      "2001:db8::1";  // no final newline

  EXPECT_THAT(
      ParseSanDomains(content),
      IsOkAndHolds(ElementsAre("www.example.com", "api.example.com",
                               "192.0.2.10", "*.example.com", "2001:db8::1")));
}

TEST(ParseSanDomains, DuplicateKeepsThePositionOfItsFirstOccurrence) {
  EXPECT_THAT(ParseSanDomains("c.example.com\n"
                              "B.example.com\n"
                              "a.example.com\n"
                              "b.EXAMPLE.com\n"
                              "c.example.com\n"),
              IsOkAndHolds(ElementsAre("c.example.com", "b.example.com",
                                       "a.example.com")));
}

TEST(ParseSanDomains, AcceptsCrlfLineEndings) {
  EXPECT_THAT(ParseSanDomains("a.example.com\r\nb.example.com\r\n"),
              IsOkAndHolds(ElementsAre("a.example.com", "b.example.com")));
}

TEST(ParseSanDomains, ReportsEveryInvalidLineWithItsLineNumber) {
  const std::string content =
      "ok.example.com\n"    // 1
      "bad..example.com\n"  // 2
      "# comment\n"         // 3
      "\n"                  // 4
      "*.com\n"             // 5
      "fine.example.com\n"  // 6
      "Under_Score.com\n";  // 7

  const absl::StatusOr<std::vector<std::string>> names =
      ParseSanDomains(content);

  EXPECT_THAT(
      names,
      StatusIs(kInvalid,
               AllOf(StartsWith("san_domains: "), HasSubstr("3 invalid line"),
                     HasSubstr("line 2: 'bad..example.com' has an empty label"),
                     HasSubstr("line 5: '*.com' is a wildcard over a "
                               "top-level domain"),
                     HasSubstr("line 7: 'Under_Score.com' contains '_'"),
                     ContainsRegex("line 2: .*; line 5: .*; line 7: "),
                     Not(HasSubstr("line 1:")), Not(HasSubstr("line 6:")))));
}

TEST(ParseSanDomains, RejectsInputWithoutNames) {
  for (const char* content :
       {"", "\n", "   \n\t\n", "# only\n  # comments\n"}) {
    SCOPED_TRACE(content);
    EXPECT_THAT(ParseSanDomains(content),
                StatusIs(kInvalid, AllOf(StartsWith("san_domains: "),
                                         HasSubstr("no names"))));
  }
}

}  // namespace
TEST(CertificateNameCovers, MatchesAsTlsClientsDo) {
  EXPECT_TRUE(CertificateNameCovers("api.example.com", "API.example.com"));
  EXPECT_TRUE(CertificateNameCovers("*.example.com", "api.example.com"));
  EXPECT_TRUE(CertificateNameCovers("*.example.com", "*.example.com"));
  EXPECT_TRUE(CertificateNameCovers("10.0.0.1", "10.0.0.1"));
  EXPECT_FALSE(CertificateNameCovers("*.example.com", "example.com"));
  EXPECT_FALSE(CertificateNameCovers("*.example.com", "a.b.example.com"));
  EXPECT_FALSE(CertificateNameCovers("*.example.com", "apiexample.com"));
  EXPECT_FALSE(CertificateNameCovers("api.example.com", "*.example.com"));
  EXPECT_FALSE(CertificateNameCovers("*.a.example.com", "*.example.com"));
  EXPECT_FALSE(CertificateNameCovers("example.com", "api.example.com"));
}

}  // namespace certferry::pki
