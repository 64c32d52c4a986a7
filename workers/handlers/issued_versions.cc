#include "workers/handlers/issued_versions.h"

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/status_macros.h"

namespace certferry::workers {

absl::StatusOr<std::vector<std::vector<storage::StoredVersionRef>>>
StoreIssuedVersions(storage::Transaction& tx,
                    const std::vector<VersionsOfJob>& jobs) {
  std::vector<const storage::NewCertificateVersion*> inputs;
  for (const VersionsOfJob& job : jobs) {
    for (const storage::NewCertificateVersion& input : *job.inputs) {
      inputs.push_back(&input);
    }
  }
  CF_ASSIGN_OR_RETURN(std::vector<storage::StoredVersionRef> stored,
                      storage::CertificateRepository::AddVersions(tx, inputs));
  std::vector<std::vector<storage::StoredVersionRef>> per_job;
  per_job.reserve(jobs.size());
  size_t next = 0;
  for (const VersionsOfJob& job : jobs) {
    const std::vector<storage::NewCertificateVersion>& mine = *job.inputs;
    per_job.emplace_back(stored.begin() + next,
                         stored.begin() + next + mine.size());
    for (size_t i = 0; i < mine.size(); ++i) {
      LogInfo(absl::StrCat("issued certificate name=", mine[i].certificate_name,
                           " version=", stored[next + i].version,
                           " sha256=", mine[i].version.sha256_fingerprint,
                           " operation=operations/", job.job_id));
    }
    next += mine.size();
  }
  return per_job;
}

}  // namespace certferry::workers
