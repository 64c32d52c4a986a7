#pragma once

// Status propagation macros, named after Abseil's (not in Debian's Abseil
// 20220623) so a future upgrade is a rename.

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define CF_STATUS_CONCAT_INNER_(a, b) a##b
#define CF_STATUS_CONCAT_(a, b) CF_STATUS_CONCAT_INNER_(a, b)

// Returns from the enclosing function if `expr` (an absl::Status) is not OK.
#define CF_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::absl::Status cf_status_ = (expr);      \
    if (!cf_status_.ok()) return cf_status_; \
  } while (false)

// Evaluates `rexpr` (an absl::StatusOr<T>); returns its status if not OK,
// otherwise moves the value into `lhs` (which may be a declaration).
#define CF_ASSIGN_OR_RETURN(lhs, rexpr)                                     \
  CF_ASSIGN_OR_RETURN_IMPL_(CF_STATUS_CONCAT_(cf_statusor_, __LINE__), lhs, \
                            rexpr)

#define CF_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr)    \
  auto statusor = (rexpr);                                 \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = *std::move(statusor)

namespace certferry {

// Returns `status` with `context` prefixed to its message; keeps the code.
// OK stays OK.
inline absl::Status WithContext(const absl::Status& status,
                                absl::string_view context) {
  if (status.ok()) return status;
  std::string message(context);
  message.append(": ");
  message.append(status.message().data(), status.message().size());
  return absl::Status(status.code(), message);
}

}  // namespace certferry
