#include "cli/duration.h"

#include "absl/strings/numbers.h"

namespace certferry::cli {

bool ParseHumanDuration(absl::string_view text, absl::Duration* out) {
  if (text.size() >= 2 && (text.back() == 'd' || text.back() == 'w')) {
    int64_t count = 0;
    if (!absl::SimpleAtoi(text.substr(0, text.size() - 1), &count) ||
        count < 0) {
      return false;
    }
    *out = absl::Hours(24) * count * (text.back() == 'w' ? 7 : 1);
    return true;
  }
  absl::Duration parsed;
  if (!absl::ParseDuration(text, &parsed) || parsed < absl::ZeroDuration()) {
    return false;
  }
  *out = parsed;
  return true;
}

}  // namespace certferry::cli
