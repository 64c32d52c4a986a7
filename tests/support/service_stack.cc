#include "tests/support/service_stack.h"

#include "common/status_macros.h"
#include "issuers/stored_versions.h"
#include "pki/digest.h"
#include "storage/certificate_repository.h"
#include "targets/target_config.h"
#include "tests/support/test_database.h"
#include "tests/support/test_pki.h"
#include "workers/handlers/issue_certificate_handler.h"
#include "workers/handlers/renew_certificate_handler.h"

namespace certferry::testing {

absl::StatusOr<std::unique_ptr<ServiceStack>> ServiceStack::Create(
    ServiceStackOptions options) {
  std::unique_ptr<ServiceStack> s(new ServiceStack());
  s->options_ = options;
  if (options.clock != nullptr) s->clock_ = options.clock;
  CF_ASSIGN_OR_RETURN(TestDatabase test_db, CreateMigratedTestDatabase());
  s->dsn_ = test_db.dsn;
  CF_ASSIGN_OR_RETURN(s->db_, ConnectTestDatabase(s->dsn_, 6));
  CF_ASSIGN_OR_RETURN(pki::KeyEncryptionKey kek,
                      pki::KeyEncryptionKeyFromBytes(std::string(32, '\x44')));
  s->keys_ = std::make_unique<pki::KeyRing>(std::move(kek));
  issuers::AuthoritiesConfig authorities;
  authorities.crl_base_url = options.crl_base_url;
  s->authorities_ = std::make_unique<issuers::CertificateAuthorities>(
      *s->db_, *s->keys_, *s->clock_, authorities);
  s->crls_ = std::make_unique<issuers::CrlPublisher>(*s->db_, *s->authorities_,
                                                     *s->clock_);
  s->revocations_ = std::make_unique<service::RevocationApi>(
      *s->db_, *s->authorities_, *s->crls_, *s->clock_);
  s->issuer_ =
      std::make_unique<issuers::OwnCaIssuer>(*s->authorities_, *s->keys_);
  s->operations_ = std::make_unique<service::OperationApi>(*s->db_);
  s->notifier_ = std::make_unique<storage::JobNotifier>(*s->db_);
  s->certificates_ = std::make_unique<service::CertificateApi>(
      *s->db_, *s->keys_, *s->clock_, *s->authorities_, *s->operations_,
      *s->notifier_);
  s->targets_ = std::make_unique<service::TargetApi>(*s->db_);
  s->deployments_ = std::make_unique<service::DeploymentApi>(
      *s->db_, *s->operations_, *s->notifier_);
  s->notifications_ =
      std::make_unique<service::NotificationApi>(*s->db_, *s->keys_);
  s->webhook_http_ = std::make_unique<cloud::CurlHttpClient>();
  workers::RenewalSchedulerConfig renewal;
  renewal.interval = options.renewal_scan_interval;
  s->scheduler_ = std::make_unique<workers::RenewalScheduler>(
      *s->db_, *s->clock_, std::vector<std::string>{s->issuer_->kind()},
      s->notifier_.get(), renewal);
  return s;
}

ServiceStack::~ServiceStack() {
  if (scheduler_) scheduler_->Stop();
  if (runner_) runner_->Shutdown(absl::Seconds(5));
}

absl::Status ServiceStack::Start(
    workers::DeployHandler::TargetMaker make_target) {
  workers::WorkerConfig config;
  config.worker_threads = options_.worker_threads;
  config.poll_interval = absl::Milliseconds(100);
  config.backoff = options_.job_backoff;
  runner_ =
      std::make_unique<workers::JobRunner>(*db_, SecretString(dsn_), config);
  if (!make_target) {
    make_target = [](const model::Target& t) {
      return targets::MakeDeployTarget(t);
    };
  }
  auto handler = std::make_shared<workers::DeployHandler>(
      *db_, *keys_, std::move(make_target), options_.deploy);
  runner_->RegisterHandler(service::kDeployJobKind, handler);
  runner_->RegisterHandler(service::kRollbackJobKind, handler);
  runner_->RegisterHandler(
      workers::DeliverWebhookHandler::kKind,
      std::make_shared<workers::DeliverWebhookHandler>(
          *db_, *keys_, *webhook_http_, *clock_, options_.webhooks));
  runner_->RegisterHandler(workers::IssueCertificateHandler::kKind,
                           std::make_shared<workers::IssueCertificateHandler>(
                               *db_, *authorities_, *keys_));
  runner_->RegisterHandler(
      workers::RenewCertificateHandler::kKind,
      std::make_shared<workers::RenewCertificateHandler>(
          *db_, *clock_, std::vector<issuers::Issuer*>{issuer_.get()}));
  CF_RETURN_IF_ERROR(runner_->Start());
  scheduler_->Start();
  return absl::OkStatus();
}

absl::StatusOr<ServiceStack::Imported> ServiceStack::ImportFor(
    const std::string& name, const std::vector<std::string>& dns_names,
    absl::Time not_after) {
  TestChain chain = MakeChain(dns_names, not_after);
  v1::ImportCertificateRequest request;
  request.set_name(name);
  request.set_chain_pem(chain.fullchain_pem());
  request.set_private_key_pem(chain.leaf.key.private_key_pem);
  CF_ASSIGN_OR_RETURN(v1::Certificate imported,
                      certificates_->ImportCertificate(request));
  return Imported{imported.id(), pki::Sha256Hex(chain.leaf.cert_der)};
}

absl::StatusOr<ServiceStack::Imported> ServiceStack::IssueFor(
    const std::string& name, const std::vector<std::string>& dns_names,
    const std::string& ca_name) {
  absl::StatusOr<model::CertificateAuthority> ca = authorities_->Get(ca_name);
  if (absl::IsNotFound(ca.status())) {
    issuers::CreateAuthorityParams params;
    params.name = ca_name;
    ca = authorities_->Create(params);
  }
  CF_RETURN_IF_ERROR(ca.status());
  issuers::IssueParams params;
  params.names = dns_names;
  params.validity = absl::Hours(24 * 30);
  CF_ASSIGN_OR_RETURN(issuers::IssuedCertificate issued,
                      authorities_->Issue(*ca, params));
  CF_ASSIGN_OR_RETURN(
      storage::NewCertificateVersion input,
      issuers::BuildNewVersion(name, issued.chain_pem, issued.chain,
                               issued.private_key_pem,
                               model::CertificateSource::kIssued, *keys_));
  input.issuer_ca_id = ca->id;
  CF_ASSIGN_OR_RETURN(model::Certificate stored,
                      db_->RunInTransaction<model::Certificate>(
                          "issue_for_test", [&](storage::Transaction& tx) {
                            return storage::CertificateRepository::AddVersion(
                                tx, input);
                          }));
  return Imported{stored.id, stored.version.sha256_fingerprint};
}

absl::StatusOr<v1::Deployment> ServiceStack::Finish(
    const v1::Operation& operation, int64_t id) {
  v1::WaitOperationRequest wait;
  wait.set_name(operation.name());
  wait.mutable_timeout()->set_seconds(60);
  CF_ASSIGN_OR_RETURN(v1::Operation done,
                      operations_->WaitOperation(wait, absl::InfiniteFuture()));
  if (!done.done()) {
    return absl::DeadlineExceededError(
        absl::StrCat(operation.name(), " did not end within 60 s"));
  }
  v1::GetDeploymentRequest get;
  get.set_id(id);
  return deployments_->GetDeployment(get);
}

}  // namespace certferry::testing
