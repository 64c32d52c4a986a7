#include "targets/target_config.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"

namespace certferry::targets {

using nlohmann::json;

std::string FileTargetConfigToJson(const FileTargetConfig& c) {
  return json{{"directory", c.directory},
              {"chainFile", c.chain_file},
              {"keyFile", c.key_file},
              {"owner", c.owner},
              {"group", c.group},
              {"checkCommand", c.check_command},
              {"reloadCommand", c.reload_command},
              {"commandTimeoutSeconds", absl::ToInt64Seconds(c.reload_timeout)}}
      .dump();
}

absl::StatusOr<FileTargetConfig> FileTargetConfigFromJson(
    const std::string& text) {
  const json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  auto bad = [](absl::string_view what) {
    return absl::DataLossError(
        absl::StrCat("stored file target configuration unreadable: ", what));
  };
  if (!doc.is_object()) return bad("not a JSON object");
  FileTargetConfig c;
  for (const auto& [key, out] :
       {std::pair{"directory", &c.directory},
        std::pair{"chainFile", &c.chain_file},
        std::pair{"keyFile", &c.key_file}, std::pair{"owner", &c.owner},
        std::pair{"group", &c.group}}) {
    auto it = doc.find(key);
    if (it == doc.end() || !it->is_string()) return bad(key);
    *out = it->get<std::string>();
  }
  for (const auto& [key, out] :
       {std::pair{"checkCommand", &c.check_command},
        std::pair{"reloadCommand", &c.reload_command}}) {
    auto it = doc.find(key);
    if (it == doc.end() || !it->is_array()) return bad(key);
    for (const json& arg : *it) {
      if (!arg.is_string()) return bad(key);
      out->push_back(arg.get<std::string>());
    }
  }
  auto timeout = doc.find("commandTimeoutSeconds");
  if (timeout == doc.end() || !timeout->is_number_integer()) {
    return bad("commandTimeoutSeconds");
  }
  c.reload_timeout = absl::Seconds(timeout->get<int64_t>());
  return c;
}

std::string CasResourceTargetConfigToJson(const CasResourceTargetConfig& c) {
  return json{{"resourceId", c.resource_id}, {"contactId", c.contact_id}}
      .dump();
}

absl::StatusOr<CasResourceTargetConfig> CasResourceTargetConfigFromJson(
    const std::string& text) {
  const json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  CasResourceTargetConfig c;
  if (!doc.is_object() || !doc.contains("resourceId") ||
      !doc["resourceId"].is_number_integer() || !doc.contains("contactId") ||
      !doc["contactId"].is_number_integer()) {
    return absl::DataLossError(
        "stored CAS target configuration unreadable: resourceId and "
        "contactId must be integers");
  }
  c.resource_id = doc["resourceId"].get<int64_t>();
  c.contact_id = doc["contactId"].get<int64_t>();
  return c;
}

std::string AirecTargetConfigToJson(const AirecTargetConfig& c) {
  return json{{"instanceId", c.instance_id}, {"enforceHttps", c.enforce_https}}
      .dump();
}

absl::StatusOr<AirecTargetConfig> AirecTargetConfigFromJson(
    const std::string& text) {
  const json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || !doc.contains("instanceId") ||
      !doc["instanceId"].is_string() || !doc.contains("enforceHttps") ||
      !doc["enforceHttps"].is_boolean()) {
    return absl::DataLossError(
        "stored AIRec target configuration unreadable: instanceId must be a "
        "string and enforceHttps a boolean");
  }
  AirecTargetConfig c;
  c.instance_id = doc["instanceId"].get<std::string>();
  c.enforce_https = doc["enforceHttps"].get<bool>();
  return c;
}

absl::StatusOr<std::unique_ptr<DeployTarget>> MakeDeployTarget(
    const model::Target& target, const cloud::CasClient* cas,
    const cloud::AirecClient* airec) {
  if (target.kind == "airec") {
    if (airec == nullptr) {
      return absl::FailedPreconditionError(absl::StrCat(
          "target ", target.name,
          " is an AIRec instance but this certferryd has no cloud endpoint; "
          "start it with --cloud_endpoint (and cloud credentials)"));
    }
    absl::StatusOr<AirecTargetConfig> config =
        AirecTargetConfigFromJson(target.config_json);
    if (!config.ok()) return config.status();
    config->domains = target.domains;
    return std::unique_ptr<DeployTarget>(
        std::make_unique<AirecTarget>(*airec, *std::move(config)));
  }
  if (target.kind == "cas") {
    if (cas == nullptr) {
      return absl::FailedPreconditionError(absl::StrCat(
          "target ", target.name,
          " is a CAS resource but this certferryd has no cloud endpoint; "
          "start it with --cloud_endpoint (and cloud credentials)"));
    }
    absl::StatusOr<CasResourceTargetConfig> config =
        CasResourceTargetConfigFromJson(target.config_json);
    if (!config.ok()) return config.status();
    return std::unique_ptr<DeployTarget>(
        std::make_unique<CasResourceTarget>(*cas, *config));
  }
  if (target.kind != "file") {
    return absl::FailedPreconditionError(
        absl::StrCat("target ", target.name, ": kind '", target.kind,
                     "' is not supported by this certferryd"));
  }
  absl::StatusOr<FileTargetConfig> config =
      FileTargetConfigFromJson(target.config_json);
  if (!config.ok()) return config.status();
  absl::StatusOr<std::unique_ptr<FileTarget>> file =
      FileTarget::Create(*std::move(config));
  if (!file.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "target ", target.name,
        ": its configuration is not valid here: ", file.status().message()));
  }
  return std::unique_ptr<DeployTarget>(*std::move(file));
}

}  // namespace certferry::targets
