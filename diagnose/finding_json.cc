#include "diagnose/finding_json.h"

#include <nlohmann/json.hpp>

namespace certferry::diagnose {
namespace {

std::optional<Severity> SeverityFromName(const std::string& name) {
  for (Severity s : {Severity::kInfo, Severity::kOk, Severity::kLow,
                     Severity::kMedium, Severity::kHigh, Severity::kCritical}) {
    if (SeverityName(s) == name) return s;
  }
  return std::nullopt;
}

}  // namespace

std::string FindingsToJson(const std::vector<Finding>& findings) {
  nlohmann::json out = nlohmann::json::array();
  for (const Finding& f : findings) {
    out.push_back({{"id", f.id},
                   {"severity", std::string(SeverityName(f.severity))},
                   {"title", f.title},
                   {"evidence", f.evidence},
                   {"browserError", f.browser_error},
                   {"remedy", f.remedy}});
  }
  return out.dump();
}

absl::StatusOr<std::vector<Finding>> FindingsFromJson(const std::string& json) {
  const nlohmann::json doc =
      nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  auto bad = [] {
    return absl::DataLossError("stored findings unreadable: not an array");
  };
  if (!doc.is_array()) return bad();
  std::vector<Finding> findings;
  for (const nlohmann::json& item : doc) {
    if (!item.is_object()) return bad();
    Finding f;
    f.id = item.value("id", "");
    std::optional<Severity> severity =
        SeverityFromName(item.value("severity", ""));
    if (f.id.empty() || !severity) return bad();
    f.severity = *severity;
    f.title = item.value("title", "");
    f.evidence = item.value("evidence", "");
    f.browser_error = item.value("browserError", "");
    if (auto r = item.find("remedy"); r != item.end() && r->is_array()) {
      for (const nlohmann::json& step : *r) {
        if (step.is_string()) f.remedy.push_back(step.get<std::string>());
      }
    }
    findings.push_back(std::move(f));
  }
  return findings;
}

}  // namespace certferry::diagnose
