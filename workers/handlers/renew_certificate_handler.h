#pragma once

// Job kind "renew_certificate" (enqueued by RenewalScheduler, payload
// model::RenewJobPayload): issues the successor of a certificate version
// through the issuer that issued it (issuers::Issuer, chosen by the
// version's issuer kind) and redeploys it: in the transaction that stores
// the new version and completes the job, every live target whose latest
// succeeded deployment put the renewed version there gets a deployment
// (verify and auto-rollback on) with a "deploy_certificate" job of its own,
// which the normal deploy path (DeployHandler) runs.
//
// Exactly once in effect, like issuance: Run only signs; CommitEffects
// stores the version and the deployments with the job's success. A version
// superseded meanwhile (a newer one was stored) is not renewed: the job
// succeeds with version 0 in its result.
//
// Failures of the issuer (its CA expiring, a key that does not open, an
// outage) are retried with backoff whatever their code, until the version
// being renewed expires: then the job fails for good (FAILED_PRECONDITION).
// A version that cannot be renewed at all (imported, or from an issuer
// kind without an Issuer here) fails at once. Thread-safe.

#include <map>
#include <string>
#include <vector>

#include "common/clock.h"
#include "issuers/issuer.h"
#include "model/renewal.h"
#include "storage/database.h"
#include "workers/job_handler.h"

namespace certferry::workers {

struct RenewHandlerConfig {
  // Attempts of each deployment job it creates (deployments to a busy
  // target wait their turn, retrying), as DeployCertificate's.
  int deploy_max_attempts = 30;
};

class RenewCertificateHandler final : public JobHandler {
 public:
  static constexpr const char* kKind = model::kRenewJobKind;

  // References and issuers must outlive the handler. One issuer per kind.
  RenewCertificateHandler(storage::Database& db, const Clock& clock,
                          const std::vector<issuers::Issuer*>& issuers,
                          RenewHandlerConfig config = {});

  // JobHandler. Result: model::RenewJobResult as JSON.
  absl::StatusOr<std::string> Run(JobContext& context) override;
  // Records each renewal as a "certificate.renewed" audit event with the
  // version it stores.
  absl::Status CommitEffects(storage::Transaction& tx,
                             std::vector<PendingEffect>& effects) override;
  // Not audited per attempt: a failing renewal retries for days (hundreds
  // of attempts a day), and each would be an event. Its error is in the
  // certificate's renewal status; the deployments it starts are audited.
  bool audited() const override { return false; }

 private:
  storage::Database& db_;
  const Clock& clock_;
  std::map<std::string, issuers::Issuer*> issuers_;  // by kind
  RenewHandlerConfig config_;
};

}  // namespace certferry::workers
