#include "notify/webhook_url.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace certferry::notify {
namespace {

constexpr size_t kMaxUrlLength = 2048;

absl::Status Invalid(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
}

// The authority (host[:port], perhaps with user information) after the
// scheme's "://".
absl::string_view Authority(absl::string_view url) {
  const size_t start = url.find("://");
  if (start == absl::string_view::npos) return "";
  absl::string_view rest = url.substr(start + 3);
  return rest.substr(0, rest.find_first_of("/?#"));
}

}  // namespace

absl::Status ValidateWebhookUrl(absl::string_view field,
                                absl::string_view url) {
  if (url.empty()) {
    return Invalid(field, "required; give the receiver's https:// URL");
  }
  if (url.size() > kMaxUrlLength) {
    return Invalid(field, absl::StrCat("longer than ", kMaxUrlLength,
                                       " characters; shorten it"));
  }
  for (char c : url) {
    if (c <= 0x20 || c >= 0x7f) {
      return Invalid(field,
                     "contains a space or a character outside printable "
                     "ASCII; percent-encode it");
    }
  }
  const bool https = absl::StartsWithIgnoreCase(url, "https://");
  if (!https && !absl::StartsWithIgnoreCase(url, "http://")) {
    return Invalid(field,
                   "must start with https:// (or http:// to a "
                   "loopback address)");
  }
  const absl::string_view authority = Authority(url);
  if (absl::StrContains(authority, "@")) {
    return Invalid(field,
                   "must not contain user:password@; the receiver checks "
                   "the X-Certferry-Signature header instead");
  }
  absl::string_view host = authority;
  absl::string_view port;
  if (absl::StartsWith(authority, "[")) {  // [IPv6]:port
    const size_t close = authority.find(']');
    if (close == absl::string_view::npos) {
      return Invalid(field, "an IPv6 address needs its closing ']'");
    }
    host = authority.substr(0, close + 1);
    absl::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return Invalid(field, "expected ':' after ']'");
      port = after.substr(1);
    }
  } else if (const size_t colon = authority.rfind(':');
             colon != absl::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) return Invalid(field, "has no host");
  if (!port.empty() || authority.size() > host.size()) {
    int number = 0;
    if (!absl::SimpleAtoi(port, &number) || number < 1 || number > 65535) {
      return Invalid(field, "the port must be a number from 1 to 65535");
    }
  }
  if (!https && !absl::EqualsIgnoreCase(host, "127.0.0.1") &&
      !absl::EqualsIgnoreCase(host, "localhost") && host != "[::1]") {
    return Invalid(field,
                   "plain http:// is only allowed to 127.0.0.1, [::1] or "
                   "localhost; use https:// (notifications name "
                   "certificates and targets)");
  }
  return absl::OkStatus();
}

std::string WebhookUrlOrigin(absl::string_view url) {
  const size_t start = url.find("://");
  if (start == absl::string_view::npos) return "";
  absl::string_view authority = Authority(url);
  if (const size_t at = authority.rfind('@'); at != absl::string_view::npos) {
    authority = authority.substr(at + 1);
  }
  return absl::StrCat(absl::AsciiStrToLower(url.substr(0, start)), "://",
                      authority);
}

}  // namespace certferry::notify
