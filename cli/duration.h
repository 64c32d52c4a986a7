#pragma once

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace certferry::cli {

// Parses durations people type: "30d", "12h", "90m", "45s", or anything
// absl::ParseDuration accepts ("1h30m"). False on anything else or a
// negative value.
bool ParseHumanDuration(absl::string_view text, absl::Duration* out);

}  // namespace certferry::cli
