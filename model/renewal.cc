#include "model/renewal.h"

#include <nlohmann/json.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace certferry::model {
namespace {

using nlohmann::json;

absl::Status Invalid(absl::string_view what, absl::string_view detail) {
  return absl::InvalidArgumentError(absl::StrCat(what, ": ", detail));
}

json Parse(absl::string_view text) {
  return json::parse(std::string(text), nullptr, /*allow_exceptions=*/false);
}

// Reads a required integer member (a number, or a string of digits as
// protobuf's JSON mapping writes int64).
bool ReadInt(const json& doc, const char* key, int64_t* out) {
  auto it = doc.find(key);
  if (it == doc.end()) return false;
  if (it->is_number_integer()) {
    *out = it->get<int64_t>();
    return true;
  }
  return it->is_string() &&
         absl::SimpleAtoi(it->get_ref<const std::string&>(), out);
}

bool ReadString(const json& doc, const char* key, std::string* out) {
  auto it = doc.find(key);
  if (it == doc.end() || !it->is_string()) return false;
  *out = it->get<std::string>();
  return true;
}

}  // namespace

std::string ToJson(const RenewJobPayload& payload) {
  return json{{"certificateId", payload.certificate_id},
              {"version", payload.version}}
      .dump();
}

std::string ToJson(const RenewJobResult& result) {
  json deployments = json::array();
  for (const RenewJobResult::Deploy& d : result.deployments) {
    deployments.push_back({{"target", d.target},
                           {"deploymentId", d.deployment_id},
                           {"jobId", d.job_id}});
  }
  return json{{"certificateId", result.certificate_id},
              {"renewedFrom", result.renewed_from},
              {"version", result.version},
              {"deployments", std::move(deployments)}}
      .dump();
}

absl::StatusOr<RenewJobPayload> ParseRenewJobPayload(absl::string_view text) {
  constexpr absl::string_view kWhat = "renew_certificate payload";
  const json doc = Parse(text);
  RenewJobPayload payload;
  int64_t version = 0;
  if (!doc.is_object() ||
      !ReadString(doc, "certificateId", &payload.certificate_id) ||
      !ReadInt(doc, "version", &version) || version <= 0) {
    return Invalid(kWhat,
                   "certificateId (a string) and version (a positive "
                   "integer) are required");
  }
  payload.version = static_cast<int>(version);
  return payload;
}

absl::StatusOr<RenewJobResult> ParseRenewJobResult(absl::string_view text) {
  constexpr absl::string_view kWhat = "renew_certificate result";
  const json doc = Parse(text);
  RenewJobResult result;
  int64_t from = 0, version = 0;
  if (!doc.is_object() ||
      !ReadString(doc, "certificateId", &result.certificate_id) ||
      !ReadInt(doc, "renewedFrom", &from) ||
      !ReadInt(doc, "version", &version)) {
    return Invalid(kWhat,
                   "certificateId, renewedFrom and version are required");
  }
  result.renewed_from = static_cast<int>(from);
  result.version = static_cast<int>(version);
  auto deployments = doc.find("deployments");
  if (deployments != doc.end()) {
    if (!deployments->is_array()) {
      return Invalid(kWhat, "deployments must be an array");
    }
    for (const json& d : *deployments) {
      RenewJobResult::Deploy& out = result.deployments.emplace_back();
      if (!d.is_object() || !ReadString(d, "target", &out.target) ||
          !ReadInt(d, "deploymentId", &out.deployment_id) ||
          !ReadInt(d, "jobId", &out.job_id)) {
        return Invalid(kWhat,
                       "each deployment needs target, deploymentId and jobId");
      }
    }
  }
  return result;
}

}  // namespace certferry::model
