#pragma once

// Revocations of certificate versions and the certificate revocation lists
// (CRLs) that publish them, as plain values shared by storage/, issuers/,
// service/ and workers/.

#include <cstdint>
#include <optional>
#include <string>

#include "absl/time/time.h"

namespace certferry::model {

// CRLReason (RFC 5280 §5.3.1); the values are the codes a CRL carries.
enum class RevocationReason {
  kUnspecified = 0,
  kKeyCompromise = 1,
  kCaCompromise = 2,
  kAffiliationChanged = 3,
  kSuperseded = 4,
  kCessationOfOperation = 5,
  kCertificateHold = 6,
  kRemoveFromCrl = 8,
  kPrivilegeWithdrawn = 9,
  kAaCompromise = 10,
};

// RFC 5280's name, e.g. "keyCompromise".
const char* RevocationReasonName(RevocationReason reason);
// The reason with RFC 5280 code `code`; std::nullopt for 7 and unknown
// codes.
std::optional<RevocationReason> RevocationReasonFromCode(int code);

// A revoked certificate version.
struct Revocation {
  std::string certificate_id;
  int version = 0;
  std::string serial_number;  // uppercase hex, as CertificateVersion's
  std::string issuer_ca_id;   // the built-in CA that issued it
  RevocationReason reason = RevocationReason::kUnspecified;
  absl::Time revoke_time;
  std::string actor;
  std::string request_id;  // of the call that revoked it; may be empty
};

// "revoked at <RFC 3339 time> (<reason name>, by <actor>)", for messages.
std::string DescribeRevocation(const Revocation& revocation);

// A CA's signed CRL.
struct CertificateRevocationList {
  std::string ca_id;
  int64_t crl_number = 0;  // grows with every CRL the CA publishes
  absl::Time this_update;
  absl::Time next_update;
  std::string der;
};

}  // namespace certferry::model
