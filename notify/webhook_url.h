#pragma once

// Rules for webhook endpoint URLs. Webhook URLs often carry a token in
// their path or query (chat services' incoming webhooks do), so messages,
// logs and audit entries name an endpoint by its origin only.

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace certferry::notify {

// OK for https://HOST[:PORT][/...], or http:// to 127.0.0.1, [::1] or
// localhost (a receiver on the same machine: the body is signed, not
// encrypted). At most 2048 printable ASCII characters, no user:password@,
// a port in 1-65535. Else INVALID_ARGUMENT "<field>: <problem>; <fix>",
// without the URL itself.
absl::Status ValidateWebhookUrl(absl::string_view field, absl::string_view url);

// "scheme://host[:port]" of `url` (everything before the path, query or
// fragment, without user information).
std::string WebhookUrlOrigin(absl::string_view url);

}  // namespace certferry::notify
