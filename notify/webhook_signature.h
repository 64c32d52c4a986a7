#pragma once

// How a webhook delivery is signed, so its receiver can check that it
// comes from certferry (someone knowing the endpoint's secret) and is not
// replayed:
//
//   X-Certferry-Timestamp: <t>   Unix seconds when the attempt was sent
//   X-Certferry-Signature: sha256=<hex>
//     <hex> = lowercase hex HMAC-SHA256, keyed with the endpoint's secret
//             (its bytes as given), over  <t> "." <raw request body>
//   X-Certferry-Delivery: <uuid> the same on every attempt of a delivery
//   X-Certferry-Event: <event>   e.g. certificate.expiring
//
// A receiver recomputes the HMAC over the timestamp header, a dot and the
// body bytes as received (before any JSON parsing), compares in constant
// time, rejects timestamps more than a few minutes from its clock, and
// drops a delivery id it has already processed (a delivery can arrive more
// than once: retries after a lost response, a worker that crashed after
// sending).

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "common/secret_string.h"

namespace certferry::notify {

inline constexpr char kSignatureHeader[] = "X-Certferry-Signature";
inline constexpr char kTimestampHeader[] = "X-Certferry-Timestamp";
inline constexpr char kDeliveryHeader[] = "X-Certferry-Delivery";
inline constexpr char kEventHeader[] = "X-Certferry-Event";

// "sha256=" + the HMAC above. Thread-safe.
std::string WebhookSignature(const SecretString& secret, int64_t unix_seconds,
                             absl::string_view body);

}  // namespace certferry::notify
