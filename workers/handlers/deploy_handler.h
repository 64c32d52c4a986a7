#pragma once

// Job kinds "deploy_certificate" and "rollback_deployment": apply each of
// the job's deployment records (service/deployment_api.h) to its target,
// verify by a TLS handshake that the target serves it, and on a failed
// verification put back what was there (when the deployment asks to). A
// deployment that ends failed, and one a rollback undoes, are announced to
// webhooks (notify/notifications.h) in the transaction recording it.
//
// Safe to re-run after a crash: finished deployments are skipped, what the
// target held before is recorded once, before anything is applied, and
// applying the same contents twice is harmless. Two deployments never apply
// to one target at once: each claims the target (a row lease that runs out
// if its worker dies); a deployment that finds the target busy makes its
// job retry later. Thread-safe.

#include <functional>
#include <memory>

#include "absl/time/time.h"
#include "model/deployment.h"
#include "pki/key_envelope.h"
#include "storage/database.h"
#include "targets/deploy_target.h"
#include "targets/endpoint_probe.h"
#include "workers/job_handler.h"

namespace certferry::workers {

struct DeployHandlerConfig {
  // How long a reload may take to show the new certificate.
  absl::Duration verify_deadline = absl::Seconds(30);
  absl::Duration verify_retry_interval = absl::Milliseconds(200);
  absl::Duration verify_connect_timeout = absl::Seconds(5);
  // Matching handshakes in a row that count as verified (a reloading server
  // can answer from old and new workers for a moment).
  int verify_consecutive = 3;
  // How long one deployment's claim on its target holds without renewal;
  // longer than any apply + verify.
  absl::Duration target_claim = absl::Minutes(15);
};

class DeployHandler final : public JobHandler {
 public:
  static constexpr char kDeployKind[] = "deploy_certificate";
  static constexpr char kRollbackKind[] = "rollback_deployment";

  // Builds the DeployTarget of a stored target.
  using TargetMaker =
      std::function<absl::StatusOr<std::unique_ptr<targets::DeployTarget>>(
          const model::Target&)>;

  // References must outlive the handler.
  DeployHandler(storage::Database& db, const pki::KeyRing& keys,
                TargetMaker make_target, DeployHandlerConfig config = {})
      : db_(db),
        keys_(keys),
        make_target_(std::move(make_target)),
        config_(config) {}

  // JobHandler. The job's deployments are found by its id. Returns "{}";
  // the operation's response lists the deployments. FAILED_PRECONDITION
  // when any deployment failed (each record says why); UNAVAILABLE while a
  // target is busy with another deployment (the job retries).
  absl::StatusOr<std::string> Run(JobContext& context) override;
  // Each deployment's end state is audited by Run; the operation's outcome
  // by the runner.
  bool audited() const override { return true; }

 private:
  // Runs one deployment to its end state; an error means it could not be
  // carried out now (retry the job).
  absl::Status RunDeployment(JobContext& context,
                             const model::Deployment& deployment);
  // The served certificate once `leaf_sha256` is served consistently, or
  // the evidence of why not by the verify deadline.
  absl::StatusOr<targets::ServedCertificate> VerifyServed(
      const targets::VerifyEndpoint& endpoint, const std::string& leaf_sha256);
  // Diagnoses the chain the endpoint serves (`verified`, or a fresh look
  // when verification failed) and stores the findings with the deployment.
  absl::Status RecordFindings(
      const model::Deployment& d, const model::Target& target,
      const targets::VerifyEndpoint& endpoint,
      const absl::StatusOr<targets::ServedCertificate>& verified);
  // The built-in CAs' root certificates (PEM), trusted for the findings.
  absl::StatusOr<std::string> BuiltInRootsPem();
  // What the target holds, as a DeployedContents to record.
  absl::StatusOr<model::DeployedContents> Describe(
      const targets::TargetContents& found);
  // The chain and key a DeployedContents stands for.
  absl::StatusOr<targets::TargetContents> Materialise(
      const model::DeployedContents& contents);

  storage::Database& db_;
  const pki::KeyRing& keys_;
  TargetMaker make_target_;
  DeployHandlerConfig config_;
};

}  // namespace certferry::workers
