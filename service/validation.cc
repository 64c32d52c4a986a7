#include "service/validation.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace certferry::service {
namespace {

absl::Status Invalid(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
}

}  // namespace

absl::Status ValidateResourceName(absl::string_view field,
                                  absl::string_view name) {
  if (name.empty()) {
    return Invalid(field, "required; give a name such as shop-frontend-prod");
  }
  if (name.size() > 128) {
    return Invalid(field, "longer than 128 characters; shorten it");
  }
  if (!absl::ascii_isalnum(name[0])) {
    return Invalid(field, "must start with a letter or digit");
  }
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '_' && c != '.') {
      return Invalid(field,
                     "may contain only letters, digits, '.', '_' and '-'");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateRequestId(absl::string_view field,
                               absl::string_view request_id) {
  if (request_id.size() > 128) {
    return Invalid(field, "longer than 128 characters; use a UUID");
  }
  for (char c : request_id) {
    if (c < 0x21 || c > 0x7e) {
      return Invalid(field,
                     "must be printable ASCII without spaces; use a UUID");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateDnsName(absl::string_view field, absl::string_view name,
                             bool allow_wildcard) {
  if (name.empty()) return Invalid(field, "empty; give a DNS name");
  if (name.size() > 253) {
    return Invalid(field, "longer than 253 characters; not a DNS name");
  }
  if (name.back() == '.' || name.back() == '/') {
    return Invalid(field,
                   absl::StrCat("'", name, "' ends with '",
                                name.substr(name.size() - 1), "'; remove it"));
  }
  std::vector<absl::string_view> labels = absl::StrSplit(name, '.');
  for (size_t i = 0; i < labels.size(); ++i) {
    absl::string_view label = labels[i];
    if (label == "*") {
      if (i == 0 && allow_wildcard && labels.size() > 2) continue;
      return Invalid(field,
                     allow_wildcard
                         ? "a wildcard is only allowed as the whole first "
                           "label of a name with at least three labels"
                         : "wildcards are not allowed here; give an exact "
                           "host name");
    }
    if (label.empty() || label.size() > 63) {
      return Invalid(
          field, absl::StrCat("'", name, "' has an empty or over-long label"));
    }
    for (char c : label) {
      if (!absl::ascii_isalnum(c) && c != '-') {
        return Invalid(field,
                       absl::StrCat("'", name,
                                    "' may contain only letters, digits, "
                                    "hyphens and dots"));
      }
    }
    if (label.front() == '-' || label.back() == '-') {
      return Invalid(field, absl::StrCat("'", name,
                                         "' has a label starting or ending "
                                         "with '-'"));
    }
  }
  return absl::OkStatus();
}

}  // namespace certferry::service
