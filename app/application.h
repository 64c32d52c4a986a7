#pragma once

// The composition root: builds the object graph from an AppConfig, serves
// gRPC (CertificateService, health, reflection) and the CRLs over HTTP, and
// keeps the health status in step with the database; where jobs run, it also
// scans for expiring certificates (webhook notices). Used by certferryd and
// by in-process tests.

#include <grpcpp/server.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/status/statusor.h"
#include "app/app_config.h"
#include "cloud/airec_client.h"
#include "cloud/cas_client.h"
#include "cloud/credentials.h"
#include "cloud/http_client.h"
#include "cloud/rpc_client.h"
#include "common/clock.h"
#include "issuers/certificate_authorities.h"
#include "issuers/crl_publisher.h"
#include "issuers/own_ca_issuer.h"
#include "pki/key_envelope.h"
#include "service/audit_api.h"
#include "service/audit_service.h"
#include "service/certificate_api.h"
#include "service/certificate_authority_api.h"
#include "service/certificate_service.h"
#include "service/crl_http_server.h"
#include "service/deployment_service.h"
#include "service/diagnosis_service.h"
#include "service/notification_service.h"
#include "service/operation_api.h"
#include "service/operation_service.h"
#include "service/revocation_api.h"
#include "storage/audit_sealer.h"
#include "storage/database.h"
#include "workers/expiry_scanner.h"
#include "workers/job_runner.h"
#include "workers/renewal_scheduler.h"

namespace certferry::app {

class Application {
 public:
  // Connects to the database, applies migrations if configured, loads the
  // KEKs and starts serving. Errors name the configuration to fix:
  // UNAVAILABLE (database unreachable, port taken), NOT_FOUND/
  // INVALID_ARGUMENT/FAILED_PRECONDITION (KEK file), migration errors.
  static absl::StatusOr<std::unique_ptr<Application>> Start(AppConfig config);

  ~Application();  // Shuts down with the configured grace if still serving.

  // The port actually bound (useful with port 0).
  int port() const { return port_; }

  // Marks the server NOT_SERVING, stops accepting calls, lets in-flight
  // calls finish until `grace` has passed, then cancels the rest. Idempotent.
  void Shutdown(absl::Duration grace);

  storage::Database& database() { return *database_; }

 private:
  Application() = default;
  void MonitorHealth();
  void SetServing(bool serving);
  absl::Status BootstrapDefaultCa();

  AppConfig config_;
  SystemClock clock_;
  // Alibaba Cloud, when --cloud_endpoint is set (CAS targets).
  std::unique_ptr<cloud::CurlHttpClient> cloud_http_;
  std::unique_ptr<cloud::RpcClient> cloud_rpc_;
  std::unique_ptr<cloud::CasClient> cas_;
  std::unique_ptr<cloud::AirecClient> airec_;
  std::unique_ptr<storage::Database> database_;
  std::unique_ptr<pki::KeyRing> keys_;
  std::unique_ptr<issuers::CertificateAuthorities> authorities_;
  std::unique_ptr<issuers::CrlPublisher> crl_publisher_;
  // When --crl_listen is set.
  std::unique_ptr<service::CrlHttpServer> crl_server_;
  // When CRLs are served or issued certificates point at them.
  std::unique_ptr<issuers::CrlRefresher> crl_refresher_;
  std::unique_ptr<service::RevocationApi> revocation_api_;
  // Renewal issues through these (one per issuer kind).
  std::unique_ptr<issuers::OwnCaIssuer> own_ca_issuer_;
  std::unique_ptr<storage::JobNotifier> job_notifier_;
  std::unique_ptr<service::OperationApi> operation_api_;
  std::unique_ptr<service::CertificateApi> certificate_api_;
  std::unique_ptr<service::CertificateAuthorityApi> authority_api_;
  std::unique_ptr<service::CertificateServiceImpl> certificate_service_;
  std::unique_ptr<service::OperationServiceImpl> operation_service_;
  std::unique_ptr<service::CertificateAuthorityServiceImpl> authority_service_;
  std::unique_ptr<service::TargetApi> target_api_;
  std::unique_ptr<service::TargetServiceImpl> target_service_;
  std::unique_ptr<service::DeploymentApi> deployment_api_;
  std::unique_ptr<service::DeploymentServiceImpl> deployment_service_;
  std::unique_ptr<service::AuditApi> audit_api_;
  std::unique_ptr<service::AuditServiceImpl> audit_service_;
  std::unique_ptr<service::DiagnosisApi> diagnosis_api_;
  std::unique_ptr<service::DiagnosticsServiceImpl> diagnosis_service_;
  std::unique_ptr<service::NotificationApi> notification_api_;
  std::unique_ptr<service::NotificationServiceImpl> notification_service_;
  // Webhook deliveries (TLS verified against the system store).
  std::unique_ptr<cloud::CurlHttpClient> webhook_http_;
  std::unique_ptr<workers::ExpiryScanner> expiry_scanner_;
  std::unique_ptr<storage::AuditSealer> audit_sealer_;
  std::unique_ptr<workers::JobRunner> runner_;
  std::unique_ptr<workers::RenewalScheduler> renewal_scheduler_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;

  std::mutex mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread health_thread_;
};

}  // namespace certferry::app
