#include "model/issue_job.h"

#include <nlohmann/json.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace certferry::model {
namespace {

using nlohmann::json;

// Rows written through protobuf's JSON mapping carry int64 as a string.
bool ReadInt64(const json& value, int64_t* out) {
  if (value.is_number_integer()) {
    *out = value.get<int64_t>();
    return true;
  }
  return value.is_string() &&
         absl::SimpleAtoi(value.get_ref<const std::string&>(), out);
}

absl::Status Invalid(absl::string_view what, absl::string_view detail) {
  return absl::InvalidArgumentError(absl::StrCat(what, ": ", detail));
}

}  // namespace

std::string ToJson(const IssueJobPayload& payload) {
  return json{{"name", payload.name},
              {"names", payload.names},
              {"keyType", payload.key_type},
              {"validitySeconds", payload.validity_seconds},
              {"issuerId", payload.issuer_id}}
      .dump();
}

std::string ToJson(const IssueJobResult& result) {
  return json{{"certificateId", result.certificate_id},
              {"version", result.version}}
      .dump();
}

absl::StatusOr<IssueJobPayload> ParseIssueJobPayload(absl::string_view text) {
  const json doc =
      json::parse(std::string(text), nullptr, /*allow_exceptions=*/false);
  constexpr absl::string_view kWhat = "issue_certificate payload";
  if (!doc.is_object()) return Invalid(kWhat, "not a JSON object");
  IssueJobPayload payload;
  auto string_field = [&](const char* key, std::string* out) {
    auto it = doc.find(key);
    if (it == doc.end() || !it->is_string()) return false;
    *out = it->get<std::string>();
    return true;
  };
  if (!string_field("name", &payload.name) ||
      !string_field("keyType", &payload.key_type) ||
      !string_field("issuerId", &payload.issuer_id)) {
    return Invalid(kWhat, "name, keyType and issuerId must be strings");
  }
  auto names = doc.find("names");
  if (names == doc.end() || !names->is_array() || names->empty()) {
    return Invalid(kWhat, "names must be a non-empty array");
  }
  for (const json& name : *names) {
    if (!name.is_string()) return Invalid(kWhat, "names must be strings");
    payload.names.push_back(name.get<std::string>());
  }
  auto validity = doc.find("validitySeconds");
  if (validity == doc.end() ||
      !ReadInt64(*validity, &payload.validity_seconds) ||
      payload.validity_seconds <= 0) {
    return Invalid(kWhat, "validitySeconds must be a positive integer");
  }
  return payload;
}

absl::StatusOr<IssueJobResult> ParseIssueJobResult(absl::string_view text) {
  const json doc =
      json::parse(std::string(text), nullptr, /*allow_exceptions=*/false);
  constexpr absl::string_view kWhat = "issue_certificate result";
  if (!doc.is_object()) return Invalid(kWhat, "not a JSON object");
  IssueJobResult result;
  auto id = doc.find("certificateId");
  auto version = doc.find("version");
  int64_t number = 0;
  if (id == doc.end() || !id->is_string() || version == doc.end() ||
      !ReadInt64(*version, &number)) {
    return Invalid(kWhat, "certificateId and version are required");
  }
  result.certificate_id = id->get<std::string>();
  result.version = static_cast<int>(number);
  return result;
}

}  // namespace certferry::model
