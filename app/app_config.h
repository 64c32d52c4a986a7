#pragma once

// The whole configuration of certferryd: plain structs with embedded
// defaults. Only app/config_flags.cc reads flags and the environment.

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/log.h"
#include "service/certificate_api.h"
#include "storage/database_config.h"
#include "workers/renewal_scheduler.h"
#include "workers/worker_config.h"

namespace certferry::app {

struct AppConfig {
  // host:port for the gRPC server. Port 0 picks a free port (tests).
  std::string listen_address = "127.0.0.1:7443";
  storage::DatabaseConfig database;
  // The key-encryption key sealing new private keys.
  std::string kek_file;
  // Older KEKs still needed to open existing keys (after a rotation).
  std::vector<std::string> previous_kek_files;
  // Apply pending schema migrations before serving.
  bool migrate_on_start = true;
  // In-flight calls get this long to finish on SIGTERM/SIGINT.
  absl::Duration shutdown_grace = absl::Seconds(10);
  // How often the database is pinged to drive the health status.
  absl::Duration health_check_interval = absl::Seconds(2);
  // Upper bound on threads serving RPCs.
  int max_rpc_threads = 32;
  LogLevel log_level = LogLevel::kInfo;
  service::CertificateApiConfig certificates;
  workers::WorkerConfig workers;
  // Finds certificates due for renewal (every replica may scan; each
  // version gets one renewal job). Interval zero: no scanning here.
  workers::RenewalSchedulerConfig renewal;
  // When set and no CA is the default yet, a root CA of this name is
  // created at start (./scripts/run's local mode).
  std::string bootstrap_ca_name;
  // Alibaba Cloud (CAS targets): the endpoint, e.g. https://cas.aliyuncs.com
  // or the emulator's http://127.0.0.1:PORT; empty: no CAS targets.
  // Credentials come from ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET or
  // ~/.alibabacloud/credentials.
  std::string cloud_endpoint;
  std::string cloud_region = "cn-hangzhou";
  // AIRec's endpoint for AIRec targets; defaults to cloud_endpoint.
  std::string airec_endpoint;
};

}  // namespace certferry::app
