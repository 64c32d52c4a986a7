#include "storage/job_repository.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "storage/pg_values.h"
#include "storage/queries/job_queries.h"

namespace certferry::storage {
namespace {

template <typename T, typename F>
std::string ArrayLiteral(const std::vector<T>& items, F field) {
  return absl::StrCat("{",
                      absl::StrJoin(items, ",",
                                    [&](std::string* out, const T& item) {
                                      absl::StrAppend(out, field(item));
                                    }),
                      "}");
}

std::string IdArray(const std::vector<LeaseRef>& leases) {
  return ArrayLiteral(leases, [](const LeaseRef& l) { return l.id; });
}

std::string TokenArray(const std::vector<LeaseRef>& leases) {
  return ArrayLiteral(leases, [](const LeaseRef& l) { return l.lease_token; });
}

// Rows of (id, state, kind) from a completion's RETURNING.
void AppendOutcomes(const pqxx::result& rows,
                    std::vector<JobOutcome>* outcomes) {
  if (outcomes == nullptr) return;
  for (const auto& row : rows) {
    outcomes->push_back({row[0].as<int64_t>(),
                         model::JobStateFromName(row[1].as<std::string>())
                             .value_or(model::JobState::kQueued),
                         row[2].as<std::string>()});
  }
}

std::optional<absl::Time> OptionalMicros(const pqxx::field& field) {
  if (field.is_null()) return std::nullopt;
  return FromEpochMicros(field);
}

model::Job JobFromRow(const pqxx::row& row) {
  model::Job job;
  job.id = row[0].as<int64_t>();
  job.kind = row[1].as<std::string>();
  job.payload_json = row[2].as<std::string>();
  job.state = model::JobStateFromName(row[3].as<std::string>())
                  .value_or(model::JobState::kQueued);
  job.priority = row[4].as<int>();
  job.run_at = FromEpochMicros(row[5]);
  job.attempts = row[6].as<int>();
  job.max_attempts = row[7].as<int>();
  job.lease_owner = row[8].as<std::string>();
  job.cancel_requested = row[9].as<bool>();
  job.progress = row[10].as<std::string>();
  job.last_error = row[11].as<std::string>();
  job.last_error_code = row[12].as<int>();
  job.result_json = row[13].as<std::string>();
  job.idempotency_key = row[14].as<std::string>();
  job.create_time = FromEpochMicros(row[15]);
  job.update_time = FromEpochMicros(row[16]);
  job.start_time = OptionalMicros(row[17]);
  job.finish_time = OptionalMicros(row[18]);
  return job;
}

}  // namespace

absl::StatusOr<EnqueuedJob> JobRepository::Enqueue(Transaction& tx,
                                                   const NewJob& job) {
  pqxx::transaction_base& t = tx.pqxx();
  const pqxx::result inserted = t.exec_prepared(
      queries::kEnqueueJob.name, job.kind, job.payload_json, job.priority,
      job.run_at ? ToTimestampText(*job.run_at) : std::string(),
      job.max_attempts, job.idempotency_key);
  if (!inserted.empty()) {
    return EnqueuedJob{inserted[0][0].as<int64_t>(), true};
  }
  const pqxx::result existing = t.exec_prepared(
      queries::kFindJobByIdempotencyKey.name, job.idempotency_key);
  if (existing.empty()) {
    return absl::AbortedError(
        "enqueue: idempotency key changed concurrently; retry");
  }
  return EnqueuedJob{existing[0][0].as<int64_t>(), false};
}

absl::StatusOr<std::vector<model::Job>> JobRepository::EnqueueMany(
    Transaction& tx, const std::vector<NewJob>& jobs) {
  std::vector<model::Job> queued;
  if (jobs.empty()) return queued;
  std::vector<std::string> kinds;
  std::vector<std::string> payloads;
  std::vector<std::string> max_attempts;
  for (const NewJob& job : jobs) {
    kinds.push_back(job.kind);
    payloads.push_back(job.payload_json);
    max_attempts.push_back(absl::StrCat(job.max_attempts));
  }
  pqxx::transaction_base& t = tx.pqxx();
  const pqxx::result rows = t.exec_prepared(
      queries::kEnqueueJobsBulk.name, ToTextArrayLiteral(kinds),
      ToTextArrayLiteral(payloads), ToTextArrayLiteral(max_attempts));
  if (rows.size() != jobs.size()) {
    return absl::InternalError("enqueue: row count mismatch");
  }
  // What was stored, without reading it back: the insert set only these.
  queued.reserve(jobs.size());
  for (size_t i = 0; i < jobs.size(); ++i) {
    model::Job& job = queued.emplace_back();
    job.id = rows[i][0].as<int64_t>();
    job.kind = jobs[i].kind;
    job.payload_json = jobs[i].payload_json;
    job.state = model::JobState::kQueued;
    job.max_attempts = jobs[i].max_attempts;
    job.create_time = FromEpochMicros(rows[i][1]);
    job.update_time = job.create_time;
    job.run_at = job.create_time;
  }
  return queued;
}

absl::Status JobRepository::NotifyWorkers(Transaction& tx) {
  tx.pqxx().exec_prepared(queries::kNotifyJobs.name);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<ClaimedJob>> JobRepository::Claim(
    Transaction& tx, const std::vector<std::string>& kinds,
    const std::string& owner, int limit, absl::Duration lease) {
  // The claim must walk jobs_ready_idx in order and stop after `limit`
  // rows. Right after a burst of enqueues the table's statistics still say
  // "nearly empty" (autovacuum analyzes a minute later at best), and the
  // planner then prefers a bitmap scan that sorts every queued job on every
  // claim: 5 ms instead of 1 ms per 64 jobs at 20,000 queued. Only for this
  // transaction, those plan shapes are ruled out.
  tx.pqxx().exec0(queries::kClaimPlanSettings);
  const pqxx::result rows = tx.pqxx().exec_prepared(
      queries::kClaimJobs.name, ToTextArrayLiteral(kinds), limit, owner,
      absl::ToInt64Milliseconds(lease));
  std::vector<ClaimedJob> claimed;
  claimed.reserve(rows.size());
  for (const auto& row : rows) {
    ClaimedJob job;
    job.id = row[0].as<int64_t>();
    job.kind = row[1].as<std::string>();
    job.payload_json = row[2].as<std::string>();
    job.attempt = row[3].as<int>();
    job.max_attempts = row[4].as<int>();
    job.lease_token = row[5].as<int64_t>();
    job.cancel_requested = row[6].as<bool>();
    claimed.push_back(std::move(job));
  }
  // UPDATE ... RETURNING does not keep the subquery's order.
  std::sort(
      claimed.begin(), claimed.end(),
      [](const ClaimedJob& a, const ClaimedJob& b) { return a.id < b.id; });
  return claimed;
}

absl::StatusOr<std::vector<int64_t>> JobRepository::RenewLeases(
    Transaction& tx, const std::string& owner,
    const std::vector<LeaseRef>& leases, absl::Duration lease) {
  std::vector<int64_t> cancel_requested;
  if (leases.empty()) return cancel_requested;
  const pqxx::result rows = tx.pqxx().exec_prepared(
      queries::kRenewLeases.name, owner, IdArray(leases), TokenArray(leases),
      absl::ToInt64Milliseconds(lease));
  for (const auto& row : rows) {
    if (row[1].as<bool>()) cancel_requested.push_back(row[0].as<int64_t>());
  }
  return cancel_requested;
}

absl::StatusOr<std::vector<int64_t>> JobRepository::LockLeased(
    Transaction& tx, const std::vector<LeaseRef>& leases) {
  std::vector<int64_t> held;
  if (leases.empty()) return held;
  const pqxx::result rows = tx.pqxx().exec_prepared(
      queries::kLockLeasedJobs.name, IdArray(leases), TokenArray(leases));
  for (const auto& row : rows) held.push_back(row[0].as<int64_t>());
  return held;
}

absl::StatusOr<int> JobRepository::CompleteSucceeded(
    Transaction& tx, const std::vector<JobSuccess>& results,
    std::vector<JobOutcome>* outcomes) {
  if (results.empty()) return 0;
  std::vector<LeaseRef> leases;
  std::vector<std::string> payloads;
  for (const JobSuccess& r : results) {
    leases.push_back(r.lease);
    payloads.push_back(r.result_json.empty() ? "{}" : r.result_json);
  }
  const pqxx::result rows = tx.pqxx().exec_prepared(
      queries::kCompleteJobsSucceeded.name, IdArray(leases), TokenArray(leases),
      ToTextArrayLiteral(payloads));
  AppendOutcomes(rows, outcomes);
  return static_cast<int>(rows.size());
}

absl::StatusOr<int> JobRepository::CompleteFailed(
    Transaction& tx, const std::vector<JobFailure>& failures,
    std::vector<JobOutcome>* outcomes) {
  if (failures.empty()) return 0;
  std::vector<LeaseRef> leases;
  std::vector<std::string> errors;
  for (const JobFailure& f : failures) {
    leases.push_back(f.lease);
    errors.push_back(f.error);
  }
  auto bools = [&](auto member) {
    return ArrayLiteral(
        failures, [&](const JobFailure& f) { return (f.*member) ? "t" : "f"; });
  };
  const pqxx::result rows = tx.pqxx().exec_prepared(
      queries::kCompleteJobsFailed.name, IdArray(leases), TokenArray(leases),
      ArrayLiteral(failures,
                   [](const JobFailure& f) {
                     return absl::ToInt64Milliseconds(f.retry_delay);
                   }),
      ToTextArrayLiteral(errors),
      ArrayLiteral(failures, [](const JobFailure& f) { return f.error_code; }),
      bools(&JobFailure::permanent), bools(&JobFailure::cancelled));
  AppendOutcomes(rows, outcomes);
  return static_cast<int>(rows.size());
}

absl::StatusOr<int> JobRepository::Release(
    Transaction& tx, const std::vector<LeaseRef>& leases) {
  if (leases.empty()) return 0;
  return static_cast<int>(tx.pqxx()
                              .exec_prepared(queries::kReleaseJobs.name,
                                             IdArray(leases),
                                             TokenArray(leases))
                              .size());
}

absl::StatusOr<int> JobRepository::ReapExpiredLeases(
    Transaction& tx, int limit, std::vector<JobOutcome>* outcomes) {
  const pqxx::result rows =
      tx.pqxx().exec_prepared(queries::kReapExpiredLeases.name, limit);
  AppendOutcomes(rows, outcomes);
  return static_cast<int>(rows.size());
}

absl::StatusOr<model::Job> JobRepository::Cancel(Transaction& tx, int64_t id) {
  if (tx.pqxx().exec_prepared(queries::kCancelJob.name, id).empty()) {
    return absl::NotFoundError(absl::StrCat("operation ", id, " not found"));
  }
  return Get(tx, id);
}

absl::Status JobRepository::SetProgress(Transaction& tx, const LeaseRef& lease,
                                        const std::string& progress) {
  tx.pqxx().exec_prepared0(queries::kSetJobProgress.name, lease.id,
                           lease.lease_token, progress);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<model::Job>> JobRepository::GetMany(
    Transaction& tx, const std::vector<int64_t>& ids) {
  std::vector<model::Job> jobs;
  if (ids.empty()) return jobs;
  const pqxx::result rows = tx.pqxx().exec_prepared(
      queries::kGetJobs.name, ArrayLiteral(ids, [](int64_t id) { return id; }));
  for (const auto& row : rows) jobs.push_back(JobFromRow(row));
  return jobs;
}

absl::StatusOr<model::Job> JobRepository::Get(Transaction& tx, int64_t id) {
  const pqxx::result rows = tx.pqxx().exec_prepared(queries::kGetJob.name, id);
  if (rows.empty()) {
    return absl::NotFoundError(absl::StrCat("operation ", id, " not found"));
  }
  return JobFromRow(rows[0]);
}

absl::StatusOr<std::map<model::JobState, int64_t>> JobRepository::CountByState(
    Transaction& tx, const std::string& kind) {
  std::map<model::JobState, int64_t> counts;
  for (const auto& row :
       tx.pqxx().exec_prepared(queries::kCountJobsByState.name, kind)) {
    if (auto state = model::JobStateFromName(row[0].as<std::string>())) {
      counts[*state] = row[1].as<int64_t>();
    }
  }
  return counts;
}

absl::StatusOr<std::vector<model::Job>> JobRepository::List(
    Transaction& tx, const JobListQuery& query) {
  const pqxx::result rows = tx.pqxx().exec_prepared(
      queries::kListJobs.name, query.before_id,
      query.state ? model::JobStateName(*query.state) : "", query.kind,
      query.page_size);
  std::vector<model::Job> jobs;
  jobs.reserve(rows.size());
  for (const auto& row : rows) jobs.push_back(JobFromRow(row));
  return jobs;
}

}  // namespace certferry::storage
