#include "service/group_enqueuer.h"

#include <map>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "service/operation_api.h"
#include "service/validation.h"
#include "storage/request_id_repository.h"

namespace certferry::service {

GroupEnqueuer::GroupEnqueuer(storage::Database& db, int max_batch)
    : db_(db), max_batch_(std::max(1, max_batch)) {}

absl::StatusOr<model::Job> GroupEnqueuer::Enqueue(Request request) {
  Pending pending{std::move(request), std::nullopt};
  std::unique_lock<std::mutex> lock(mu_);
  waiting_.push_back(&pending);
  while (!pending.result.has_value()) {
    if (leader_) {
      cv_.wait(lock);
      continue;
    }
    // Lead: commit batches until this call's own is done, then let a
    // waiting call lead the rest.
    leader_ = true;
    while (!pending.result.has_value()) {
      std::vector<Pending*> batch = TakeBatch();
      lock.unlock();
      std::vector<absl::StatusOr<model::Job>> results = RunBatch(batch);
      lock.lock();  // results are published under the lock waiters read
      for (size_t i = 0; i < batch.size(); ++i) {
        batch[i]->result = std::move(results[i]);
      }
      cv_.notify_all();
    }
    leader_ = false;
    cv_.notify_all();
  }
  return *std::move(pending.result);
}

std::vector<GroupEnqueuer::Pending*> GroupEnqueuer::TakeBatch() {
  std::vector<Pending*> batch;
  std::set<std::string> request_ids;
  for (auto it = waiting_.begin();
       it != waiting_.end() && static_cast<int>(batch.size()) < max_batch_;) {
    const std::string& id = (*it)->request.request_id;
    // A repeated id waits for the next batch, which then sees the first
    // one's record.
    if (!id.empty() && !request_ids.insert(id).second) {
      ++it;
      continue;
    }
    batch.push_back(*it);
    it = waiting_.erase(it);
  }
  return batch;
}

std::vector<absl::StatusOr<model::Job>> GroupEnqueuer::RunBatch(
    const std::vector<Pending*>& batch) {
  std::vector<std::optional<absl::StatusOr<model::Job>>> results(batch.size());
  absl::Status status;
  // A request_id recorded by a concurrent transaction between our check and
  // our insert aborts the batch; the next try sees that record.
  for (int attempt = 0; attempt < 3; ++attempt) {
    status = RunBatchOnce(batch, results);
    if (status.code() != absl::StatusCode::kAborted) break;
  }
  std::vector<absl::StatusOr<model::Job>> out;
  out.reserve(batch.size());
  for (auto& result : results) {
    if (!status.ok()) {
      out.push_back(status);
    } else if (!result.has_value()) {
      out.push_back(absl::InternalError("enqueue: no result recorded"));
    } else {
      out.push_back(*std::move(result));
    }
  }
  return out;
}

absl::Status GroupEnqueuer::RunBatchOnce(
    const std::vector<Pending*>& batch,
    std::vector<std::optional<absl::StatusOr<model::Job>>>& results) {
  absl::Status status = db_.RunInTransaction(
      "enqueue_jobs", [&](storage::Transaction& tx) -> absl::Status {
        for (auto& result : results) result.reset();
        std::vector<std::string> request_ids;
        for (const Pending* p : batch) {
          if (!p->request.request_id.empty()) {
            request_ids.push_back(p->request.request_id);
          }
        }
        CF_ASSIGN_OR_RETURN(
            auto earlier,
            storage::RequestIdRepository::FindMany(tx, request_ids));

        std::vector<storage::NewJob> jobs;
        std::vector<size_t> new_items;
        std::vector<int64_t> replayed_ids;
        std::vector<size_t> replayed_items;
        for (size_t i = 0; i < batch.size(); ++i) {
          const Request& r = batch[i]->request;
          auto found =
              r.request_id.empty() ? earlier.end() : earlier.find(r.request_id);
          if (found == earlier.end()) {
            jobs.push_back(r.job);
            new_items.push_back(i);
            continue;
          }
          const storage::RequestRecord& record = found->second;
          int64_t job_id = 0;
          if (absl::Status same =
                  CheckSameRequest(record, r.method, r.request_sha256);
              !same.ok()) {
            results[i] = same;
          } else if (!absl::SimpleAtoi(record.resource_id, &job_id)) {
            results[i] = absl::InternalError("request_id: bad stored record");
          } else {
            replayed_ids.push_back(job_id);
            replayed_items.push_back(i);
          }
        }

        CF_ASSIGN_OR_RETURN(std::vector<model::Job> queued,
                            storage::JobRepository::EnqueueMany(tx, jobs));
        std::vector<storage::RequestIdRepository::CompletedRequest> records;
        std::vector<storage::NewAuditEvent> audit_events;
        for (size_t k = 0; k < new_items.size(); ++k) {
          const Request& r = batch[new_items[k]]->request;
          if (!r.request_id.empty()) {
            records.push_back({r.request_id, r.method, r.request_sha256,
                               absl::StrCat(queued[k].id), 0});
          }
          if (r.audit) {
            audit_events.push_back(*r.audit);
            absl::StrAppend(&audit_events.back().summary, " ",
                            OperationApi::OperationName(queued[k].id));
          }
          results[new_items[k]] = std::move(queued[k]);
        }
        CF_ASSIGN_OR_RETURN(
            int recorded,
            storage::RequestIdRepository::RecordMany(tx, records));
        if (recorded != static_cast<int>(records.size())) {
          return absl::AbortedError(
              "request_id: recorded concurrently; retry the batch");
        }

        CF_ASSIGN_OR_RETURN(std::vector<model::Job> replayed,
                            storage::JobRepository::GetMany(tx, replayed_ids));
        std::map<int64_t, model::Job> by_id;
        for (model::Job& job : replayed) by_id[job.id] = std::move(job);
        for (size_t k = 0; k < replayed_items.size(); ++k) {
          auto it = by_id.find(replayed_ids[k]);
          if (it == by_id.end()) {
            results[replayed_items[k]] = absl::InternalError(
                "request_id: the recorded job no longer exists");
          } else {
            results[replayed_items[k]] = it->second;
          }
        }
        // Last: the chain head's lock is held until commit.
        return storage::AuditRepository::Append(tx, audit_events);
      });
  return status;
}

}  // namespace certferry::service
