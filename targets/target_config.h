#pragma once

// A stored target's kind-specific configuration (model::Target::config_json)
// to and from its typed form, and the DeployTarget it describes.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "cloud/cas_client.h"
#include "model/deployment.h"
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

// The DeployTarget for a stored target; `cas` is the CAS client CAS targets
// use (null: none configured). FAILED_PRECONDITION for a kind this process
// cannot deploy to (a CAS target without a configured cloud endpoint) or a
// configuration no longer valid here (e.g. its reload program was removed).
absl::StatusOr<std::unique_ptr<DeployTarget>> MakeDeployTarget(
    const model::Target& target, const cloud::CasClient* cas = nullptr);

}  // namespace certferry::targets
