#pragma once

// Findings as JSON, for storing them with a deployment and reading them
// back: an array of {"id", "severity", "title", "evidence", "browserError",
// "remedy"} objects, severity as its name ("HIGH").

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "diagnose/finding.h"

namespace certferry::diagnose {

std::string FindingsToJson(const std::vector<Finding>& findings);

// DATA_LOSS when `json` is not such an array.
absl::StatusOr<std::vector<Finding>> FindingsFromJson(const std::string& json);

}  // namespace certferry::diagnose
