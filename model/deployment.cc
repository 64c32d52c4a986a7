#include "model/deployment.h"

namespace certferry::model {
namespace {

constexpr std::pair<DeploymentState, const char*> kNames[] = {
    {DeploymentState::kQueued, "queued"},
    {DeploymentState::kRunning, "running"},
    {DeploymentState::kVerifying, "verifying"},
    {DeploymentState::kSucceeded, "succeeded"},
    {DeploymentState::kFailed, "failed"},
    {DeploymentState::kRolledBack, "rolled_back"},
};

}  // namespace

const char* DeploymentStateName(DeploymentState state) {
  for (const auto& [value, name] : kNames) {
    if (value == state) return name;
  }
  return "queued";
}

std::optional<DeploymentState> ParseDeploymentState(const std::string& name) {
  for (const auto& [value, text] : kNames) {
    if (name == text) return value;
  }
  return std::nullopt;
}

}  // namespace certferry::model
