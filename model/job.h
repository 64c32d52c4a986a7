#pragma once

// Plain value types for durable jobs. No I/O.

#include <cstdint>
#include <optional>
#include <string>

#include "absl/time/time.h"

namespace certferry::model {

enum class JobState { kQueued, kRunning, kSucceeded, kFailed, kCancelled };

// "queued", "running", ... as stored; and back (nullopt for unknown text).
const char* JobStateName(JobState state);
std::optional<JobState> JobStateFromName(const std::string& name);

inline bool IsTerminal(JobState state) {
  return state == JobState::kSucceeded || state == JobState::kFailed ||
         state == JobState::kCancelled;
}

struct Job {
  int64_t id = 0;
  std::string kind;
  std::string payload_json;
  JobState state = JobState::kQueued;
  int priority = 0;
  absl::Time run_at;
  int attempts = 0;
  int max_attempts = 0;
  std::string lease_owner;
  bool cancel_requested = false;
  std::string progress;
  std::string last_error;
  int last_error_code = 0;  // absl::StatusCode of last_error
  std::string result_json;  // empty unless succeeded
  std::string idempotency_key;
  absl::Time create_time;
  absl::Time update_time;
  std::optional<absl::Time> start_time;
  std::optional<absl::Time> finish_time;
};

}  // namespace certferry::model
