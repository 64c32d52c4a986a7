#include "cli/diagnosis_report.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace certferry::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

v1::Finding MakeFinding(const std::string& id, v1::Severity severity) {
  v1::Finding f;
  f.set_id(id);
  f.set_severity(severity);
  f.set_title(id + " title");
  f.set_evidence(id + " evidence");
  return f;
}

TEST(DiagnosisReport, GroupsBySeverityWorstFirstWithEvidenceAndRemedy) {
  v1::DiagnosisReport report;
  report.set_worst(v1::SEVERITY_HIGH);
  report.set_protocol("TLSv1.3");
  v1::Finding incomplete = MakeFinding("CHAIN_INCOMPLETE", v1::SEVERITY_HIGH);
  incomplete.set_browser_error("NET::ERR_CERT_AUTHORITY_INVALID");
  incomplete.add_remedy("Serve the intermediate.");
  incomplete.add_remedy("Reload the server.");
  *report.add_findings() = incomplete;
  *report.add_findings() = MakeFinding("HSTS_MISSING", v1::SEVERITY_LOW);
  *report.add_findings() =
      MakeFinding("OCSP_STAPLING_MISSING", v1::SEVERITY_LOW);

  const std::string text =
      FormatDiagnosisReport("shop.example.com:443", report);
  EXPECT_THAT(text, HasSubstr("diagnosis of shop.example.com:443: worst HIGH"));
  EXPECT_THAT(text,
              HasSubstr("browsers show: NET::ERR_CERT_AUTHORITY_INVALID"));
  EXPECT_THAT(text, HasSubstr("fix: Serve the intermediate.\n"
                              "         Reload the server."));
  // One LOW heading for both LOW findings, after HIGH.
  const size_t high = text.find("\nHIGH\n");
  const size_t low = text.find("\nLOW\n");
  ASSERT_NE(high, std::string::npos);
  ASSERT_NE(low, std::string::npos);
  EXPECT_LT(high, low);
  EXPECT_EQ(text.find("\nLOW\n", low + 1), std::string::npos);
  EXPECT_EQ(DiagnosisExitCode(report), 1);
}

TEST(DiagnosisReport, ExitsZeroWithoutHighOrCritical) {
  v1::DiagnosisReport report;
  *report.add_findings() = MakeFinding("HSTS_MISSING", v1::SEVERITY_LOW);
  *report.add_findings() = MakeFinding("PROTOCOL_TLS1_0", v1::SEVERITY_MEDIUM);
  EXPECT_EQ(DiagnosisExitCode(report), 0);
  *report.add_findings() = MakeFinding("CERT_EXPIRED", v1::SEVERITY_CRITICAL);
  EXPECT_EQ(DiagnosisExitCode(report), 1);
  EXPECT_THAT(FormatDiagnosisReport("x", v1::DiagnosisReport()),
              HasSubstr("no findings"));
  EXPECT_THAT(FormatDiagnosisReport("x", report),
              Not(HasSubstr("no findings")));
}

}  // namespace
}  // namespace certferry::cli
