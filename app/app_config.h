#pragma once

// The whole configuration of certferryd: plain structs with embedded
// defaults. Only app/config_flags.cc reads flags and the environment.

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/log.h"
#include "issuers/crl_publisher.h"
#include "service/certificate_api.h"
#include "storage/database_config.h"
#include "workers/expiry_scanner.h"
#include "workers/handlers/deliver_webhook_handler.h"
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
  // host:port on which this process serves the built-in CAs' CRLs over
  // plain HTTP (port 0 picks one); empty: it serves none.
  std::string crl_listen;
  // The base of the URL issued certificates carry as their CRL
  // distribution point, <crl_base_url>/crl/<CA id>.crl: http://, no
  // trailing slash. Empty: http://<the bound crl_listen address>, or no
  // distribution point without crl_listen.
  std::string crl_base_url;
  issuers::CrlConfig crl;
  // How often CRLs due for regeneration are looked for (when CRLs are
  // served or a base URL is set).
  absl::Duration crl_refresh_interval = absl::Minutes(1);
  // Expiry notices (thresholds, scan interval; interval zero: this process
  // does not scan) and webhook deliveries. Both run only where workers do.
  workers::ExpiryScanConfig expiry_scan;
  workers::WebhookDeliveryConfig webhooks;
};

}  // namespace certferry::app
