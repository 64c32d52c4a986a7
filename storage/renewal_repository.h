#pragma once

// Renewal policies, the renewal scheduler's enqueueing of due versions and
// what the API shows of a certificate's renewal (see migration 0014). Every
// method runs in the caller's Transaction. Stateless and thread-safe.
//
// A renewal job's idempotency key is "renew:<certificate id>:v<version>":
// there is at most one renewal job per certificate version, ever.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "model/renewal.h"
#include "storage/transaction.h"

namespace certferry::storage {

struct RenewalScan {
  absl::Time now;  // versions due at or before this instant
  // Only versions issued by these kinds of issuer (those this process can
  // renew).
  std::vector<std::string> issuer_kinds;
  int limit = 100;
  std::string job_kind;
  int max_attempts = 1;
};

struct EnqueuedRenewal {
  int64_t job_id = 0;
  std::string certificate_id;
  int version = 0;
};

class RenewalRepository {
 public:
  // Creates or replaces the policy of certificate `certificate_id`. The
  // caller validates it; the table's checks (a fraction in (0, 1), days >
  // 0, not both) and a missing certificate fail as FAILED_PRECONDITION.
  static absl::Status SetPolicy(Transaction& tx,
                                const std::string& certificate_id,
                                const model::RenewalPolicy& policy);

  // Enqueues one renewal job (payload model::RenewJobPayload) for each of up
  // to scan.limit certificates whose latest version is due at scan.now,
  // unexpired, from one of scan.issuer_kinds, with its policy enabled and no
  // renewal job yet; soonest expiry first. Returns the jobs this call
  // created (fewer than the due versions when another scheduler created
  // some concurrently). Wakes no workers (see JobRepository::Enqueue).
  static absl::StatusOr<std::vector<EnqueuedRenewal>> EnqueueDue(
      Transaction& tx, const RenewalScan& scan);

  // The renewal records of these certificates (ids must be UUIDs), in the
  // same order; unknown ids are left out. `job_kind` is the renewal jobs'
  // kind.
  static absl::StatusOr<std::vector<model::RenewalRecord>> GetRecords(
      Transaction& tx, const std::vector<std::string>& certificate_ids,
      const std::string& job_kind);
};

}  // namespace certferry::storage
