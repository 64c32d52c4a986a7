#include "storage/pg_values.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"

namespace certferry::storage {

std::string ToTextArrayLiteral(const std::vector<std::string>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.push_back('"');
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    out.push_back('"');
  }
  out.push_back('}');
  return out;
}

std::vector<std::string> FromTextArray(const pqxx::field& field) {
  std::vector<std::string> out;
  if (field.is_null()) return out;
  pqxx::array_parser parser = field.as_array();
  for (auto item = parser.get_next();
       item.first != pqxx::array_parser::juncture::done;
       item = parser.get_next()) {
    if (item.first == pqxx::array_parser::juncture::string_value) {
      out.push_back(item.second);
    }
  }
  return out;
}

std::string ToTimestampText(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", time, absl::UTCTimeZone());
}

absl::Time FromEpochMicros(const pqxx::field& field) {
  return absl::FromUnixMicros(field.as<int64_t>());
}

}  // namespace certferry::storage
