#pragma once

// A stored target's kind-specific configuration (model::Target::config_json)
// to and from its typed form, and the DeployTarget it describes.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "cloud/airec_client.h"
#include "cloud/cas_client.h"
#include "model/deployment.h"
#include "targets/airec_target.h"
#include "targets/cas_resource_target.h"
#include "targets/deploy_target.h"
#include "targets/file_target.h"

namespace certferry::targets {

// JSON with camelCase names ("reloadCommand", "commandTimeoutSeconds").
std::string FileTargetConfigToJson(const FileTargetConfig& config);
// DATA_LOSS when the stored text is not such a configuration.
absl::StatusOr<FileTargetConfig> FileTargetConfigFromJson(
    const std::string& json);

// JSON of a CAS resource target ("resourceId", "contactId").
std::string CasResourceTargetConfigToJson(const CasResourceTargetConfig& c);
absl::StatusOr<CasResourceTargetConfig> CasResourceTargetConfigFromJson(
    const std::string& json);

// JSON of an AIRec target ("instanceId", "enforceHttps"); its domains are
// the target's own.
std::string AirecTargetConfigToJson(const AirecTargetConfig& c);
absl::StatusOr<AirecTargetConfig> AirecTargetConfigFromJson(
    const std::string& json);

// The DeployTarget for a stored target; `cas` and `airec` are the clients
// CAS and AIRec targets use (null: none configured). FAILED_PRECONDITION for
// a kind this process cannot deploy to (a cloud target without a configured
// cloud endpoint) or a configuration no longer valid here (e.g. its reload
// program was removed).
absl::StatusOr<std::unique_ptr<DeployTarget>> MakeDeployTarget(
    const model::Target& target, const cloud::CasClient* cas = nullptr,
    const cloud::AirecClient* airec = nullptr);

}  // namespace certferry::targets
