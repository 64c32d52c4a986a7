#pragma once

// Alibaba error responses (ALIBABA_API.md §3) → absl::Status. The raw Code,
// Message and RequestId stay available as an ApiError attached to the
// status, so callers branch on the code, never on message text.

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "cloud/http_client.h"

namespace certferry::cloud {

struct ApiError {
  int http_status = 0;
  std::string code;  // "InvalidParameter", "Throttling.User", ...
  std::string message;
  std::string request_id;
  std::string host_id;
  std::string recommend;
  std::string access_denied_detail;  // RAM denials only
  // Milliseconds from the x-acs-retry-after header; 0 when absent.
  int64_t retry_after_ms = 0;
};

// nullopt for a 2xx response. Otherwise the error from the JSON body
// (Code|code, Message|message, RequestId|requestId, ...); a body that is not
// Alibaba JSON gives code "HTTP <status>" and a short excerpt.
std::optional<ApiError> ParseApiError(const HttpResponse& response);

// The absl code for an Alibaba error code and HTTP status: throttling and
// quota → RESOURCE_EXHAUSTED, ServiceUnavailable and 5xx → UNAVAILABLE,
// InvalidParameter/MissingParameter → INVALID_ARGUMENT, Forbidden/NoPermission
// → PERMISSION_DENIED, signature/AccessKey/token → UNAUTHENTICATED,
// *NotFound* / *NotExist* / 404 → NOT_FOUND, *AlreadyExist* → ALREADY_EXISTS,
// InvalidStatus* / IncorrectStatus* → FAILED_PRECONDITION, other 4xx →
// FAILED_PRECONDITION.
absl::StatusCode StatusCodeForApiError(absl::string_view code, int http_status);

// "<Code>: <Message> (RequestId <id>)" with the ApiError attached.
absl::Status ApiErrorToStatus(const ApiError& error);

// The ApiError attached by ApiErrorToStatus; nullopt for other statuses.
std::optional<ApiError> GetApiError(const absl::Status& status);

// `status` with `context: ` prefixed to its message, keeping the code and
// the attached ApiError (common's WithContext drops payloads).
absl::Status WithCallContext(const absl::Status& status,
                             absl::string_view context);

// Throttling: any code starting "Throttling", "Rejected.Throttling",
// "ServiceUnavailable", HTTP 429/503, or an x-acs-retry-after header. The
// server did not process the request, so retrying is always safe.
bool IsThrottling(const ApiError& error);

}  // namespace certferry::cloud
