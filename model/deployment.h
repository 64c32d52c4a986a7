#pragma once

// Deploy targets and deployments as plain values shared by storage/,
// service/ and workers/. No secrets: sealed contents are referenced by key
// id only.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace certferry::model {

struct Target {
  std::string id;
  std::string name;
  std::string kind;         // "file"
  std::string config_json;  // kind-specific, no secrets
  std::vector<std::string> domains;
  std::string verify_host;  // empty: not verified
  int verify_port = 0;
  std::string verify_sni;
  absl::Time create_time;
  absl::Time update_time;
};

enum class DeploymentState {
  kQueued,
  kRunning,
  kVerifying,
  kSucceeded,
  kFailed,
  kRolledBack,
};
const char* DeploymentStateName(DeploymentState state);
std::optional<DeploymentState> ParseDeploymentState(const std::string& name);

// What a deployment puts on (or found on) a target.
struct DeployedContents {
  bool empty = false;           // nothing (the target had no files)
  std::string certificate_id;   // a stored version, or empty
  int certificate_version = 0;  // with certificate_id
  std::string chain_pem;        // contents certferry did not deploy
  std::string key_id;           // their sealed key (private_keys.id)
  std::string leaf_sha256;
};

struct Deployment {
  int64_t id = 0;
  std::string target_id;
  std::string target_name;
  std::string kind;  // "deploy" or "rollback"
  int64_t rolls_back_id = 0;
  DeployedContents contents;
  bool previous_recorded = false;
  DeployedContents previous;
  DeploymentState state = DeploymentState::kQueued;
  bool verify = true;
  bool auto_rollback = true;
  bool auto_rolled_back = false;
  int attempts = 0;
  std::string error;
  std::string evidence;
  int64_t job_id = 0;
  std::string actor;
  std::string request_id;
  // How the target itself can undo this deployment (see DeployTarget).
  std::string undo_record;
  // Findings about what the verifying handshake saw, as a JSON array
  // (diagnose/finding_json.h); "[]" when none were recorded.
  std::string findings_json = "[]";
  absl::Time create_time;
  std::optional<absl::Time> start_time, end_time;
};

}  // namespace certferry::model
