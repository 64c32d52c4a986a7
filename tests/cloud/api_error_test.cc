#include "cloud/api_error.h"

#include "gtest/gtest.h"

namespace certferry::cloud {
namespace {

using absl::StatusCode;

TEST(StatusCodeForApiError, MapsDocumentedCodes) {
  struct Case {
    const char* code;
    int http;
    StatusCode want;
  };
  const Case cases[] = {
      {"Throttling", 400, StatusCode::kResourceExhausted},
      {"Throttling.User", 400, StatusCode::kResourceExhausted},
      {"Throttling.Api", 400, StatusCode::kResourceExhausted},
      {"Rejected.Throttling", 400, StatusCode::kResourceExhausted},
      {"QuotaExceed.Certificate", 400, StatusCode::kResourceExhausted},
      {"ServiceUnavailable", 503, StatusCode::kUnavailable},
      {"InternalError", 500, StatusCode::kUnavailable},
      {"SignatureDoesNotMatch", 400, StatusCode::kUnauthenticated},
      {"IncompleteSignature", 400, StatusCode::kUnauthenticated},
      {"InvalidAccessKeyId.NotFound", 404, StatusCode::kUnauthenticated},
      {"InvalidAccessKeyId.Inactive", 400, StatusCode::kUnauthenticated},
      {"Forbidden.AccessKeyDisabled", 403, StatusCode::kUnauthenticated},
      {"InvalidSecurityToken.Expired", 400, StatusCode::kUnauthenticated},
      {"MissingSecurityToken", 400, StatusCode::kUnauthenticated},
      {"Forbidden.RAM", 403, StatusCode::kPermissionDenied},
      {"Forbidden", 403, StatusCode::kPermissionDenied},
      {"NoPermission", 403, StatusCode::kPermissionDenied},
      {"InvalidTimeStamp.Expired", 400, StatusCode::kFailedPrecondition},
      {"InvalidTimeStamp.Format", 400, StatusCode::kFailedPrecondition},
      {"InvalidProtocol.NeedSsl", 400, StatusCode::kFailedPrecondition},
      {"SignatureNonceUsed", 400, StatusCode::kAborted},
      {"InvalidAction.NotFound", 404, StatusCode::kUnimplemented},
      {"InvalidVersion", 400, StatusCode::kUnimplemented},
      {"InstanceNotFound", 404, StatusCode::kNotFound},
      {"Certificate.NotFound", 400, StatusCode::kNotFound},
      {"Resource.NotExist", 400, StatusCode::kNotFound},
      {"NotFound.Certificate", 400, StatusCode::kNotFound},
      {"Name.AlreadyExists", 400, StatusCode::kAlreadyExists},
      {"InvalidParameter", 400, StatusCode::kInvalidArgument},
      {"MissingParameter", 400, StatusCode::kInvalidArgument},
      {"InvalidParameter.Name", 400, StatusCode::kInvalidArgument},
      {"Certificate.StatusError", 400, StatusCode::kFailedPrecondition},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(StatusCodeForApiError(c.code, c.http), c.want) << c.code;
  }
}

TEST(ParseApiError, SuccessIsNotAnError) {
  HttpResponse response;
  response.status_code = 200;
  response.body = R"({"RequestId":"x"})";
  EXPECT_FALSE(ParseApiError(response).has_value());
}

TEST(ParseApiError, ReadsLowerCaseKeysOfRoaProducts) {
  HttpResponse response;
  response.status_code = 404;
  response.body =
      R"({"requestId":"abc","code":"InstanceNotFound","message":"gone"})";
  std::optional<ApiError> error = ParseApiError(response);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code, "InstanceNotFound");
  EXPECT_EQ(error->message, "gone");
  EXPECT_EQ(error->request_id, "abc");
  const absl::Status status = ApiErrorToStatus(*error);
  EXPECT_EQ(status.code(), StatusCode::kNotFound);
  EXPECT_EQ(status.message(), "InstanceNotFound: gone (RequestId abc)");
}

TEST(ParseApiError, NonJsonBodyGivesHttpStatusCode) {
  HttpResponse response;
  response.status_code = 502;
  response.body = "<html>Bad Gateway</html>";
  std::optional<ApiError> error = ParseApiError(response);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code, "HTTP 502");
  EXPECT_EQ(error->message, "<html>Bad Gateway</html>");
  EXPECT_EQ(ApiErrorToStatus(*error).code(), StatusCode::kUnavailable);
  EXPECT_TRUE(IsThrottling(*error) == false);
}

TEST(ParseApiError, RetryAfterHeaderMarksThrottling) {
  HttpResponse response;
  response.status_code = 400;
  response.headers = {{"x-acs-retry-after", "250"}};
  response.body = R"({"Code":"SomethingElse","Message":"m"})";
  std::optional<ApiError> error = ParseApiError(response);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->retry_after_ms, 250);
  EXPECT_TRUE(IsThrottling(*error));
}

TEST(GetApiError, RoundTripsThroughTheStatus) {
  ApiError error;
  error.http_status = 403;
  error.code = "Forbidden.RAM";
  error.message = "denied";
  error.request_id = "R1";
  error.access_denied_detail = "{\"PolicyType\":\"Account\"}";
  const absl::Status status = ApiErrorToStatus(error);
  std::optional<ApiError> back = GetApiError(status);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->code, "Forbidden.RAM");
  EXPECT_EQ(back->http_status, 403);
  EXPECT_EQ(back->access_denied_detail, error.access_denied_detail);
  EXPECT_FALSE(GetApiError(absl::InternalError("x")).has_value());
}

}  // namespace
}  // namespace certferry::cloud
