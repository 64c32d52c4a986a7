#pragma once

// How `certferry diagnose` shows a DiagnosisReport to a person: findings
// grouped by severity, worst first, each with its evidence, the browser
// error and the remedy steps; and the exit status scripts check.

#include <string>

#include "certferry/v1/diagnosis_service.pb.h"

namespace certferry::cli {

// The readable report. `subject` heads it, e.g. "shop.example.com:443".
std::string FormatDiagnosisReport(const std::string& subject,
                                  const v1::DiagnosisReport& report);

// 1 when anything HIGH or CRITICAL was found, else 0.
int DiagnosisExitCode(const v1::DiagnosisReport& report);

}  // namespace certferry::cli
