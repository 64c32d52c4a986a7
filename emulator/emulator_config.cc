#include "emulator/emulator_config.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "pki/names.h"

namespace certferry::emulator {
namespace {

using Json = nlohmann::json;

const std::set<std::string>& KnownProducts() {
  static const auto* const kProducts = new std::set<std::string>{
      "SLB", "CDN", "ALB", "NLB", "WAF", "APIGateway", "PAI-EAS", "DCDN",
      "GA",  "OSS", "FC",  "SAE", "MSE", "LIVE",       "VOD"};
  return *kProducts;
}

absl::Status ParseInto(const Json& root, EmulatorConfig& config) {
  if (!root.is_object()) {
    return absl::InvalidArgumentError("config: expected a JSON object");
  }
  for (const Json& key : root.value("access_keys", Json::array())) {
    std::string id = key.at("id").get<std::string>();
    std::string secret = key.at("secret").get<std::string>();
    if (id.empty() || secret.empty()) {
      return absl::InvalidArgumentError(
          "access_keys: id and secret must not be empty");
    }
    config.access_keys[id] = SecretString(std::move(secret));
  }
  if (config.access_keys.empty()) {
    return absl::InvalidArgumentError(
        "access_keys: at least one {\"id\", \"secret\"} pair is required");
  }
  if (root.contains("worker_step_ms")) {
    config.worker_step =
        absl::Milliseconds(root.at("worker_step_ms").get<int64_t>());
  }
  std::set<int64_t> ids;
  int index = 0;
  for (const Json& r : root.value("resources", Json::array())) {
    ResourceConfig resource;
    resource.id = r.at("id").get<int64_t>();
    resource.product = r.at("product").get<std::string>();
    resource.domain = r.at("domain").get<std::string>();
    resource.region = r.value("region", resource.region);
    const std::string field = absl::StrCat("resources[", index++, "]");
    if (resource.id <= 0 || !ids.insert(resource.id).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".id: must be a positive, unique integer"));
    }
    if (!KnownProducts().count(resource.product)) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ".product: '", resource.product, "' is not a CAS product"));
    }
    if (absl::Status s = pki::ValidateCertificateName(
            absl::StrCat(field, ".domain"), resource.domain);
        !s.ok()) {
      return s;
    }
    resource.instance_id = r.value(
        "instance_id", absl::StrCat(absl::AsciiStrToLower(resource.product),
                                    "-", resource.id));
    config.resources.push_back(std::move(resource));
  }
  index = 0;
  for (const Json& a : root.value("airec_instances", Json::array())) {
    AirecInstanceConfig instance;
    instance.id = a.at("id").get<std::string>();
    instance.domain = a.at("domain").get<std::string>();
    instance.region = a.value("region", instance.region);
    instance.validation = a.value("validation", instance.validation);
    const std::string field = absl::StrCat("airec_instances[", index++, "]");
    if (instance.id.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(field, ".id: empty"));
    }
    if (instance.validation != "DNS_CNAME" &&
        instance.validation != "HTTP_FILE") {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".validation: '", instance.validation,
                       "' is not DNS_CNAME or HTTP_FILE"));
    }
    if (absl::Status s = pki::ValidateCertificateName(
            absl::StrCat(field, ".domain"), instance.domain);
        !s.ok()) {
      return s;
    }
    config.airec_instances.push_back(std::move(instance));
  }
  if (root.contains("quotas")) {
    const Json& q = root.at("quotas");
    config.quotas.tier = q.value("tier", config.quotas.tier);
    if (config.quotas.tier != "free" && config.quotas.tier != "paid") {
      return absl::InvalidArgumentError(
          "quotas.tier: must be \"free\" or \"paid\"");
    }
    config.quotas.certificate_limit = config.quotas.tier == "free" ? 10 : 100;
    config.quotas.certificate_limit =
        q.value("certificate_limit", config.quotas.certificate_limit);
    config.quotas.deployment_credits =
        q.value("deployment_credits", config.quotas.deployment_credits);
  }
  if (root.contains("prices")) {
    const Json& p = root.at("prices");
    config.prices.standard = p.value("Standard", config.prices.standard);
    config.prices.wildcard = p.value("Wildcard", config.prices.wildcard);
    config.prices.enterprise = p.value("Enterprise", config.prices.enterprise);
  }
  if (root.contains("faults")) {
    const Json& f = root.at("faults");
    FaultConfig& faults = config.faults;
    faults.throttle_share = f.value("throttle_share", 0.0);
    faults.throttle_code = f.value("throttle_code", faults.throttle_code);
    const int64_t retry_after_ms =
        f.value("throttle_retry_after_ms",
                absl::ToInt64Milliseconds(faults.throttle_retry_after));
    if (retry_after_ms < 1) {
      return absl::InvalidArgumentError(
          "faults.throttle_retry_after_ms: must be at least 1");
    }
    faults.throttle_retry_after = absl::Milliseconds(retry_after_ms);
    faults.server_error_share = f.value("server_error_share", 0.0);
    faults.delay_share = f.value("delay_share", 0.0);
    faults.delay = absl::Milliseconds(f.value("delay_ms", int64_t{0}));
    faults.failing_resource_ids =
        f.value("failing_resource_ids", std::vector<int64_t>{});
    index = 0;
    for (const std::string& domain :
         f.value("failing_validation_domains", std::vector<std::string>{})) {
      if (absl::Status s = pki::ValidateCertificateName(
              absl::StrCat("faults.failing_validation_domains[", index++, "]"),
              domain);
          !s.ok()) {
        return s;
      }
      faults.failing_validation_domains.push_back(
          pki::NormalizeCertificateName(domain));
    }
    faults.seed = f.value("seed", faults.seed);
    for (double share : {faults.throttle_share, faults.server_error_share,
                         faults.delay_share}) {
      if (share < 0 || share > 1) {
        return absl::InvalidArgumentError(
            "faults: *_share values must be within 0..1");
      }
    }
    if (faults.throttle_share + faults.server_error_share > 1) {
      return absl::InvalidArgumentError(
          "faults: throttle_share + server_error_share must not exceed 1");
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<EmulatorConfig> ParseEmulatorConfig(absl::string_view json) {
  EmulatorConfig config;
  try {
    Json root = Json::parse(json.begin(), json.end());
    if (absl::Status s = ParseInto(root, config); !s.ok()) return s;
  } catch (const Json::exception& e) {
    // nlohmann's messages name the key and type, never values.
    return absl::InvalidArgumentError(absl::StrCat("config: ", e.what()));
  }
  return config;
}

absl::StatusOr<EmulatorConfig> LoadEmulatorConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("--config: cannot read ", path));
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return ParseEmulatorConfig(buffer.str());
}

}  // namespace certferry::emulator
