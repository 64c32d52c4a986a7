#pragma once

// Storing the versions that issuing jobs (issuance, batch issuance,
// renewal) signed, from their handlers' CommitEffects: every job's versions
// in one AddVersions call, each logged. Stateless.

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "storage/certificate_repository.h"
#include "storage/transaction.h"

namespace certferry::workers {

// The versions one job signed, in job order.
struct VersionsOfJob {
  int64_t job_id = 0;
  const std::vector<storage::NewCertificateVersion>* inputs = nullptr;
};

// Stores the versions of `jobs` in `tx` (storage::CertificateRepository::
// AddVersions); returns, per job, the stored (certificate id, version) of
// each of its versions, in order.
absl::StatusOr<std::vector<std::vector<storage::StoredVersionRef>>>
StoreIssuedVersions(storage::Transaction& tx,
                    const std::vector<VersionsOfJob>& jobs);

}  // namespace certferry::workers
