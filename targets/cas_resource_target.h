#pragma once

// A cloud resource (SLB, CDN, ALB, NLB, WAF, API Gateway, PAI-EAS gateway,
// ...) whose certificate Alibaba Cloud's Certificate Management Service
// deploys: upload the certificate to CAS, create a deployment job for the
// resource, start it and follow it to success or error.
//
// Not thread-safe (see DeployTarget); `cas` must outlive the target.

#include <cstdint>
#include <string>

#include "absl/time/time.h"
#include "cloud/cas_client.h"
#include "targets/deploy_target.h"

namespace certferry::targets {

struct CasResourceTargetConfig {
  // The resource's id in CAS (ListCloudResources' Id).
  int64_t resource_id = 0;
  // CAS requires a contact to notify for every deployment job.
  int64_t contact_id = 0;
  absl::Duration job_timeout = absl::Minutes(10);
  absl::Duration poll_interval = absl::Seconds(2);
};

class CasResourceTarget final : public DeployTarget {
 public:
  CasResourceTarget(const cloud::CasClient& cas, CasResourceTargetConfig config)
      : cas_(cas), config_(config) {}

  // What the resource serves according to CAS: the certificate it has, with
  // its key, or empty. NOT_FOUND when CAS does not list the resource.
  absl::StatusOr<TargetContents> ReadCurrent() override;

  // Deploys `contents` to the resource with a deployment job and waits for
  // the job's end. The certificate is uploaded to CAS as
  // "certferry-<first 16 hex of the leaf's SHA-256>" unless CAS already has
  // an upload of the same leaf (ListUserCertificateOrder), which is reused:
  // redeploying does not use up CAS's certificate quota. FAILED_PRECONDITION
  // for empty contents (a CAS resource always has a certificate), for a job
  // CAS refuses (e.g. "Number of matching certificates is 0") and for a
  // failed worker (with its status); DEADLINE_EXCEEDED when the job outlasts
  // job_timeout. The outcome's output says whether the CAS certificate was
  // reused or uploaded and names it and the job and worker ids.
  absl::StatusOr<ApplyOutcome> Apply(const TargetContents& contents) override;

  // Rolls back the job's worker for this resource (UpdateWorkerResourceStatus
  // "rollback") and waits until CAS reports it rolled back.
  // `undo_record` is "JOB_ID:WORKER_ID" as Apply returned it.
  absl::StatusOr<ApplyOutcome> Undo(const std::string& undo_record) override;

  // Ids of the last successful Apply, for the deployment record.
  int64_t last_cert_id() const { return last_cert_id_; }
  int64_t last_job_id() const { return last_job_id_; }
  int64_t last_worker_id() const { return last_worker_id_; }

 private:
  const cloud::CasClient& cas_;
  CasResourceTargetConfig config_;
  int64_t last_cert_id_ = 0;
  int64_t last_job_id_ = 0;
  int64_t last_worker_id_ = 0;
};

}  // namespace certferry::targets
