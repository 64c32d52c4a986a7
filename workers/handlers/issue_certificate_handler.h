#pragma once

// Job kind "issue_certificate": issues a certificate from a built-in CA and
// stores it as a new version. Exactly once in effect: Run only signs; the
// version is stored by CommitEffects in the transaction that completes the
// job (many jobs' versions in one statement), so it is stored if and only
// if the job succeeds. The stored version also records its job id (UNIQUE),
// and a re-run first looks for it. Thread-safe.

#include "issuers/certificate_authorities.h"
#include "pki/key_envelope.h"
#include "storage/database.h"
#include "workers/job_handler.h"

namespace certferry::workers {

class IssueCertificateHandler final : public JobHandler {
 public:
  static constexpr char kKind[] = "issue_certificate";

  // All references must outlive the handler.
  IssueCertificateHandler(storage::Database& db,
                          issuers::CertificateAuthorities& authorities,
                          const pki::KeyRing& keys)
      : db_(db), authorities_(authorities), keys_(keys) {}

  // JobHandler. Payload: model::IssueJobPayload as JSON; result:
  // model::IssueJobResult as JSON.
  absl::StatusOr<std::string> Run(JobContext& context) override;
  absl::Status CommitEffects(storage::Transaction& tx,
                             std::vector<PendingEffect>& effects) override;

 private:
  storage::Database& db_;
  issuers::CertificateAuthorities& authorities_;
  const pki::KeyRing& keys_;
};

}  // namespace certferry::workers
