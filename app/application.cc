#include "app/application.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/resource_quota.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include <chrono>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "storage/migrations.h"
#include "targets/target_config.h"
#include "workers/handlers/deliver_webhook_handler.h"
#include "workers/handlers/deploy_handler.h"
#include "workers/handlers/issue_certificate_handler.h"
#include "workers/handlers/renew_certificate_handler.h"

namespace certferry::app {
namespace {

constexpr char kCertificateServiceName[] = "certferry.v1.CertificateService";

absl::StatusOr<pki::KeyRing> LoadKeyRing(const AppConfig& config) {
  CF_ASSIGN_OR_RETURN(pki::KeyEncryptionKey current,
                      pki::LoadKeyEncryptionKey(config.kek_file));
  std::vector<pki::KeyEncryptionKey> previous;
  for (const std::string& path : config.previous_kek_files) {
    CF_ASSIGN_OR_RETURN(pki::KeyEncryptionKey kek,
                        pki::LoadKeyEncryptionKey(path));
    previous.push_back(std::move(kek));
  }
  return pki::KeyRing(std::move(current), std::move(previous));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Application>> Application::Start(
    AppConfig config) {
  SetMinLogLevel(config.log_level);
  std::unique_ptr<Application> app(new Application());
  app->config_ = std::move(config);
  const AppConfig& cfg = app->config_;

  auto keys = LoadKeyRing(cfg);
  if (!keys.ok()) return WithContext(keys.status(), "--kek_file");
  app->keys_ = std::make_unique<pki::KeyRing>(*std::move(keys));

  CF_ASSIGN_OR_RETURN(app->database_, storage::Database::Connect(cfg.database));
  if (cfg.migrate_on_start) {
    CF_ASSIGN_OR_RETURN(storage::MigrationReport report,
                        storage::ApplyMigrations(
                            *app->database_, storage::EmbeddedMigrations()));
    if (report.database_is_newer) {
      LogWarning(
          "the database schema is newer than this binary; running "
          "with the newer schema (rolling upgrade?)");
    }
  }

  // The CRL listener is bound first: its port may be part of the URL that
  // issued certificates carry.
  issuers::AuthoritiesConfig authorities_config;
  authorities_config.crl_base_url = cfg.crl_base_url;
  if (!cfg.crl_listen.empty()) {
    CF_ASSIGN_OR_RETURN(app->crl_server_,
                        service::CrlHttpServer::Bind(cfg.crl_listen));
    if (authorities_config.crl_base_url.empty()) {
      const std::string& host = app->crl_server_->host();
      authorities_config.crl_base_url = absl::StrCat(
          "http://",
          host.find(':') == std::string::npos ? host
                                              : absl::StrCat("[", host, "]"),
          ":", app->crl_server_->port());
    }
  }
  app->authorities_ = std::make_unique<issuers::CertificateAuthorities>(
      *app->database_, *app->keys_, app->clock_, authorities_config);
  app->crl_publisher_ = std::make_unique<issuers::CrlPublisher>(
      *app->database_, *app->authorities_, app->clock_, cfg.crl);
  app->revocation_api_ = std::make_unique<service::RevocationApi>(
      *app->database_, *app->authorities_, *app->crl_publisher_, app->clock_);
  app->own_ca_issuer_ =
      std::make_unique<issuers::OwnCaIssuer>(*app->authorities_, *app->keys_);
  // Renewal asks the issuer of each version's kind: the built-in CA's now
  // (ACME's issuer joins this list).
  const std::vector<issuers::Issuer*> renewal_issuers = {
      app->own_ca_issuer_.get()};
  if (!cfg.bootstrap_ca_name.empty()) {
    CF_RETURN_IF_ERROR(app->BootstrapDefaultCa());
  }
  app->operation_api_ =
      std::make_unique<service::OperationApi>(*app->database_);
  app->job_notifier_ = std::make_unique<storage::JobNotifier>(*app->database_);
  app->certificate_api_ = std::make_unique<service::CertificateApi>(
      *app->database_, *app->keys_, app->clock_, *app->authorities_,
      *app->operation_api_, *app->job_notifier_, cfg.certificates);
  app->authority_api_ = std::make_unique<service::CertificateAuthorityApi>(
      *app->database_, *app->authorities_);
  app->certificate_service_ = std::make_unique<service::CertificateServiceImpl>(
      *app->certificate_api_, *app->revocation_api_);
  app->operation_service_ =
      std::make_unique<service::OperationServiceImpl>(*app->operation_api_);
  app->authority_service_ =
      std::make_unique<service::CertificateAuthorityServiceImpl>(
          *app->authority_api_);
  app->target_api_ = std::make_unique<service::TargetApi>(*app->database_);
  app->target_service_ =
      std::make_unique<service::TargetServiceImpl>(*app->target_api_);
  app->deployment_api_ = std::make_unique<service::DeploymentApi>(
      *app->database_, *app->operation_api_, *app->job_notifier_);
  app->deployment_service_ =
      std::make_unique<service::DeploymentServiceImpl>(*app->deployment_api_);
  app->audit_api_ = std::make_unique<service::AuditApi>(*app->database_);
  app->audit_service_ =
      std::make_unique<service::AuditServiceImpl>(*app->audit_api_);
  app->audit_sealer_ = std::make_unique<storage::AuditSealer>(*app->database_);
  app->diagnosis_api_ =
      std::make_unique<service::DiagnosisApi>(*app->database_, *app->keys_);
  app->diagnosis_service_ =
      std::make_unique<service::DiagnosticsServiceImpl>(*app->diagnosis_api_);
  app->notification_api_ =
      std::make_unique<service::NotificationApi>(*app->database_, *app->keys_);
  app->notification_service_ =
      std::make_unique<service::NotificationServiceImpl>(
          *app->notification_api_);

  if (cfg.workers.worker_threads > 0) {
    app->runner_ = std::make_unique<workers::JobRunner>(
        *app->database_, cfg.database.url, cfg.workers);
    app->runner_->RegisterHandler(
        workers::IssueCertificateHandler::kKind,
        std::make_shared<workers::IssueCertificateHandler>(
            *app->database_, *app->authorities_, *app->keys_));
    app->runner_->RegisterHandler(
        workers::IssueCertificatesBatchHandler::kKind,
        std::make_shared<workers::IssueCertificatesBatchHandler>(
            *app->authorities_, *app->keys_));
    if (!cfg.cloud_endpoint.empty() || !cfg.airec_endpoint.empty()) {
      app->cloud_http_ = std::make_unique<cloud::CurlHttpClient>();
    }
    if (!cfg.airec_endpoint.empty()) {
      CF_ASSIGN_OR_RETURN(cloud::Credentials credentials,
                          cloud::LoadDefaultCredentials());
      cloud::AirecClientOptions options;
      options.endpoint = cfg.airec_endpoint;
      app->airec_ = std::make_unique<cloud::AirecClient>(
          options, std::move(credentials), *app->cloud_http_, app->clock_);
      LogInfo(absl::StrCat("AIRec targets bind through ", cfg.airec_endpoint));
    }
    if (!cfg.cloud_endpoint.empty()) {
      CF_ASSIGN_OR_RETURN(cloud::Credentials credentials,
                          cloud::LoadDefaultCredentials());
      cloud::RpcClientOptions options;
      options.endpoint = cfg.cloud_endpoint;
      options.version = cloud::kCasVersion;
      options.region_id = cfg.cloud_region;
      app->cloud_rpc_ = std::make_unique<cloud::RpcClient>(
          options, std::move(credentials), *app->cloud_http_, app->clock_);
      app->cas_ = std::make_unique<cloud::CasClient>(*app->cloud_rpc_);
      LogInfo(absl::StrCat("CAS targets deploy through ", cfg.cloud_endpoint));
    }
    app->runner_->RegisterHandler(
        workers::RenewCertificateHandler::kKind,
        std::make_shared<workers::RenewCertificateHandler>(
            *app->database_, app->clock_, renewal_issuers));
    const cloud::CasClient* cas = app->cas_.get();
    const cloud::AirecClient* airec = app->airec_.get();
    auto deploy = std::make_shared<workers::DeployHandler>(
        *app->database_, *app->keys_,
        [cas, airec](const model::Target& target) {
          return targets::MakeDeployTarget(target, cas, airec);
        });
    app->runner_->RegisterHandler(workers::DeployHandler::kDeployKind, deploy);
    app->runner_->RegisterHandler(workers::DeployHandler::kRollbackKind,
                                  deploy);
    cloud::CurlHttpClientOptions webhook_options;
    webhook_options.max_response_bytes = 64 << 10;
    app->webhook_http_ =
        std::make_unique<cloud::CurlHttpClient>(webhook_options);
    app->runner_->RegisterHandler(
        workers::DeliverWebhookHandler::kKind,
        std::make_shared<workers::DeliverWebhookHandler>(
            *app->database_, *app->keys_, *app->webhook_http_, app->clock_,
            cfg.webhooks));
    CF_RETURN_IF_ERROR(app->runner_->Start());
    if (cfg.expiry_scan.interval > absl::ZeroDuration()) {
      app->expiry_scanner_ = std::make_unique<workers::ExpiryScanner>(
          *app->database_, app->clock_, cfg.expiry_scan);
      app->expiry_scanner_->Start();
    }
  }

  if (app->crl_server_ != nullptr) {
    app->crl_server_->Serve(*app->crl_publisher_);
    LogInfo(absl::StrCat("serving CRLs on ", cfg.crl_listen, " (port ",
                         app->crl_server_->port(), ") as ",
                         authorities_config.crl_base_url, "/crl/<CA id>.crl"));
  }
  if (!authorities_config.crl_base_url.empty()) {
    app->crl_refresher_ = std::make_unique<issuers::CrlRefresher>(
        *app->crl_publisher_, cfg.crl_refresh_interval);
  }
  // Scans even without local workers: any replica's workers run the jobs.
  std::vector<std::string> renewable_kinds;
  for (const issuers::Issuer* issuer : renewal_issuers) {
    renewable_kinds.push_back(issuer->kind());
  }
  app->renewal_scheduler_ = std::make_unique<workers::RenewalScheduler>(
      *app->database_, app->clock_, std::move(renewable_kinds),
      app->job_notifier_.get(), cfg.renewal);
  app->renewal_scheduler_->Start();

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  grpc::ResourceQuota quota("certferry");
  quota.SetMaxThreads(cfg.max_rpc_threads);
  builder.SetResourceQuota(quota);
  builder.SetMaxReceiveMessageSize(4 * 1024 * 1024);
  builder.AddListeningPort(cfg.listen_address,
                           grpc::InsecureServerCredentials(), &app->port_);
  builder.RegisterService(app->certificate_service_.get());
  builder.RegisterService(app->operation_service_.get());
  builder.RegisterService(app->authority_service_.get());
  builder.RegisterService(app->audit_service_.get());
  builder.RegisterService(app->target_service_.get());
  builder.RegisterService(app->deployment_service_.get());
  builder.RegisterService(app->diagnosis_service_.get());
  builder.RegisterService(app->notification_service_.get());
  app->server_ = builder.BuildAndStart();
  if (app->server_ == nullptr || app->port_ == 0) {
    return absl::UnavailableError(absl::StrCat(
        "--listen: cannot serve on ", cfg.listen_address,
        "; is the port taken (another certferryd?) or the address not "
        "local? choose another with --listen"));
  }
  app->SetServing(app->database_->Ping().ok());
  app->health_thread_ = std::thread([a = app.get()] { a->MonitorHealth(); });
  LogInfo(absl::StrCat("certferryd serving on ", cfg.listen_address, " (port ",
                       app->port_, ")"));
  return app;
}

Application::~Application() {
  Shutdown(config_.shutdown_grace);
  if (expiry_scanner_ != nullptr) expiry_scanner_->Stop();
  if (runner_ != nullptr) runner_->Shutdown(config_.shutdown_grace);
}

absl::Status Application::BootstrapDefaultCa() {
  absl::StatusOr<model::CertificateAuthority> existing =
      authorities_->GetDefault();
  if (existing.ok()) return absl::OkStatus();
  if (existing.status().code() != absl::StatusCode::kNotFound) {
    return existing.status();
  }
  issuers::CreateAuthorityParams params;
  params.name = config_.bootstrap_ca_name;
  params.common_name = config_.bootstrap_ca_name;
  params.organization = "certferry";
  params.make_default = true;
  absl::StatusOr<model::CertificateAuthority> created =
      authorities_->Create(params);
  // Another replica starting at the same moment may have won the name.
  if (created.status().code() == absl::StatusCode::kAlreadyExists) {
    return absl::OkStatus();
  }
  return created.status();
}

void Application::SetServing(bool serving) {
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  if (health == nullptr) return;
  health->SetServingStatus(serving);  // overall and every service
  health->SetServingStatus("", serving);
  health->SetServingStatus(kCertificateServiceName, serving);
}

void Application::MonitorHealth() {
  bool last = true;
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    lock.unlock();
    absl::Status ping = database_->Ping();
    lock.lock();
    if (stopping_) break;
    if (ping.ok() != last) {
      if (ping.ok()) {
        LogInfo("database reachable again; health SERVING");
      } else {
        LogWarning(absl::StrCat("database unreachable; health NOT_SERVING: ",
                                ping.message()));
      }
      last = ping.ok();
    }
    SetServing(ping.ok());
    stop_cv_.wait_for(lock, std::chrono::milliseconds(absl::ToInt64Milliseconds(
                                config_.health_check_interval)));
  }
}

void Application::Shutdown(absl::Duration grace) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || server_ == nullptr) return;
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (health_thread_.joinable()) health_thread_.join();
  // NOT_SERVING first so load balancers stop sending before we drain.
  if (auto* health = server_->GetHealthCheckService()) {
    health->Shutdown();
  }
  LogInfo("shutting down: draining in-flight calls");
  server_->Shutdown(
      std::chrono::system_clock::now() +
      std::chrono::milliseconds(absl::ToInt64Milliseconds(grace)));
  server_->Wait();
  if (crl_server_ != nullptr) crl_server_->Stop();
  crl_refresher_.reset();
  if (renewal_scheduler_ != nullptr) renewal_scheduler_->Stop();
  // After the RPCs: jobs get the rest of the grace period to finish.
  if (expiry_scanner_ != nullptr) expiry_scanner_->Stop();
  if (runner_ != nullptr) runner_->Shutdown(grace);
  LogInfo("shut down");
}

}  // namespace certferry::app
