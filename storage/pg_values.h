#pragma once

// Conversions between C++ values and the text forms PostgreSQL parameters
// and results use. storage/ internal.

#include <string>
#include <vector>

#include "absl/time/time.h"

namespace pqxx {
class field;
}  // namespace pqxx

namespace certferry::storage {

// A text[] literal with every element quoted and escaped, e.g. {"a","b"}.
std::string ToTextArrayLiteral(const std::vector<std::string>& values);

// The elements of a text[] result field (NULL elements are skipped).
std::vector<std::string> FromTextArray(const pqxx::field& field);

// RFC 3339 with microseconds in UTC, as timestamptz accepts it.
std::string ToTimestampText(absl::Time time);

// A bigint field holding microseconds since the Unix epoch.
absl::Time FromEpochMicros(const pqxx::field& field);

}  // namespace certferry::storage
