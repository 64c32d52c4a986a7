#pragma once

// The service layer as certferryd wires it, for end-to-end tests: a fresh
// migrated PostgreSQL database, the key ring, the CA registry and its CRLs,
// the certificate, revocation, target, deployment, notification and
// operation APIs, a job runner with the issuance, renewal and webhook
// handlers and DeployHandler over the targets a test's TargetMaker builds,
// and the renewal scheduler. Tests call the APIs directly (no gRPC) and wait
// on operations like a client would.

#include <memory>
#include <string>
#include <vector>

#include "certferry/v1/certificate_service.pb.h"
#include "certferry/v1/deployment_service.pb.h"
#include "cloud/http_client.h"
#include "common/clock.h"
#include "issuers/certificate_authorities.h"
#include "issuers/crl_publisher.h"
#include "issuers/own_ca_issuer.h"
#include "pki/key_envelope.h"
#include "service/certificate_api.h"
#include "service/deployment_api.h"
#include "service/notification_api.h"
#include "service/operation_api.h"
#include "service/revocation_api.h"
#include "service/target_api.h"
#include "storage/database.h"
#include "storage/job_notifications.h"
#include "workers/handlers/deliver_webhook_handler.h"
#include "workers/handlers/deploy_handler.h"
#include "workers/job_runner.h"
#include "workers/renewal_scheduler.h"

namespace certferry::testing {

struct ServiceStackOptions {
  int worker_threads = 2;
  // How jobs waiting for a busy target retry.
  workers::BackoffPolicy job_backoff;
  workers::DeployHandlerConfig deploy;
  // Issued certificates' CRL distribution points (see AuthoritiesConfig).
  std::string crl_base_url;
  workers::WebhookDeliveryConfig webhooks;
  // The clock of the CAs, the APIs, renewal and its scheduler (a test's
  // FakeClock moves them all); null: the system clock. Must outlive the
  // stack.
  const Clock* clock = nullptr;
  // The renewal scheduler's thread scans this often once started; zero:
  // only when a test calls renewal_scheduler().ScanOnce().
  absl::Duration renewal_scan_interval = absl::ZeroDuration();
};

class ServiceStack {
 public:
  // Fresh database and services; the runner starts with Start().
  static absl::StatusOr<std::unique_ptr<ServiceStack>> Create(
      ServiceStackOptions options = {});
  ~ServiceStack();

  // Registers DeployHandler over `make_target` (default: the targets
  // certferryd builds, without cloud clients) DeliverWebhookHandler and the
  // issuance and renewal handlers, and starts the runner and the renewal
  // scheduler.
  absl::Status Start(workers::DeployHandler::TargetMaker make_target = {});

  // Imports a chain for `dns_names` (test CA) as certificate `name`, its
  // leaf valid until `not_after`; returns the certificate id and the leaf's
  // SHA-256.
  struct Imported {
    std::string id;
    std::string leaf_sha256;
  };
  absl::StatusOr<Imported> ImportFor(
      const std::string& name, const std::vector<std::string>& dns_names,
      absl::Time not_after = absl::Now() + absl::Hours(24 * 90));

  // Issues a certificate for `dns_names` as certificate `name` from the
  // built-in CA `ca_name` (created as a root the first time), storing the
  // version as the issuance job does; returns the certificate id and the
  // leaf's SHA-256.
  absl::StatusOr<Imported> IssueFor(const std::string& name,
                                    const std::vector<std::string>& dns_names,
                                    const std::string& ca_name = "stack-root");

  // Waits for `operation` to end (at most 60 s) and returns deployment `id`.
  absl::StatusOr<v1::Deployment> Finish(const v1::Operation& operation,
                                        int64_t id);

  const std::string& dsn() const { return dsn_; }
  storage::Database& db() { return *db_; }
  service::CertificateApi& certificates() { return *certificates_; }
  service::TargetApi& targets() { return *targets_; }
  service::DeploymentApi& deployments() { return *deployments_; }
  service::OperationApi& operations() { return *operations_; }
  service::RevocationApi& revocations() { return *revocations_; }
  issuers::CertificateAuthorities& authorities() { return *authorities_; }
  issuers::CrlPublisher& crls() { return *crls_; }
  service::NotificationApi& notifications() { return *notifications_; }
  const pki::KeyRing& keys() const { return *keys_; }
  const Clock& clock() const { return *clock_; }
  workers::RenewalScheduler& renewal_scheduler() { return *scheduler_; }

 private:
  ServiceStack() = default;

  ServiceStackOptions options_;
  SystemClock system_clock_;
  const Clock* clock_ = &system_clock_;
  std::string dsn_;
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<pki::KeyRing> keys_;
  std::unique_ptr<issuers::CertificateAuthorities> authorities_;
  std::unique_ptr<issuers::CrlPublisher> crls_;
  std::unique_ptr<service::RevocationApi> revocations_;
  std::unique_ptr<issuers::OwnCaIssuer> issuer_;
  std::unique_ptr<service::OperationApi> operations_;
  std::unique_ptr<storage::JobNotifier> notifier_;
  std::unique_ptr<service::CertificateApi> certificates_;
  std::unique_ptr<service::TargetApi> targets_;
  std::unique_ptr<service::DeploymentApi> deployments_;
  std::unique_ptr<service::NotificationApi> notifications_;
  std::unique_ptr<cloud::CurlHttpClient> webhook_http_;
  std::unique_ptr<workers::JobRunner> runner_;
  std::unique_ptr<workers::RenewalScheduler> scheduler_;
};

}  // namespace certferry::testing
