#pragma once

// The CertificateService RPCs as plain C++: validation, idempotency and
// storage. No grpc:: types, so it is testable directly against PostgreSQL;
// service/certificate_service.h adapts it to gRPC. Thread-safe.

#include "absl/status/statusor.h"
#include "certferry/v1/certificate_service.pb.h"
#include "common/clock.h"
#include "issuers/certificate_authorities.h"
#include "model/issue_job.h"
#include "pki/key_envelope.h"
#include "service/call_info.h"
#include "service/group_enqueuer.h"
#include "service/operation_api.h"
#include "storage/database.h"
#include "storage/job_notifications.h"
#include "storage/job_repository.h"

namespace certferry::service {

struct CertificateApiConfig {
  size_t max_chain_pem_bytes = 64 * 1024;
  size_t max_private_key_pem_bytes = 16 * 1024;
  int default_page_size = 50;
  int max_page_size = 1000;
  int max_names_per_certificate = 100;
  absl::Duration default_validity = absl::Hours(24 * 90);
  int issue_max_attempts = 5;
  int max_batch_issue = 1000;
};

class CertificateApi {
 public:
  // Every reference must outlive this object.
  CertificateApi(storage::Database& db, const pki::KeyRing& keys,
                 const Clock& clock, issuers::CertificateAuthorities& cas,
                 OperationApi& operations, storage::JobNotifier& notifier,
                 CertificateApiConfig config = {});

  // The mutating calls record an audit event for `call`'s actor: with the
  // change, in its transaction, or (refused or failed) on its own. A
  // repeated request_id that returns the first result records nothing.

  // See certferry.v1.CertificateService.ImportCertificate for the contract.
  absl::StatusOr<v1::Certificate> ImportCertificate(
      const v1::ImportCertificateRequest& request, const CallInfo& call = {});

  // See certferry.v1.CertificateService.IssueCertificate.
  absl::StatusOr<v1::Operation> IssueCertificate(
      const v1::IssueCertificateRequest& request, const CallInfo& call = {});

  // See certferry.v1.CertificateService.BatchIssueCertificates.
  absl::StatusOr<v1::BatchIssueCertificatesResponse> BatchIssueCertificates(
      const v1::BatchIssueCertificatesRequest& request,
      const CallInfo& call = {});

  // See certferry.v1.CertificateService.GetCertificate.
  absl::StatusOr<v1::Certificate> GetCertificate(
      const v1::GetCertificateRequest& request);

  // See certferry.v1.CertificateService.ListCertificates.
  absl::StatusOr<v1::ListCertificatesResponse> ListCertificates(
      const v1::ListCertificatesRequest& request);

  // See certferry.v1.CertificateService.UpdateRenewalPolicy.
  absl::StatusOr<v1::Certificate> UpdateRenewalPolicy(
      const v1::UpdateRenewalPolicyRequest& request, const CallInfo& call = {});

 private:
  // The mutating calls without the audit event of a refusal.
  absl::StatusOr<v1::Certificate> ImportOrRefuse(
      const v1::ImportCertificateRequest& request, const CallInfo& call);
  absl::StatusOr<v1::Operation> IssueOrRefuse(
      const v1::IssueCertificateRequest& request, const CallInfo& call);
  absl::StatusOr<v1::BatchIssueCertificatesResponse> BatchIssueOrRefuse(
      const v1::BatchIssueCertificatesRequest& request, const CallInfo& call);
  absl::StatusOr<v1::Certificate> UpdatePolicyOrRefuse(
      const v1::UpdateRenewalPolicyRequest& request, const CallInfo& call);

  // The certificate at `version` (0: latest) with its renewal status.
  absl::StatusOr<v1::Certificate> ReadCertificate(const std::string& id,
                                                  int version);

  // Validates an issue request (all but request_id) and builds its job.
  absl::StatusOr<storage::NewJob> IssueJob(
      const v1::IssueCertificateRequest& request);
  // Validates an issue request (all but request_id) and builds what its
  // job issues.
  absl::StatusOr<model::IssueJobPayload> IssuePayload(
      const v1::IssueCertificateRequest& request);

  storage::Database& db_;
  const pki::KeyRing& keys_;
  const Clock& clock_;
  issuers::CertificateAuthorities& cas_;
  OperationApi& operations_;
  storage::JobNotifier& notifier_;
  GroupEnqueuer enqueuer_;
  CertificateApiConfig config_;
};

}  // namespace certferry::service
