#include "targets/cas_resource_target.h"

#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "cloud/api_error.h"
#include "common/status_macros.h"
#include "targets/file_target.h"

namespace certferry::targets {
namespace {

absl::Status WithContext(const absl::Status& status, absl::string_view what) {
  return absl::Status(status.code(),
                      absl::StrCat(what, ": ", status.message()));
}

// The CAS certificate a deployment job deploys.
struct CasCertificate {
  int64_t id = 0;
  std::string name;
  bool reused = false;  // already in CAS, not uploaded by this Apply
};

// An uploaded CAS certificate whose leaf is `leaf_sha256` and whose name
// contains `keyword`, or nullopt.
absl::StatusOr<std::optional<CasCertificate>> FindUploaded(
    const cloud::CasClient& cas, const std::string& keyword,
    const std::string& leaf_sha256) {
  constexpr int64_t kPageSize = 50;
  cloud::ListUserCertificateOrderRequest request;
  request.order_type = "UPLOAD";
  request.keyword = keyword;
  request.show_size = kPageSize;
  for (int64_t page = 1;; ++page) {
    request.current_page = page;
    absl::StatusOr<cloud::ListUserCertificateOrderResponse> listed =
        cas.ListUserCertificateOrder(request);
    if (!listed.ok()) {
      return WithContext(listed.status(),
                         "looking for the certificate among CAS uploads");
    }
    for (const cloud::CertificateOrder& order :
         listed->certificate_order_list) {
      // CAS's hex case is not documented.
      if (order.certificate_id != 0 &&
          absl::EqualsIgnoreCase(order.sha2, leaf_sha256)) {
        return CasCertificate{order.certificate_id, order.name, true};
      }
    }
    if (listed->certificate_order_list.empty() ||
        page * kPageSize >= listed->total_count) {
      return std::nullopt;
    }
  }
}

// CAS's answer when an upload's name is taken.
bool IsNameRepeat(const absl::Status& status) {
  std::optional<cloud::ApiError> error = cloud::GetApiError(status);
  return error.has_value() && error->code == "NameRepeat";
}

// The CAS certificate for `contents`: an earlier upload of the same leaf
// when CAS has one, else a new upload. Uploads are named after the leaf, so
// redeploying a certificate neither uploads it again nor uses up the
// account's certificate quota.
absl::StatusOr<CasCertificate> UploadedCertificate(
    const cloud::CasClient& cas, const TargetContents& contents) {
  const std::string leaf = LeafSha256(contents.chain_pem);
  const std::string name = absl::StrCat("certferry-", leaf.substr(0, 16));
  if (!leaf.empty()) {
    CF_ASSIGN_OR_RETURN(std::optional<CasCertificate> found,
                        FindUploaded(cas, name, leaf));
    if (found) return *found;
  }
  cloud::UploadUserCertificateRequest upload;
  upload.name = name;
  upload.cert = contents.chain_pem;
  upload.key = contents.private_key_pem;
  absl::StatusOr<cloud::UploadUserCertificateResponse> uploaded =
      cas.UploadUserCertificate(upload);
  if (IsNameRepeat(uploaded.status())) {
    // Most likely a deployment to another resource uploaded the same
    // certificate since we looked; else a certificate with the same
    // fingerprint prefix holds the name and the time makes ours unique.
    if (!leaf.empty()) {
      CF_ASSIGN_OR_RETURN(std::optional<CasCertificate> found,
                          FindUploaded(cas, name, leaf));
      if (found) return *found;
    }
    upload.name = absl::StrCat(name, "-", absl::ToUnixMillis(absl::Now()));
    uploaded = cas.UploadUserCertificate(upload);
  }
  if (!uploaded.ok()) {
    return WithContext(uploaded.status(), "uploading the certificate to CAS");
  }
  return CasCertificate{uploaded->cert_id, upload.name, false};
}

}  // namespace

absl::StatusOr<TargetContents> CasResourceTarget::ReadCurrent() {
  cloud::ListCloudResourcesRequest request;
  request.show_size = 100;
  for (int32_t page = 1;; ++page) {
    request.current_page = page;
    absl::StatusOr<cloud::ListCloudResourcesResponse> listed =
        cas_.ListCloudResources(request);
    if (!listed.ok()) {
      return WithContext(listed.status(), "listing CAS cloud resources");
    }
    for (const cloud::CloudResource& resource : listed->data) {
      if (resource.id != config_.resource_id) continue;
      TargetContents contents;
      if (resource.cert_id == 0) return contents;  // empty
      absl::StatusOr<cloud::UserCertificateDetail> detail =
          cas_.GetUserCertificateDetail(resource.cert_id);
      if (!detail.ok()) {
        return WithContext(
            detail.status(),
            absl::StrCat("reading CAS certificate ", resource.cert_id));
      }
      contents.empty = false;
      contents.chain_pem = detail->cert;
      contents.private_key_pem = detail->key;
      contents.leaf_sha256 = LeafSha256(detail->cert);
      return contents;
    }
    if (listed->data.empty() ||
        static_cast<int64_t>(page) * 100 >= listed->total) {
      break;
    }
  }
  return absl::NotFoundError(
      absl::StrCat("CAS lists no cloud resource ", config_.resource_id,
                   "; check the resource id with ListCloudResources"));
}

absl::StatusOr<ApplyOutcome> CasResourceTarget::Apply(
    const TargetContents& contents) {
  if (contents.empty || contents.chain_pem.empty()) {
    return absl::FailedPreconditionError(
        "a CAS resource always has a certificate; deploy another one instead "
        "of removing it");
  }
  CF_ASSIGN_OR_RETURN(const CasCertificate cert,
                      UploadedCertificate(cas_, contents));

  cloud::CreateDeploymentJobRequest create;
  create.name = absl::StrCat("certferry-", config_.resource_id, "-", cert.id);
  create.job_type = "user";
  create.cert_ids = {cert.id};
  create.resource_ids = {config_.resource_id};
  create.contact_ids = {config_.contact_id};
  absl::StatusOr<int64_t> job = cas_.CreateDeploymentJob(create);
  if (!job.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("CAS refused the deployment job for resource ",
                     config_.resource_id, ": ", job.status().message()));
  }
  CF_RETURN_IF_ERROR(cas_.UpdateDeploymentJobStatus(*job, "scheduling"));

  const absl::Time deadline = absl::Now() + config_.job_timeout;
  std::string status;
  while (true) {
    absl::StatusOr<cloud::DeploymentJob> described =
        cas_.DescribeDeploymentJob(*job);
    if (!described.ok()) {
      return WithContext(described.status(),
                         absl::StrCat("following CAS deployment job ", *job));
    }
    status = described->status;
    if (status == "success" || status == "error") break;
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("CAS deployment job ", *job, " is still ", status,
                       " after ", absl::FormatDuration(config_.job_timeout)));
    }
    absl::SleepFor(config_.poll_interval);  // polling a remote job
  }
  cloud::ListWorkerResourceRequest workers;
  workers.job_id = *job;
  absl::StatusOr<cloud::ListWorkerResourceResponse> listed =
      cas_.ListWorkerResource(workers);
  int64_t worker_id = 0;
  std::string worker_status;
  if (listed.ok()) {
    for (const cloud::WorkerResource& w : listed->data) {
      if (w.resource_id == config_.resource_id) {
        worker_id = w.id;
        worker_status = w.status;
      }
    }
  }
  const std::string ids = absl::StrCat(
      cert.reused ? "reused" : "uploaded", " CAS certificate ", cert.id, " (",
      cert.name, "), job ", *job, ", worker ", worker_id);
  if (status != "success") {
    return absl::FailedPreconditionError(absl::StrCat(
        "CAS deployment job ", *job, " ended in error (worker ", worker_id,
        ": ", worker_status.empty() ? "unknown" : worker_status, "); ", ids));
  }
  last_cert_id_ = cert.id;
  last_job_id_ = *job;
  last_worker_id_ = worker_id;
  return ApplyOutcome{ids, absl::StrCat(*job, ":", worker_id)};
}

absl::StatusOr<ApplyOutcome> CasResourceTarget::Undo(
    const std::string& undo_record) {
  std::vector<std::string> parts = absl::StrSplit(undo_record, ':');
  int64_t job = 0, worker = 0;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &job) ||
      !absl::SimpleAtoi(parts[1], &worker) || worker == 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "no CAS worker recorded for this deployment ('", undo_record, "')"));
  }
  absl::Status requested =
      cas_.UpdateWorkerResourceStatus(job, worker, "rollback");
  if (!requested.ok()) {
    return WithContext(requested, absl::StrCat("rolling back CAS worker ",
                                               worker, " of job ", job));
  }
  const absl::Time deadline = absl::Now() + config_.job_timeout;
  while (true) {
    cloud::ListWorkerResourceRequest request;
    request.job_id = job;
    absl::StatusOr<cloud::ListWorkerResourceResponse> listed =
        cas_.ListWorkerResource(request);
    if (!listed.ok()) {
      return WithContext(listed.status(),
                         absl::StrCat("following CAS job ", job));
    }
    std::string status;
    for (const cloud::WorkerResource& w : listed->data) {
      if (w.id == worker) status = w.status;
    }
    if (status == "rollback_success") {
      return ApplyOutcome{
          absl::StrCat("CAS worker ", worker, " of job ", job, " rolled back"),
          ""};
    }
    if (status == "rollback_error" || status.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "CAS could not roll back worker ", worker, " of job ", job, " (",
          status.empty() ? "worker not found" : status, ")"));
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("CAS worker ", worker, " is still ", status, " after ",
                       absl::FormatDuration(config_.job_timeout)));
    }
    absl::SleepFor(config_.poll_interval);  // polling a remote job
  }
}

}  // namespace certferry::targets
