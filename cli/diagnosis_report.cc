#include "cli/diagnosis_report.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"

namespace certferry::cli {
namespace {

const char* SeverityLabel(v1::Severity severity) {
  switch (severity) {
    case v1::SEVERITY_CRITICAL:
      return "CRITICAL";
    case v1::SEVERITY_HIGH:
      return "HIGH";
    case v1::SEVERITY_MEDIUM:
      return "MEDIUM";
    case v1::SEVERITY_LOW:
      return "LOW";
    case v1::SEVERITY_OK:
      return "OK";
    default:
      return "INFO";
  }
}

std::string Date(const google::protobuf::Timestamp& t) {
  return absl::FormatTime("%Y-%m-%d", absl::FromUnixSeconds(t.seconds()),
                          absl::UTCTimeZone());
}

}  // namespace

std::string FormatDiagnosisReport(const std::string& subject,
                                  const v1::DiagnosisReport& report) {
  std::string out = absl::StrCat("diagnosis of ", subject, ": worst ",
                                 SeverityLabel(report.worst()), "\n");
  if (!report.addresses().empty()) {
    absl::StrAppend(
        &out, "addresses: ", absl::StrJoin(report.addresses(), ", "), "\n");
  }
  if (!report.protocol().empty()) {
    absl::StrAppend(&out, "handshake: ", report.protocol(), " ",
                    report.cipher(), "\n");
  }
  for (int i = 0; i < report.chain_size(); ++i) {
    const v1::ChainCertificate& c = report.chain(i);
    absl::StrAppend(&out, "chain[", i, "]: ", c.subject(), " (issuer ",
                    c.issuer(), "; ", Date(c.not_before()), " to ",
                    Date(c.not_after()), ")\n");
  }
  // Grouped by severity, worst first: the report arrives sorted, so a new
  // heading starts whenever the severity changes.
  v1::Severity current = v1::SEVERITY_UNSPECIFIED;
  for (const v1::Finding& f : report.findings()) {
    if (f.severity() != current) {
      current = f.severity();
      absl::StrAppend(&out, "\n", SeverityLabel(current), "\n");
    }
    absl::StrAppend(&out, "  [", f.id(), "] ", f.title(), "\n");
    if (!f.evidence().empty()) {
      absl::StrAppend(&out, "    seen: ", f.evidence(), "\n");
    }
    if (!f.browser_error().empty()) {
      absl::StrAppend(&out, "    browsers show: ", f.browser_error(), "\n");
    }
    for (size_t step = 0; step < static_cast<size_t>(f.remedy_size()); ++step) {
      absl::StrAppend(&out, step == 0 ? "    fix: " : "         ",
                      f.remedy(static_cast<int>(step)), "\n");
    }
  }
  if (report.findings().empty()) absl::StrAppend(&out, "\nno findings\n");
  return out;
}

int DiagnosisExitCode(const v1::DiagnosisReport& report) {
  for (const v1::Finding& f : report.findings()) {
    if (f.severity() == v1::SEVERITY_HIGH ||
        f.severity() == v1::SEVERITY_CRITICAL) {
      return 1;
    }
  }
  return 0;
}

}  // namespace certferry::cli
