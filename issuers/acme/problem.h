#pragma once

// ACME error responses (RFC 8555 §6.7, RFC 7807 problem documents) as
// absl::Status, and the Retry-After header (RFC 9110 §10.2.3). Pure
// functions; thread-safe.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cloud/http_client.h"

namespace certferry::issuers::acme {

inline constexpr char kAcmeErrorPrefix[] = "urn:ietf:params:acme:error:";

struct AcmeProblem {
  std::string type;  // e.g. "urn:ietf:params:acme:error:badNonce"
  std::string detail;
  // For subproblems (RFC 8555 §6.7.1): the identifier they concern.
  std::string identifier;
  std::vector<AcmeProblem> subproblems;
};

// The problem document in `json` (a response body or an authorization's
// "error" member); nullopt when it is not a JSON object with a "type".
std::optional<AcmeProblem> ParseProblem(absl::string_view json);

// "urn:ietf:params:acme:error:x: detail" plus "; <identifier>: <type>:
// <detail>" per subproblem.
std::string DescribeProblem(const AcmeProblem& problem);

// Retry-After as a delay from `now`: delay-seconds or an HTTP-date (past
// dates give zero). nullopt when absent or unparsable.
std::optional<absl::Duration> ParseRetryAfter(
    const std::optional<std::string>& value, absl::Time now);

// The status for a non-2xx ACME response to the request `what` ("newOrder",
// "finalize ..."). Message: "<what>: <type>: <detail> (HTTP <n>)". Codes
// follow the ACME type: rateLimited RESOURCE_EXHAUSTED (the message says
// when to retry, from Retry-After); accountDoesNotExist NOT_FOUND;
// unauthorized PERMISSION_DENIED; malformed, badCSR, rejectedIdentifier and
// the other "your request is wrong" types INVALID_ARGUMENT; validation
// types (dns, connection, incorrectResponse, caa, tls), orderNotReady,
// userActionRequired, externalAccountRequired, alreadyRevoked
// FAILED_PRECONDITION; badNonce and serverInternal UNAVAILABLE. A body that
// is not a problem document maps by HTTP status. The ACME type rides along
// as a payload (AcmeErrorType).
absl::Status ProblemStatus(absl::string_view what,
                           const cloud::HttpResponse& response, absl::Time now);

// The status code an ACME error type maps to, as ProblemStatus does.
absl::StatusCode CodeForProblemType(absl::string_view type);

// Attaches `type` to `status` for AcmeErrorType; returns it.
absl::Status WithAcmeErrorType(absl::Status status, absl::string_view type);

// The ACME error type ProblemStatus or WithAcmeErrorType attached to
// `status`; empty when none.
std::string AcmeErrorType(const absl::Status& status);

}  // namespace certferry::issuers::acme
