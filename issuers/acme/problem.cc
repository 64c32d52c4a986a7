#include "issuers/acme/problem.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "nlohmann/json.hpp"

namespace certferry::issuers::acme {
namespace {

constexpr char kTypePayload[] = "type.certferry.dev/acme.ErrorType";

std::optional<AcmeProblem> FromJson(const nlohmann::json& json) {
  if (!json.is_object() || !json.contains("type") ||
      !json["type"].is_string()) {
    return std::nullopt;
  }
  AcmeProblem problem;
  problem.type = json["type"].get<std::string>();
  if (json.contains("detail") && json["detail"].is_string()) {
    problem.detail = json["detail"].get<std::string>();
  }
  if (json.contains("identifier") && json["identifier"].is_object() &&
      json["identifier"].contains("value") &&
      json["identifier"]["value"].is_string()) {
    problem.identifier = json["identifier"]["value"].get<std::string>();
  }
  if (json.contains("subproblems") && json["subproblems"].is_array()) {
    for (const nlohmann::json& sub : json["subproblems"]) {
      if (std::optional<AcmeProblem> parsed = FromJson(sub)) {
        problem.subproblems.push_back(*std::move(parsed));
      }
    }
  }
  return problem;
}

absl::StatusCode CodeForHttpStatus(int status) {
  if (status == 401 || status == 403)
    return absl::StatusCode::kPermissionDenied;
  if (status == 404) return absl::StatusCode::kNotFound;
  if (status == 429) return absl::StatusCode::kResourceExhausted;
  if (status >= 500) return absl::StatusCode::kUnavailable;
  if (status == 400) return absl::StatusCode::kInvalidArgument;
  return absl::StatusCode::kUnknown;
}

std::string RetryHint(const cloud::HttpResponse& response, absl::Time now) {
  const std::optional<absl::Duration> delay =
      ParseRetryAfter(response.Header("retry-after"), now);
  if (!delay) return "; the CA sent no Retry-After, so wait before retrying";
  return absl::StrCat(
      "; retry after ",
      absl::FormatDuration(absl::Ceil(*delay, absl::Seconds(1))), " (at ",
      absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", now + *delay, absl::UTCTimeZone()),
      ")");
}

}  // namespace

std::optional<AcmeProblem> ParseProblem(absl::string_view json) {
  nlohmann::json parsed = nlohmann::json::parse(json, nullptr,
                                                /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return std::nullopt;
  return FromJson(parsed);
}

std::string DescribeProblem(const AcmeProblem& problem) {
  std::string text = problem.type;
  if (!problem.detail.empty()) absl::StrAppend(&text, ": ", problem.detail);
  for (const AcmeProblem& sub : problem.subproblems) {
    absl::StrAppend(&text, "; ");
    if (!sub.identifier.empty()) absl::StrAppend(&text, sub.identifier, ": ");
    absl::StrAppend(&text, DescribeProblem(sub));
  }
  return text;
}

std::optional<absl::Duration> ParseRetryAfter(
    const std::optional<std::string>& value, absl::Time now) {
  if (!value) return std::nullopt;
  const absl::string_view text = absl::StripAsciiWhitespace(*value);
  int64_t seconds = 0;
  if (absl::SimpleAtoi(text, &seconds)) {
    if (seconds < 0) return std::nullopt;
    return absl::Seconds(seconds);
  }
  // IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
  absl::Time when;
  std::string error;
  if (!absl::ParseTime("%a, %d %b %Y %H:%M:%S GMT", std::string(text),
                       absl::UTCTimeZone(), &when, &error)) {
    return std::nullopt;
  }
  return std::max(absl::ZeroDuration(), when - now);
}

absl::StatusCode CodeForProblemType(absl::string_view type) {
  absl::string_view name = type;
  if (!absl::ConsumePrefix(&name, kAcmeErrorPrefix)) {
    return absl::StatusCode::kUnknown;
  }
  struct Entry {
    const char* name;
    absl::StatusCode code;
  };
  static constexpr Entry kTable[] = {
      {"rateLimited", absl::StatusCode::kResourceExhausted},
      {"accountDoesNotExist", absl::StatusCode::kNotFound},
      {"unauthorized", absl::StatusCode::kPermissionDenied},
      {"badNonce", absl::StatusCode::kUnavailable},
      {"serverInternal", absl::StatusCode::kUnavailable},
      {"malformed", absl::StatusCode::kInvalidArgument},
      {"badCSR", absl::StatusCode::kInvalidArgument},
      {"badPublicKey", absl::StatusCode::kInvalidArgument},
      {"badRevocationReason", absl::StatusCode::kInvalidArgument},
      {"badSignatureAlgorithm", absl::StatusCode::kInvalidArgument},
      {"invalidContact", absl::StatusCode::kInvalidArgument},
      {"unsupportedContact", absl::StatusCode::kInvalidArgument},
      {"rejectedIdentifier", absl::StatusCode::kInvalidArgument},
      {"unsupportedIdentifier", absl::StatusCode::kInvalidArgument},
      {"compound", absl::StatusCode::kInvalidArgument},
      {"caa", absl::StatusCode::kFailedPrecondition},
      {"dns", absl::StatusCode::kFailedPrecondition},
      {"connection", absl::StatusCode::kFailedPrecondition},
      {"incorrectResponse", absl::StatusCode::kFailedPrecondition},
      {"tls", absl::StatusCode::kFailedPrecondition},
      {"orderNotReady", absl::StatusCode::kFailedPrecondition},
      {"userActionRequired", absl::StatusCode::kFailedPrecondition},
      {"externalAccountRequired", absl::StatusCode::kFailedPrecondition},
      {"alreadyRevoked", absl::StatusCode::kFailedPrecondition},
  };
  for (const Entry& entry : kTable) {
    if (name == entry.name) return entry.code;
  }
  return absl::StatusCode::kUnknown;
}

absl::Status ProblemStatus(absl::string_view what,
                           const cloud::HttpResponse& response,
                           absl::Time now) {
  const std::optional<AcmeProblem> problem = ParseProblem(response.body);
  if (!problem) {
    return absl::Status(CodeForHttpStatus(response.status_code),
                        absl::StrCat(what, ": HTTP ", response.status_code,
                                     " without an ACME problem document"));
  }
  absl::StatusCode code = CodeForProblemType(problem->type);
  if (code == absl::StatusCode::kUnknown) {
    code = CodeForHttpStatus(response.status_code);
  }
  std::string message = absl::StrCat(what, ": ", DescribeProblem(*problem),
                                     " (HTTP ", response.status_code, ")");
  if (code == absl::StatusCode::kResourceExhausted) {
    message = absl::StrCat(what, ": the ACME CA's rate limit was reached: ",
                           DescribeProblem(*problem), " (HTTP ",
                           response.status_code, ")", RetryHint(response, now));
  }
  return WithAcmeErrorType(absl::Status(code, message), problem->type);
}

absl::Status WithAcmeErrorType(absl::Status status, absl::string_view type) {
  status.SetPayload(kTypePayload, absl::Cord(type));
  return status;
}

std::string AcmeErrorType(const absl::Status& status) {
  auto type = status.GetPayload(kTypePayload);  // absl::optional here
  return type ? std::string(*type) : std::string();
}

}  // namespace certferry::issuers::acme
