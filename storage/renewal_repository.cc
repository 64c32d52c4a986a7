#include "storage/renewal_repository.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "storage/pg_values.h"
#include "storage/queries/renewal_queries.h"

namespace certferry::storage {

absl::Status RenewalRepository::SetPolicy(Transaction& tx,
                                          const std::string& certificate_id,
                                          const model::RenewalPolicy& policy) {
  tx.pqxx().exec_prepared0(
      queries::kUpsertRenewalPolicy.name, certificate_id, policy.enabled,
      policy.lifetime_fraction
          ? absl::StrFormat("%.17g", *policy.lifetime_fraction)
          : "",
      policy.days_before_expiry ? absl::StrCat(*policy.days_before_expiry)
                                : "");
  return absl::OkStatus();
}

absl::StatusOr<std::vector<EnqueuedRenewal>> RenewalRepository::EnqueueDue(
    Transaction& tx, const RenewalScan& scan) {
  const pqxx::result rows = tx.pqxx().exec_prepared(
      queries::kEnqueueDueRenewals.name, ToTimestampText(scan.now),
      ToTextArrayLiteral(scan.issuer_kinds), scan.limit, scan.max_attempts,
      scan.job_kind);
  std::vector<EnqueuedRenewal> out;
  out.reserve(rows.size());
  for (const auto& row : rows) {
    out.push_back(
        {row[0].as<int64_t>(), row[1].as<std::string>(), row[2].as<int>()});
  }
  return out;
}

absl::StatusOr<std::vector<model::RenewalRecord>> RenewalRepository::GetRecords(
    Transaction& tx, const std::vector<std::string>& certificate_ids,
    const std::string& job_kind) {
  const pqxx::result rows =
      tx.pqxx().exec_prepared(queries::kGetRenewalRecords.name,
                              ToTextArrayLiteral(certificate_ids), job_kind);
  std::vector<model::RenewalRecord> out;
  out.reserve(rows.size());
  for (const auto& row : rows) {
    model::RenewalRecord& r = out.emplace_back();
    r.certificate_id = row[0].as<std::string>();
    r.latest_version = row[1].as<int>();
    r.issuer_kind = row[2].as<std::string>();
    r.policy.enabled = row[3].as<bool>();
    if (!row[4].is_null()) r.policy.lifetime_fraction = row[4].as<double>();
    if (!row[5].is_null()) r.policy.days_before_expiry = row[5].as<int>();
    r.not_after = FromEpochMicros(row[6]);
    r.due_at = FromEpochMicros(row[7]);
    if (!row[8].is_null()) {
      model::RenewalJobInfo& job = r.job.emplace();
      job.id = row[8].as<int64_t>();
      job.state = model::JobStateFromName(row[9].as<std::string>())
                      .value_or(model::JobState::kQueued);
      job.attempts = row[10].as<int>();
      job.last_error = row[11].as<std::string>();
      job.last_error_code = row[12].as<int>();
      job.run_at = FromEpochMicros(row[13]);
      job.update_time = FromEpochMicros(row[14]);
    }
    if (!row[15].is_null()) {
      r.renewed_by_job_id = row[15].as<int64_t>();
      if (!row[16].is_null()) r.renewed_time = FromEpochMicros(row[16]);
      if (!row[17].is_null()) r.renewed_from_version = row[17].as<int>();
    }
  }
  return out;
}

}  // namespace certferry::storage
