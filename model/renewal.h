#pragma once

// Renewal as plain values shared by storage/, workers/ and service/: how an
// issued version was issued, a certificate's renewal policy, the payload and
// result of the "renew_certificate" job kind, and what storage knows about
// a certificate's renewal. No I/O, no secrets.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "model/job.h"

namespace certferry::model {

// The job kind that renews a version (workers::RenewCertificateHandler).
inline constexpr char kRenewJobKind[] = "renew_certificate";

// Issuer kinds stored with issued versions (certificate_versions.
// issuer_kind); renewal asks the issuer of that kind for the successor.
inline constexpr char kBuiltInCaIssuer[] = "builtin_ca";

// How an issued version was issued: enough for its issuer to issue the next
// one. For kBuiltInCaIssuer, params_json is an IssueJobPayload.
struct IssuanceRecord {
  std::string issuer_kind;
  std::string params_json;
};

// When a certificate's versions are renewed. Neither a fraction nor days:
// two thirds of the lifetime. Days not shorter than a version's lifetime
// fall back to two thirds (storage's renewal_due_at decides).
struct RenewalPolicy {
  bool enabled = true;
  std::optional<double> lifetime_fraction;  // (0, 1)
  std::optional<int> days_before_expiry;    // > 0
};

// Payload of a "renew_certificate" job: renew version `version` of
// certificate `certificate_id`.
struct RenewJobPayload {
  std::string certificate_id;
  int version = 0;
};

// Result of a "renew_certificate" job.
struct RenewJobResult {
  std::string certificate_id;
  int renewed_from = 0;
  // The new version; 0 when the job found `renewed_from` superseded (a
  // newer version was stored meanwhile) and issued nothing.
  int version = 0;
  struct Deploy {
    std::string target;  // name
    int64_t deployment_id = 0;
    int64_t job_id = 0;  // its operation
  };
  // Where the new version is being deployed: every target that served the
  // version it renews.
  std::vector<Deploy> deployments;
};

std::string ToJson(const RenewJobPayload& payload);
std::string ToJson(const RenewJobResult& result);
// INVALID_ARGUMENT naming what is missing or malformed.
absl::StatusOr<RenewJobPayload> ParseRenewJobPayload(absl::string_view json);
absl::StatusOr<RenewJobResult> ParseRenewJobResult(absl::string_view json);

// The renewal job of a certificate version, as the status shows it.
struct RenewalJobInfo {
  int64_t id = 0;
  JobState state = JobState::kQueued;
  int attempts = 0;
  std::string last_error;
  int last_error_code = 0;
  absl::Time run_at;       // the next attempt, while queued
  absl::Time update_time;  // the last change (an attempt's end)
};

// What storage knows about one certificate's renewal.
struct RenewalRecord {
  std::string certificate_id;
  RenewalPolicy policy;
  int latest_version = 0;
  // Of the latest version: its issuer (empty: imported), expiry and
  // renewal time under the policy.
  std::string issuer_kind;
  absl::Time not_after;
  absl::Time due_at;
  // The renewal job of the latest version, once the scheduler created it.
  std::optional<RenewalJobInfo> job;
  // When renewal issued the latest version: the job that did (0: it was
  // not renewal), when it finished and the version it renewed.
  int64_t renewed_by_job_id = 0;
  absl::Time renewed_time;
  int renewed_from_version = 0;
};

}  // namespace certferry::model
