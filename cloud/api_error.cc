#include "cloud/api_error.h"

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace certferry::cloud {
namespace {

constexpr char kApiErrorPayload[] = "type.certferry.dev/cloud.ApiError";

std::string StringField(const nlohmann::json& body, const char* upper,
                        const char* lower) {
  for (const char* key : {upper, lower}) {
    auto it = body.find(key);
    if (it == body.end()) continue;
    if (it->is_string()) return it->get<std::string>();
    if (!it->is_null()) return it->dump();
  }
  return "";
}

}  // namespace

std::optional<ApiError> ParseApiError(const HttpResponse& response) {
  const int status = response.status_code;
  const std::optional<std::string> retry_after =
      response.Header("x-acs-retry-after");
  int64_t retry_after_ms = 0;
  if (retry_after.has_value() &&
      !(absl::SimpleAtoi(*retry_after, &retry_after_ms) &&
        retry_after_ms > 0)) {
    retry_after_ms = 0;
  }
  if (status >= 200 && status < 300 && retry_after_ms == 0) return std::nullopt;

  ApiError error;
  error.http_status = status;
  error.retry_after_ms = retry_after_ms;
  const nlohmann::json body =
      nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_object()) {
    error.code = StringField(body, "Code", "code");
    error.message = StringField(body, "Message", "message");
    error.request_id = StringField(body, "RequestId", "requestId");
    error.host_id = StringField(body, "HostId", "hostId");
    error.recommend = StringField(body, "Recommend", "recommend");
    error.access_denied_detail =
        StringField(body, "AccessDeniedDetail", "accessDeniedDetail");
  }
  if (error.code.empty()) {
    error.code = absl::StrCat("HTTP ", status);
    if (error.message.empty()) {
      error.message = std::string(absl::StripAsciiWhitespace(
          absl::string_view(response.body).substr(0, 200)));
    }
  }
  return error;
}

absl::StatusCode StatusCodeForApiError(absl::string_view code,
                                       int http_status) {
  using absl::StatusCode;
  auto starts = [&](absl::string_view p) { return absl::StartsWith(code, p); };
  auto contains = [&](absl::string_view p) {
    return absl::StrContains(code, p);
  };
  if (starts("Throttling") || starts("Rejected.Throttling") ||
      contains("QuotaExceed") || contains("Quota.Exceed") ||
      http_status == 429) {
    return StatusCode::kResourceExhausted;
  }
  if (code == "ServiceUnavailable" || code == "InternalError" ||
      http_status >= 500) {
    return StatusCode::kUnavailable;
  }
  if (starts("SignatureDoesNotMatch") || starts("IncompleteSignature") ||
      starts("InvalidAccessKeyId") || starts("InvalidSecurityToken") ||
      starts("MissingSecurityToken") || code == "Forbidden.AccessKeyDisabled") {
    return StatusCode::kUnauthenticated;
  }
  if (starts("Forbidden") || starts("NoPermission") || contains(".RAM") ||
      http_status == 403) {
    return StatusCode::kPermissionDenied;
  }
  if (starts("InvalidTimeStamp") || code == "InvalidProtocol.NeedSsl") {
    return StatusCode::kFailedPrecondition;  // our clock or endpoint config
  }
  if (code == "SignatureNonceUsed") return StatusCode::kAborted;
  if (code == "InvalidAction.NotFound" || code == "InvalidVersion") {
    return StatusCode::kUnimplemented;
  }
  if (contains("NotFound") || contains("NotExist") || http_status == 404) {
    return StatusCode::kNotFound;
  }
  if (contains("AlreadyExist") || contains("Duplicate")) {
    return StatusCode::kAlreadyExists;
  }
  if (starts("InvalidStatus") || starts("IncorrectStatus")) {
    return StatusCode::kFailedPrecondition;  // the resource's state, not input
  }
  if (starts("InvalidParameter") || starts("MissingParameter") ||
      starts("InvalidParam") || starts("Missing") || starts("Invalid")) {
    return StatusCode::kInvalidArgument;
  }
  if (http_status >= 400) return StatusCode::kFailedPrecondition;
  return StatusCode::kUnknown;
}

absl::Status ApiErrorToStatus(const ApiError& error) {
  std::string message = absl::StrCat(error.code, ": ", error.message);
  if (!error.request_id.empty()) {
    absl::StrAppend(&message, " (RequestId ", error.request_id, ")");
  }
  absl::Status status(StatusCodeForApiError(error.code, error.http_status),
                      message);
  nlohmann::json payload = {
      {"http_status", error.http_status},
      {"code", error.code},
      {"message", error.message},
      {"request_id", error.request_id},
      {"host_id", error.host_id},
      {"recommend", error.recommend},
      {"access_denied_detail", error.access_denied_detail},
      {"retry_after_ms", error.retry_after_ms}};
  status.SetPayload(kApiErrorPayload, absl::Cord(payload.dump()));
  return status;
}

std::optional<ApiError> GetApiError(const absl::Status& status) {
  auto payload = status.GetPayload(kApiErrorPayload);
  if (!payload.has_value()) return std::nullopt;
  const nlohmann::json j = nlohmann::json::parse(std::string(*payload), nullptr,
                                                 /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  ApiError error;
  error.http_status = j.value("http_status", 0);
  error.code = j.value("code", "");
  error.message = j.value("message", "");
  error.request_id = j.value("request_id", "");
  error.host_id = j.value("host_id", "");
  error.recommend = j.value("recommend", "");
  error.access_denied_detail = j.value("access_denied_detail", "");
  error.retry_after_ms = j.value("retry_after_ms", int64_t{0});
  return error;
}

absl::Status WithCallContext(const absl::Status& status,
                             absl::string_view context) {
  if (status.ok()) return status;
  absl::Status out(status.code(),
                   absl::StrCat(context, ": ", status.message()));
  status.ForEachPayload([&](absl::string_view url, const absl::Cord& payload) {
    out.SetPayload(url, payload);
  });
  return out;
}

bool IsThrottling(const ApiError& error) {
  return absl::StartsWith(error.code, "Throttling") ||
         absl::StartsWith(error.code, "Rejected.Throttling") ||
         error.code == "ServiceUnavailable" || error.http_status == 429 ||
         error.http_status == 503 || error.retry_after_ms > 0;
}

}  // namespace certferry::cloud
