#pragma once

// Job kinds "issue_certificate" (one certificate) and "issue_certificates"
// (a batch of up to a thousand, every one or none) issue from a built-in CA
// and store new versions. Exactly once in effect: Run only signs; the
// versions are stored by CommitEffects in the transaction that completes
// the job (many jobs' versions in one statement), so they are stored if and
// only if the job succeeds. Each stored version also records its job id and
// position in the job (UNIQUE together). Thread-safe.

#include "issuers/certificate_authorities.h"
#include "issuers/own_ca_issuer.h"
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
      : db_(db), issuer_(authorities, keys) {}

  // JobHandler. Payload: model::IssueJobPayload as JSON; result:
  // model::IssueJobResult as JSON.
  absl::StatusOr<std::string> Run(JobContext& context) override;
  absl::Status CommitEffects(storage::Transaction& tx,
                             std::vector<PendingEffect>& effects) override;
  bool audited() const override { return true; }

 private:
  storage::Database& db_;
  issuers::OwnCaIssuer issuer_;
};

class IssueCertificatesBatchHandler final : public JobHandler {
 public:
  static constexpr char kKind[] = "issue_certificates";

  // All references must outlive the handler.
  IssueCertificatesBatchHandler(issuers::CertificateAuthorities& authorities,
                                const pki::KeyRing& keys)
      : issuer_(authorities, keys) {}

  // JobHandler. Payload: model::IssueBatchJobPayload as JSON; result:
  // model::IssueBatchJobResult as JSON. Checks for cancellation between
  // certificates and reports how many are signed.
  absl::StatusOr<std::string> Run(JobContext& context) override;
  absl::Status CommitEffects(storage::Transaction& tx,
                             std::vector<PendingEffect>& effects) override;
  bool audited() const override { return true; }

 private:
  issuers::OwnCaIssuer issuer_;
};

}  // namespace certferry::workers
