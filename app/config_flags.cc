#include "app/config_flags.h"

#include <algorithm>
#include <cstdlib>

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"

ABSL_FLAG(std::string, listen, "",
          "host:port to serve gRPC on (env CERTFERRY_LISTEN; default "
          "127.0.0.1:7443)");
ABSL_FLAG(std::string, database_url, "",
          "PostgreSQL connection URI or keyword string (env "
          "CERTFERRY_DATABASE_URL)");
ABSL_FLAG(int, database_pool_size, 8, "database connections kept open");
ABSL_FLAG(std::string, kek_file, "",
          "key-encryption key file, base64 of 32 bytes, mode 0600 (env "
          "CERTFERRY_KEK_FILE); create one with `certferryd generate-kek "
          "PATH`");
ABSL_FLAG(std::string, previous_kek_files, "",
          "comma-separated older KEK files still needed to read keys");
ABSL_FLAG(bool, migrate_on_start, true,
          "apply pending schema migrations before serving");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(10),
          "how long in-flight calls may run after SIGTERM/SIGINT");
ABSL_FLAG(absl::Duration, health_check_interval, absl::Seconds(2),
          "how often the database is pinged for the health status");
ABSL_FLAG(int, max_rpc_threads, 32, "upper bound on RPC threads");
ABSL_FLAG(int, workers, 4,
          "job worker threads in this process (0: run no jobs here)");
ABSL_FLAG(absl::Duration, job_lease, absl::Seconds(30),
          "how long a job stays claimed without a heartbeat; a crashed "
          "process's jobs are retried after this");
ABSL_FLAG(absl::Duration, renewal_scan_interval, absl::Minutes(1),
          "how often this replica looks for certificates due for renewal "
          "and queues their renewal (0: never; other replicas may)");
ABSL_FLAG(std::string, bootstrap_ca, "",
          "create a root CA of this name at start if no default CA exists");
ABSL_FLAG(
    std::string, cloud_endpoint, "",
    "Alibaba Cloud CAS endpoint for CAS targets (https://cas.aliyuncs.com, "
    "or a certferry-cloud-emulator's http://127.0.0.1:PORT); empty: none");
ABSL_FLAG(std::string, cloud_region, "cn-hangzhou", "Alibaba Cloud region id");
ABSL_FLAG(std::string, airec_endpoint, "",
          "AIRec endpoint for AIRec targets "
          "(https://airec.cn-hangzhou.aliyuncs.com); empty: --cloud_endpoint "
          "(an emulator serves both)");
ABSL_FLAG(std::string, crl_listen, "",
          "host:port to serve the built-in CAs' CRLs on over plain HTTP "
          "(GET /crl/<CA id>.crl); empty: none");
ABSL_FLAG(std::string, crl_base_url, "",
          "base URL of the CRLs as clients reach them, e.g. "
          "http://pki.example.com (issued certificates point at "
          "<base>/crl/<CA id>.crl); default: http://<--crl_listen address>");
ABSL_FLAG(absl::Duration, crl_validity, absl::Hours(24 * 7),
          "how long each CRL is valid (nextUpdate); it is regenerated when "
          "half of that has passed");
ABSL_FLAG(std::string, expiry_notice_days, "30,15,7,2",
          "webhook notices (certificate.expiring) when a certificate comes "
          "this many days before notAfter; comma-separated, empty: none");
ABSL_FLAG(std::string, ca_expiry_notice_days, "90,30,15,7,2",
          "the same for the built-in CAs (certificate_authority.expiring)");
ABSL_FLAG(absl::Duration, expiry_scan_interval, absl::Minutes(15),
          "how often this process looks for expiring certificates and CAs "
          "(every replica may; each notice is sent once); 0: never");
ABSL_FLAG(absl::Duration, webhook_timeout, absl::Seconds(10),
          "how long one webhook delivery attempt may take");
ABSL_FLAG(std::string, log_level, "",
          "debug, info, warning or error (env CERTFERRY_LOG_LEVEL; default "
          "info)");

namespace certferry::app {
namespace {

std::string FlagOrEnv(const std::string& flag_value, const char* env_name,
                      const std::string& fallback) {
  if (!flag_value.empty()) return flag_value;
  if (const char* env = std::getenv(env_name); env != nullptr && *env != 0) {
    return env;
  }
  return fallback;
}

// "30,15,7,2" as days: distinct, 1-3650.
absl::StatusOr<std::vector<int>> ParseDays(const char* flag,
                                           const std::string& text) {
  std::vector<int> days;
  for (absl::string_view part :
       absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    int value = 0;
    if (!absl::SimpleAtoi(part, &value) || value < 1 || value > 3650 ||
        std::find(days.begin(), days.end(), value) != days.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat(flag,
                       ": expected distinct whole days from 1 to 3650, e.g. "
                       "30,15,7,2 (empty: no notices)"));
    }
    days.push_back(value);
  }
  return days;
}

}  // namespace

absl::Status ValidateCrlFlags(AppConfig* config) {
  std::string& base = config->crl_base_url;
  if (!base.empty()) {
    while (!base.empty() && base.back() == '/') base.pop_back();
    if (base.rfind("http://", 0) != 0 || base.size() == 7) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--crl_base_url: '", base,
          "' must start with http:// and name a host; CRLs are fetched "
          "over plain HTTP (RFC 5280), e.g. http://pki.example.com"));
    }
    for (char c : base) {
      if (c < 0x21 || c > 0x7e || c == '?' || c == '#') {
        return absl::InvalidArgumentError(
            "--crl_base_url: must be ASCII without spaces, query or "
            "fragment, e.g. http://pki.example.com/certferry");
      }
    }
  }
  if (!config->crl_listen.empty() && base.empty()) {
    const size_t colon = config->crl_listen.rfind(':');
    const std::string host = colon == std::string::npos
                                 ? config->crl_listen
                                 : config->crl_listen.substr(0, colon);
    if (host.empty() || host == "0.0.0.0" || host == "[::]" || host == "::") {
      return absl::InvalidArgumentError(absl::StrCat(
          "--crl_base_url: required when --crl_listen (", config->crl_listen,
          ") listens on every address; give the URL clients reach it at, "
          "e.g. http://pki.example.com"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<AppConfig> ConfigFromFlags(bool need_kek) {
  AppConfig config;
  config.listen_address = FlagOrEnv(absl::GetFlag(FLAGS_listen),
                                    "CERTFERRY_LISTEN", config.listen_address);
  if (config.listen_address.find(':') == std::string::npos) {
    return absl::InvalidArgumentError(
        "--listen / CERTFERRY_LISTEN: expected host:port, e.g. "
        "127.0.0.1:7443");
  }
  config.database.url = SecretString(FlagOrEnv(
      absl::GetFlag(FLAGS_database_url), "CERTFERRY_DATABASE_URL", ""));
  if (config.database.url.empty()) {
    return absl::InvalidArgumentError(
        "--database_url / CERTFERRY_DATABASE_URL: required; give a "
        "PostgreSQL URI such as postgresql://certferry@localhost/certferry "
        "(./scripts/run sets it for its private cluster)");
  }
  config.database.pool_size = absl::GetFlag(FLAGS_database_pool_size);
  if (config.database.pool_size < 1 || config.database.pool_size > 200) {
    return absl::InvalidArgumentError(
        "--database_pool_size: must be between 1 and 200");
  }
  config.kek_file =
      FlagOrEnv(absl::GetFlag(FLAGS_kek_file), "CERTFERRY_KEK_FILE", "");
  if (need_kek && config.kek_file.empty()) {
    return absl::InvalidArgumentError(
        "--kek_file / CERTFERRY_KEK_FILE: required; create a key with "
        "`certferryd generate-kek PATH` and keep it secret");
  }
  for (absl::string_view path : absl::StrSplit(
           absl::GetFlag(FLAGS_previous_kek_files), ',', absl::SkipEmpty())) {
    config.previous_kek_files.emplace_back(path);
  }
  config.migrate_on_start = absl::GetFlag(FLAGS_migrate_on_start);
  config.shutdown_grace = absl::GetFlag(FLAGS_shutdown_grace);
  config.health_check_interval = absl::GetFlag(FLAGS_health_check_interval);
  if (config.health_check_interval < absl::Milliseconds(50)) {
    return absl::InvalidArgumentError(
        "--health_check_interval: must be at least 50ms");
  }
  config.max_rpc_threads = absl::GetFlag(FLAGS_max_rpc_threads);
  if (config.max_rpc_threads < 2) {
    return absl::InvalidArgumentError("--max_rpc_threads: must be at least 2");
  }
  config.workers.worker_threads = absl::GetFlag(FLAGS_workers);
  if (config.workers.worker_threads < 0 ||
      config.workers.worker_threads > 256) {
    return absl::InvalidArgumentError("--workers: must be between 0 and 256");
  }
  config.workers.lease = absl::GetFlag(FLAGS_job_lease);
  if (config.workers.lease < absl::Seconds(1)) {
    return absl::InvalidArgumentError("--job_lease: must be at least 1s");
  }
  config.workers.reap_interval =
      std::min(config.workers.reap_interval, config.workers.lease / 2);
  config.renewal.interval = absl::GetFlag(FLAGS_renewal_scan_interval);
  if (config.renewal.interval < absl::ZeroDuration() ||
      (config.renewal.interval > absl::ZeroDuration() &&
       config.renewal.interval < absl::Seconds(1))) {
    return absl::InvalidArgumentError(
        "--renewal_scan_interval: must be 0 (off) or at least 1s");
  }
  config.bootstrap_ca_name = absl::GetFlag(FLAGS_bootstrap_ca);
  config.cloud_endpoint = absl::GetFlag(FLAGS_cloud_endpoint);
  config.cloud_region = absl::GetFlag(FLAGS_cloud_region);
  config.airec_endpoint = absl::GetFlag(FLAGS_airec_endpoint);
  if (config.airec_endpoint.empty()) {
    config.airec_endpoint = config.cloud_endpoint;
  }
  for (const auto& [flag, endpoint] :
       {std::pair{"--cloud_endpoint", &config.cloud_endpoint},
        std::pair{"--airec_endpoint", &config.airec_endpoint}}) {
    if (!endpoint->empty() && endpoint->rfind("https://", 0) != 0 &&
        endpoint->rfind("http://127.0.0.1:", 0) != 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          flag,
          ": use https://HOST (plain http only for a local emulator at "
          "http://127.0.0.1:PORT)"));
    }
  }
  config.crl_listen = absl::GetFlag(FLAGS_crl_listen);
  config.crl_base_url = absl::GetFlag(FLAGS_crl_base_url);
  CF_RETURN_IF_ERROR(ValidateCrlFlags(&config));
  config.crl.validity = absl::GetFlag(FLAGS_crl_validity);
  if (config.crl.validity < absl::Hours(1) ||
      config.crl.validity > absl::Hours(24 * 366)) {
    return absl::InvalidArgumentError(
        "--crl_validity: must be between 1h and 366 days (8784h)");
  }
  CF_ASSIGN_OR_RETURN(config.expiry_scan.certificate_thresholds_days,
                      ParseDays("--expiry_notice_days",
                                absl::GetFlag(FLAGS_expiry_notice_days)));
  CF_ASSIGN_OR_RETURN(config.expiry_scan.authority_thresholds_days,
                      ParseDays("--ca_expiry_notice_days",
                                absl::GetFlag(FLAGS_ca_expiry_notice_days)));
  config.expiry_scan.interval = absl::GetFlag(FLAGS_expiry_scan_interval);
  if (config.expiry_scan.interval < absl::ZeroDuration() ||
      (config.expiry_scan.interval > absl::ZeroDuration() &&
       config.expiry_scan.interval < absl::Seconds(1))) {
    return absl::InvalidArgumentError(
        "--expiry_scan_interval: 0 (never) or at least 1s");
  }
  config.webhooks.timeout = absl::GetFlag(FLAGS_webhook_timeout);
  if (config.webhooks.timeout < absl::Milliseconds(100) ||
      config.webhooks.timeout > absl::Minutes(5)) {
    return absl::InvalidArgumentError(
        "--webhook_timeout: between 100ms and 5m");
  }
  const std::string level =
      FlagOrEnv(absl::GetFlag(FLAGS_log_level), "CERTFERRY_LOG_LEVEL", "info");
  if (!ParseLogLevel(level, &config.log_level)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--log_level / CERTFERRY_LOG_LEVEL: '", level,
                     "' is not one of debug, info, warning, error"));
  }
  return config;
}

}  // namespace certferry::app
