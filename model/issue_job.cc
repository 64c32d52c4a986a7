#include "model/issue_job.h"

#include <nlohmann/json.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

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

json PayloadJson(const IssueJobPayload& payload) {
  return json{{"name", payload.name},
              {"names", payload.names},
              {"keyType", payload.key_type},
              {"validitySeconds", payload.validity_seconds},
              {"issuerId", payload.issuer_id}};
}

json ResultJson(const IssueJobResult& result) {
  return json{{"certificateId", result.certificate_id},
              {"version", result.version}};
}

absl::StatusOr<IssueJobPayload> PayloadFromJson(const json& doc,
                                                absl::string_view what) {
  if (!doc.is_object()) return Invalid(what, "not a JSON object");
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
    return Invalid(what, "name, keyType and issuerId must be strings");
  }
  auto names = doc.find("names");
  if (names == doc.end() || !names->is_array() || names->empty()) {
    return Invalid(what, "names must be a non-empty array");
  }
  for (const json& name : *names) {
    if (!name.is_string()) return Invalid(what, "names must be strings");
    payload.names.push_back(name.get<std::string>());
  }
  auto validity = doc.find("validitySeconds");
  if (validity == doc.end() ||
      !ReadInt64(*validity, &payload.validity_seconds) ||
      payload.validity_seconds <= 0) {
    return Invalid(what, "validitySeconds must be a positive integer");
  }
  return payload;
}

absl::StatusOr<IssueJobResult> ResultFromJson(const json& doc,
                                              absl::string_view what) {
  if (!doc.is_object()) return Invalid(what, "not a JSON object");
  IssueJobResult result;
  auto id = doc.find("certificateId");
  auto version = doc.find("version");
  int64_t number = 0;
  if (id == doc.end() || !id->is_string() || version == doc.end() ||
      !ReadInt64(*version, &number)) {
    return Invalid(what, "certificateId and version are required");
  }
  result.certificate_id = id->get<std::string>();
  result.version = static_cast<int>(number);
  return result;
}

json Parse(absl::string_view text) {
  return json::parse(std::string(text), nullptr, /*allow_exceptions=*/false);
}

// The "items" array of a batch document, or an error.
absl::StatusOr<const json*> Items(const json& doc, absl::string_view what) {
  if (!doc.is_object()) return Invalid(what, "not a JSON object");
  auto items = doc.find("items");
  if (items == doc.end() || !items->is_array() || items->empty()) {
    return Invalid(what, "items must be a non-empty array");
  }
  return &*items;
}

}  // namespace

std::string ToJson(const IssueJobPayload& payload) {
  return PayloadJson(payload).dump();
}

std::string ToJson(const IssueJobResult& result) {
  return ResultJson(result).dump();
}

std::string ToJson(const IssueBatchJobPayload& payload) {
  json items = json::array();
  for (const IssueJobPayload& item : payload.items) {
    items.push_back(PayloadJson(item));
  }
  return json{{"items", std::move(items)}}.dump();
}

std::string ToJson(const IssueBatchJobResult& result) {
  json items = json::array();
  for (const IssueJobResult& item : result.items) {
    items.push_back(ResultJson(item));
  }
  return json{{"items", std::move(items)}}.dump();
}

absl::StatusOr<IssueJobPayload> ParseIssueJobPayload(absl::string_view text) {
  return PayloadFromJson(Parse(text), "issue_certificate payload");
}

absl::StatusOr<IssueJobResult> ParseIssueJobResult(absl::string_view text) {
  return ResultFromJson(Parse(text), "issue_certificate result");
}

absl::StatusOr<IssueBatchJobPayload> ParseIssueBatchJobPayload(
    absl::string_view text) {
  const json doc = Parse(text);
  CF_ASSIGN_OR_RETURN(const json* items,
                      Items(doc, "issue_certificates payload"));
  IssueBatchJobPayload payload;
  for (size_t i = 0; i < items->size(); ++i) {
    CF_ASSIGN_OR_RETURN(
        payload.items.emplace_back(),
        PayloadFromJson(
            (*items)[i],
            absl::StrCat("issue_certificates payload items[", i, "]")));
  }
  return payload;
}

absl::StatusOr<IssueBatchJobResult> ParseIssueBatchJobResult(
    absl::string_view text) {
  const json doc = Parse(text);
  CF_ASSIGN_OR_RETURN(const json* items,
                      Items(doc, "issue_certificates result"));
  IssueBatchJobResult result;
  for (size_t i = 0; i < items->size(); ++i) {
    CF_ASSIGN_OR_RETURN(
        result.items.emplace_back(),
        ResultFromJson((*items)[i], absl::StrCat("issue_certificates result "
                                                 "items[",
                                                 i, "]")));
  }
  return result;
}

}  // namespace certferry::model
