#include "service/validation.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/ids.h"

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

absl::Status ValidateCertificateVersion(absl::string_view id_field,
                                        absl::string_view id, int version) {
  if (!IsUuid(id)) {
    return Invalid(id_field,
                   "not a certificate id; use the id GetCertificate or "
                   "ListCertificates returns (a UUID)");
  }
  if (version < 0) {
    return Invalid("version", "must be 0 (latest) or a version number");
  }
  return absl::OkStatus();
}

absl::Status CheckSameRequest(const storage::RequestRecord& earlier,
                              const std::string& method,
                              const std::string& digest) {
  if (earlier.method != method || earlier.request_sha256 != digest) {
    return absl::AlreadyExistsError(
        absl::StrCat("request_id: already used by an earlier ", earlier.method,
                     " request with different content; use a new request_id "
                     "for a different request"));
  }
  return absl::OkStatus();
}

}  // namespace certferry::service
