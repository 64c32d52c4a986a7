#include "storage/sql_statement.h"

#include "storage/queries/audit_queries.h"
#include "storage/queries/certificate_authority_queries.h"
#include "storage/queries/certificate_queries.h"
#include "storage/queries/deployment_queries.h"
#include "storage/queries/job_queries.h"
#include "storage/queries/renewal_queries.h"
#include "storage/queries/request_id_queries.h"

namespace certferry::storage {

const std::vector<SqlStatement>& AllSqlStatements() {
  static const auto* const kAll = new std::vector<SqlStatement>{
      queries::kInsertPrivateKey,
      queries::kAddVersionsBulk,
      queries::kGetCertificate,
      queries::kListCertificates,
      queries::kListCertificatesByExpiry,
      queries::kGetVersionKeyId,
      queries::kGetPrivateKeyById,
      queries::kFindVersionByJob,
      queries::kGetIssuance,
      queries::kLockLatestVersion,
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
      queries::kTargetsServingLeaf,
      queries::kQueueAuditEvents,
      queries::kLockAuditChainHead,
      queries::kTakeAuditOutbox,
      queries::kAppendAuditEvents,
      queries::kListAuditEvents,
      queries::kScanAuditEvents,
      queries::kGetAuditChainHead,
      queries::kUpsertRenewalPolicy,
      queries::kEnqueueDueRenewals,
      queries::kGetRenewalRecords,
  };
  return *kAll;
}

}  // namespace certferry::storage
