#include "storage/sql_statement.h"

#include "storage/queries/audit_queries.h"
#include "storage/queries/certificate_authority_queries.h"
#include "storage/queries/certificate_queries.h"
#include "storage/queries/deployment_queries.h"
#include "storage/queries/job_queries.h"
#include "storage/queries/notification_queries.h"
#include "storage/queries/request_id_queries.h"
#include "storage/queries/revocation_queries.h"

namespace certferry::storage {

const std::vector<SqlStatement>& AllSqlStatements() {
  static const auto* const kAll = new std::vector<SqlStatement>{
      queries::kInsertPrivateKey,
      queries::kAddVersionsBulk,
      queries::kGetCertificate,
      queries::kListCertificates,
      queries::kGetVersionKeyId,
      queries::kGetPrivateKeyById,
      queries::kFindVersionByJob,
      queries::kInsertCertificateAuthority,
      queries::kClearDefaultCertificateAuthority,
      queries::kSetDefaultCertificateAuthority,
      queries::kGetCertificateAuthority,
      queries::kGetDefaultCertificateAuthority,
      queries::kListCertificateAuthorities,
      queries::kClaimRequestId,
      queries::kGetRequestId,
      queries::kCompleteRequestId,
      queries::kFindRequestIds,
      queries::kRecordRequestIds,
      queries::kEnqueueJob,
      queries::kFindJobByIdempotencyKey,
      queries::kEnqueueJobsBulk,
      queries::kNotifyJobs,
      queries::kClaimJobs,
      queries::kRenewLeases,
      queries::kCompleteJobsSucceeded,
      queries::kGetJobs,
      queries::kLockLeasedJobs,
      queries::kCompleteJobsFailed,
      queries::kReleaseJobs,
      queries::kReapExpiredLeases,
      queries::kCancelJob,
      queries::kSetJobProgress,
      queries::kGetJob,
      queries::kListJobs,
      queries::kCountJobsByState,
      queries::kInsertTarget,
      queries::kGetTargetByName,
      queries::kGetTargetById,
      queries::kListTargets,
      queries::kDeleteTarget,
      queries::kUnfinishedDeploymentsOfTarget,
      queries::kClaimTarget,
      queries::kReleaseTarget,
      queries::kInsertDeployment,
      queries::kGetDeployment,
      queries::kDeploymentsOfJob,
      queries::kListDeployments,
      queries::kLaterDeploymentsOfTarget,
      queries::kRecordPrevious,
      queries::kSetDeploymentState,
      queries::kFindVersionByFingerprint,
      queries::kSetUndoRecord,
      queries::kSetFindings,
      queries::kLatestServedLeaf,
      queries::kQueueAuditEvents,
      queries::kLockAuditChainHead,
      queries::kTakeAuditOutbox,
      queries::kAppendAuditEvents,
      queries::kListAuditEvents,
      queries::kScanAuditEvents,
      queries::kGetAuditChainHead,
      queries::kRevocationCandidates,
      queries::kInsertRevocation,
      queries::kFindRevocation,
      queries::kRevocationsByRequestId,
      queries::kRevocationsOfCa,
      queries::kLockCrl,
      queries::kStoreCrl,
      queries::kGetCrl,
      queries::kCasWithDueCrls,
      queries::kRecordNotification,
      queries::kRecordDueCertificateExpiries,
      queries::kRecordDueAuthorityExpiries,
      queries::kInsertWebhookEndpoint,
      queries::kGetWebhookEndpoint,
      queries::kListWebhookEndpoints,
      queries::kDeleteWebhookEndpoint,
      queries::kSubscribedWebhookEndpoints,
      queries::kAddWebhookDeliveries,
      queries::kGetDeliveryToSend,
      queries::kRecordDeliveryAttempt,
      queries::kListWebhookDeliveries,
      queries::kUnfinishedDeliveryJobs,
  };
  return *kAll;
}

}  // namespace certferry::storage
