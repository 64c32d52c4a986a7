#include "model/revocation.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace certferry::model {
namespace {

constexpr std::pair<RevocationReason, const char*> kNames[] = {
    {RevocationReason::kUnspecified, "unspecified"},
    {RevocationReason::kKeyCompromise, "keyCompromise"},
    {RevocationReason::kCaCompromise, "cACompromise"},
    {RevocationReason::kAffiliationChanged, "affiliationChanged"},
    {RevocationReason::kSuperseded, "superseded"},
    {RevocationReason::kCessationOfOperation, "cessationOfOperation"},
    {RevocationReason::kCertificateHold, "certificateHold"},
    {RevocationReason::kRemoveFromCrl, "removeFromCRL"},
    {RevocationReason::kPrivilegeWithdrawn, "privilegeWithdrawn"},
    {RevocationReason::kAaCompromise, "aACompromise"},
};

}  // namespace

const char* RevocationReasonName(RevocationReason reason) {
  for (const auto& [value, name] : kNames) {
    if (value == reason) return name;
  }
  return "unspecified";
}

std::optional<RevocationReason> RevocationReasonFromCode(int code) {
  for (const auto& [value, name] : kNames) {
    if (static_cast<int>(value) == code) return value;
  }
  return std::nullopt;
}

std::string DescribeRevocation(const Revocation& r) {
  return absl::StrCat("revoked at ",
                      absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", r.revoke_time,
                                       absl::UTCTimeZone()),
                      " (", RevocationReasonName(r.reason), ", by ", r.actor,
                      ")");
}

}  // namespace certferry::model
