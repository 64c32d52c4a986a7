#pragma once

// Minimal structured logging to stderr, one event per line:
//   2026-11-22T10:00:00.123Z INFO certferryd: message key=value ...
// Debian's Abseil has no absl/log. Callers must never pass secrets; use
// SecretString, which prints "[redacted]".

#include <string>

#include "absl/strings/string_view.h"

namespace certferry {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// Sets the minimum level that is written. Thread-safe.
void SetMinLogLevel(LogLevel level);

// Parses "debug", "info", "warning", "error"; false when unknown.
bool ParseLogLevel(absl::string_view text, LogLevel* level);

// Writes one line atomically (a single write(2)). Thread-safe.
void Log(LogLevel level, absl::string_view message);

inline void LogInfo(absl::string_view m) { Log(LogLevel::kInfo, m); }
inline void LogWarning(absl::string_view m) { Log(LogLevel::kWarning, m); }
inline void LogError(absl::string_view m) { Log(LogLevel::kError, m); }
inline void LogDebug(absl::string_view m) { Log(LogLevel::kDebug, m); }

}  // namespace certferry
