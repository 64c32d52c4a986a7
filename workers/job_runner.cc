#include "workers/job_runner.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "storage/audit_repository.h"
#include "storage/job_notifications.h"
#include "workers/backoff.h"

namespace certferry::workers {
namespace {

std::chrono::milliseconds Millis(absl::Duration d) {
  return std::chrono::milliseconds(
      std::max<int64_t>(1, absl::ToInt64Milliseconds(d)));
}

std::string DefaultOwnerId() {
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  absl::BitGen gen;
  return absl::StrFormat("%s-%d-%04x", host, getpid(),
                         absl::Uniform<uint16_t>(gen));
}

}  // namespace

JobRunner::JobRunner(storage::Database& db, SecretString database_url,
                     WorkerConfig config)
    : db_(db),
      database_url_(std::move(database_url)),
      config_(std::move(config)) {
  if (config_.owner_id.empty()) config_.owner_id = DefaultOwnerId();
  config_.claim_batch = std::max(1, config_.claim_batch);
  config_.prefetch = std::max(0, config_.prefetch);
  config_.claimers = std::max(1, config_.claimers);
  config_.completers = std::max(1, config_.completers);
  config_.completion_batch = std::max(1, config_.completion_batch);
}

JobRunner::~JobRunner() { Shutdown(absl::ZeroDuration()); }

void JobRunner::RegisterHandler(const std::string& kind,
                                std::shared_ptr<JobHandler> handler) {
  std::lock_guard<std::mutex> lock(mu_);
  if (handlers_.emplace(kind, std::move(handler)).second) {
    kinds_.push_back(kind);
  }
}

absl::Status JobRunner::Start() {
  std::unique_ptr<storage::JobNotificationListener> listener;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (started_) {
      return absl::FailedPreconditionError("runner already started");
    }
    if (handlers_.empty()) {
      return absl::FailedPreconditionError("no job handlers registered");
    }
  }
  CF_ASSIGN_OR_RETURN(listener,
                      storage::JobNotificationListener::Open(database_url_));
  std::lock_guard<std::mutex> lock(mu_);
  started_ = true;
  listener_ =
      std::thread([this, l = std::shared_ptr<storage::JobNotificationListener>(
                             std::move(listener))] {
        while (true) {
          {
            std::lock_guard<std::mutex> lock(mu_);
            if (stopping_) return;
          }
          if (l->Wait(absl::Milliseconds(200))) {
            std::lock_guard<std::mutex> lock(mu_);
            wake_ = true;
            dispatch_cv_.notify_all();
          }
        }
      });
  for (int i = 0; i < config_.claimers; ++i) {
    dispatchers_.emplace_back([this] { DispatchLoop(); });
  }
  for (int i = 0; i < config_.completers; ++i) {
    completers_.emplace_back([this] { CompleterLoop(); });
  }
  maintenance_ = std::thread([this] { MaintenanceLoop(); });
  for (int i = 0; i < config_.worker_threads; ++i) {
    workers_.emplace_back([this] { WorkerLoop(); });
  }
  LogInfo(absl::StrCat("job runner ", config_.owner_id, " started with ",
                       config_.worker_threads, " workers"));
  return absl::OkStatus();
}

void JobRunner::DispatchLoop() {
  // Claim when the local backlog runs low, up to running + prefetched jobs.
  const int capacity = config_.worker_threads + config_.prefetch;
  const size_t refill_below =
      static_cast<size_t>(std::max(1, config_.worker_threads));
  auto has_room = [&] {
    return busy_ + reserved_ < capacity && pending_.size() < refill_below;
  };
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    const bool woken = dispatch_cv_.wait_for(
        lock, Millis(config_.poll_interval),
        [&] { return stopping_ || (wake_ && has_room()); });
    if (stopping_) return;
    if (!has_room()) continue;
    if (!woken) wake_ = true;  // poll: try once
    wake_ = false;
    const int limit =
        std::min(capacity - busy_ - reserved_, config_.claim_batch);
    reserved_ += limit;
    lock.unlock();
    auto claimed = db_.RunInTransaction<std::vector<storage::ClaimedJob>>(
        "claim_jobs",
        [&](storage::Transaction& tx)
            -> absl::StatusOr<std::vector<storage::ClaimedJob>> {
          CF_ASSIGN_OR_RETURN(
              std::vector<storage::ClaimedJob> jobs,
              storage::JobRepository::Claim(tx, kinds_, config_.owner_id, limit,
                                            config_.lease));
          // Audited kinds record each start (no chain lock otherwise).
          std::vector<storage::NewAuditEvent> events;
          for (const storage::ClaimedJob& job : jobs) {
            if (!IsAudited(job.kind)) continue;
            storage::NewAuditEvent& event = events.emplace_back();
            event.actor = "system";
            event.action = "job.running";
            event.resource = absl::StrCat("operations/", job.id);
            event.outcome = "ok";
            event.summary =
                absl::StrCat(job.kind, ", attempt ", job.attempt, " of ",
                             job.max_attempts, " by ", config_.owner_id);
          }
          CF_RETURN_IF_ERROR(storage::AuditRepository::Append(tx, events));
          return jobs;
        });
    lock.lock();
    reserved_ -= limit;
    if (!claimed.ok()) {
      LogWarning(
          absl::StrCat("claiming jobs failed: ", claimed.status().message()));
      continue;  // retried at the next poll
    }
    for (storage::ClaimedJob& job : *claimed) {
      auto running = std::make_shared<RunningJob>();
      const storage::LeaseRef lease{job.id, job.lease_token};
      RunningJob* raw = running.get();
      running->started = absl::InfiniteFuture();
      running->context = std::make_unique<JobContext>(
          job.id, job.attempt, job.max_attempts, job.payload_json,
          [this, raw](const std::string& note) {
            // Written by FlushProgress if the job is still running then.
            std::lock_guard<std::mutex> guard(mu_);
            raw->progress = note;
          });
      if (job.cancel_requested) running->context->RequestCancel();
      running->job = std::move(job);
      active_[running->job.id] = running;
      pending_.push_back(std::move(running));
      ++busy_;
    }
    claimed_ += static_cast<int64_t>(claimed->size());
    // A full batch suggests more are waiting: claim again when a slot frees.
    if (static_cast<int>(claimed->size()) == limit) wake_ = true;
    work_cv_.notify_all();
  }
}

void JobRunner::WorkerLoop() {
  absl::BitGen random;
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    work_cv_.wait(lock, [&] { return stop_workers_ || !pending_.empty(); });
    if (pending_.empty()) return;  // stop_workers_
    std::shared_ptr<RunningJob> running = std::move(pending_.front());
    pending_.pop_front();
    running->started = absl::Now();
    lock.unlock();
    RunOne(*running, random);
    lock.lock();
    active_.erase(running->job.id);
    --busy_;
    if (wake_ && pending_.size() <
                     static_cast<size_t>(std::max(1, config_.worker_threads))) {
      dispatch_cv_.notify_one();
    }
    if (stopping_) idle_cv_.notify_all();
  }
}

void JobRunner::RunOne(RunningJob& running, absl::BitGen& random) {
  const storage::ClaimedJob& job = running.job;
  std::shared_ptr<JobHandler> handler = handlers_.at(job.kind);
  absl::StatusOr<std::string> result;
  if (running.context->cancel_requested()) {
    result = absl::CancelledError("cancelled before it started");
  } else {
    try {
      result = handler->Run(*running.context);
    } catch (const std::exception& e) {
      result = absl::InternalError(
          absl::StrCat("job handler threw an exception: ", e.what()));
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (running.released) return;  // given back at shutdown
  const storage::LeaseRef lease{job.id, job.lease_token};
  if (result.ok()) {
    std::shared_ptr<JobEffect> effect = running.context->TakeEffect();
    const size_t weight = effect ? std::max<size_t>(1, effect->weight()) : 1;
    successes_.push_back({{lease, *std::move(result)},
                          job.kind,
                          std::move(effect),
                          job.attempt,
                          job.max_attempts,
                          weight});
    pending_weight_ += weight;
    ++succeeded_;
  } else {
    storage::JobFailure failure;
    failure.lease = lease;
    failure.error = std::string(result.status().message());
    failure.error_code = static_cast<int>(result.status().code());
    failure.cancelled = result.status().code() == absl::StatusCode::kCancelled;
    failure.permanent = !failure.cancelled && !IsRetryable(result.status());
    if (failure.cancelled) {
      ++cancelled_;
    } else if (failure.permanent || job.attempt >= job.max_attempts) {
      ++failed_;
    } else {
      failure.retry_delay = RetryDelay(config_.backoff, job.attempt, random);
      ++retried_;
    }
    failures_.push_back(std::move(failure));
    ++pending_weight_;
  }
  if (pending_weight_ >= static_cast<size_t>(config_.completion_batch)) {
    completion_cv_.notify_all();
  }
}

absl::Status JobRunner::CommitSuccesses(
    storage::Transaction& tx, std::vector<Success>& successes,
    std::vector<storage::JobOutcome>& outcomes) {
  std::vector<storage::LeaseRef> with_effects;
  for (const Success& s : successes) {
    if (s.effect != nullptr) with_effects.push_back(s.done.lease);
  }
  if (!with_effects.empty()) {
    CF_ASSIGN_OR_RETURN(std::vector<int64_t> held,
                        storage::JobRepository::LockLeased(tx, with_effects));
    const std::set<int64_t> held_ids(held.begin(), held.end());
    std::map<std::string, std::vector<PendingEffect>> by_kind;
    for (Success& s : successes) {
      // A job whose lease was taken over is neither written nor completed.
      if (s.effect == nullptr || !held_ids.contains(s.done.lease.id)) continue;
      by_kind[s.kind].push_back(
          {s.done.lease.id, s.effect.get(), &s.done.result_json});
    }
    for (auto& [kind, effects] : by_kind) {
      CF_RETURN_IF_ERROR(handlers_.at(kind)->CommitEffects(tx, effects));
    }
  }
  std::vector<storage::JobSuccess> done;
  done.reserve(successes.size());
  for (const Success& s : successes) done.push_back(s.done);
  return storage::JobRepository::CompleteSucceeded(tx, done, &outcomes)
      .status();
}

absl::Status JobRunner::AuditOutcomes(
    storage::Transaction& tx, const std::vector<storage::JobOutcome>& outcomes,
    const std::vector<storage::JobFailure>& failures, bool reaped) {
  std::vector<storage::NewAuditEvent> events;
  for (const storage::JobOutcome& outcome : outcomes) {
    if (!IsAudited(outcome.kind)) continue;
    storage::NewAuditEvent event;
    event.actor = "system";
    // A failed attempt that will be retried is back in the queue.
    event.action =
        model::IsTerminal(outcome.state)
            ? absl::StrCat("job.", model::JobStateName(outcome.state))
            : "job.retrying";
    event.resource = absl::StrCat("operations/", outcome.id);
    event.summary = reaped
                        ? absl::StrCat(outcome.kind, " (worker lease expired)")
                        : outcome.kind;
    event.outcome = "ok";
    if (outcome.state != model::JobState::kSucceeded) {
      auto failure = std::find_if(failures.begin(), failures.end(),
                                  [&](const storage::JobFailure& f) {
                                    return f.lease.id == outcome.id;
                                  });
      const absl::StatusCode code =
          reaped ? absl::StatusCode::kUnavailable
          : failure == failures.end()
              ? absl::StatusCode::kUnknown
              : static_cast<absl::StatusCode>(failure->error_code);
      event.outcome = absl::StatusCodeToString(code);
    }
    events.push_back(std::move(event));
  }
  return storage::AuditRepository::Append(tx, events);
}

bool JobRunner::IsAudited(const std::string& kind) const {
  auto handler = handlers_.find(kind);
  return handler != handlers_.end() && handler->second->audited();
}

storage::JobFailure JobRunner::FailureOfEffect(const Success& success,
                                               const absl::Status& status) {
  thread_local absl::BitGen random;
  storage::JobFailure failure;
  failure.lease = success.done.lease;
  failure.error = std::string(status.message());
  failure.error_code = static_cast<int>(status.code());
  failure.permanent = !IsRetryable(status);
  std::lock_guard<std::mutex> lock(mu_);
  --succeeded_;
  if (failure.permanent || success.attempt >= success.max_attempts) {
    ++failed_;
  } else {
    failure.retry_delay = RetryDelay(config_.backoff, success.attempt, random);
    ++retried_;
  }
  return failure;
}

bool JobRunner::FlushCompletions(bool all) {
  while (true) {
    switch (FlushCompletionChunk()) {
      case ChunkOutcome::kNothing:
        return true;
      case ChunkOutcome::kFailed:
        return false;
      case ChunkOutcome::kCommitted:
        break;
    }
    std::lock_guard<std::mutex> lock(mu_);
    const size_t threshold =
        all ? 1 : static_cast<size_t>(config_.completion_batch);
    if (pending_weight_ < threshold) return true;
  }
}

JobRunner::ChunkOutcome JobRunner::FlushCompletionChunk() {
  std::vector<Success> successes;
  std::vector<storage::JobFailure> failures;
  {
    // Successes up to completion_batch's weight (at least one); the rest
    // go in the next transaction, which the completer starts at once.
    std::lock_guard<std::mutex> lock(mu_);
    size_t weight = 0;
    size_t take = 0;
    while (take < successes_.size() &&
           (take == 0 || weight + successes_[take].weight <=
                             static_cast<size_t>(config_.completion_batch))) {
      weight += successes_[take].weight;
      ++take;
    }
    successes.assign(std::make_move_iterator(successes_.begin()),
                     std::make_move_iterator(successes_.begin() + take));
    successes_.erase(successes_.begin(), successes_.begin() + take);
    failures.swap(failures_);
    pending_weight_ -= weight + failures.size();
  }
  if (successes.empty() && failures.empty()) return ChunkOutcome::kNothing;
  auto commit_all = [&] {
    return db_.RunInTransaction("complete_jobs", [&](storage::Transaction& tx) {
      std::vector<storage::JobOutcome> outcomes;
      CF_RETURN_IF_ERROR(CommitSuccesses(tx, successes, outcomes));
      CF_RETURN_IF_ERROR(
          storage::JobRepository::CompleteFailed(tx, failures, &outcomes)
              .status());
      return AuditOutcomes(tx, outcomes, failures);
    });
  };
  absl::Status status = commit_all();
  if (status.ok()) return ChunkOutcome::kCommitted;
  const bool has_effects =
      std::any_of(successes.begin(), successes.end(),
                  [](const Success& s) { return s.effect != nullptr; });
  if (has_effects && status.code() != absl::StatusCode::kUnavailable) {
    // One job's bad effect must not hold back the rest: commit each job
    // with an effect alone; one that still fails becomes a failed attempt.
    std::vector<Success> plain;
    for (Success& s : successes) {
      if (s.effect == nullptr) {
        plain.push_back(std::move(s));
        continue;
      }
      std::vector<Success> single{s};
      absl::Status alone =
          db_.RunInTransaction("complete_job", [&](storage::Transaction& tx) {
            std::vector<storage::JobOutcome> outcomes;
            CF_RETURN_IF_ERROR(CommitSuccesses(tx, single, outcomes));
            return AuditOutcomes(tx, outcomes, {});
          });
      if (!alone.ok()) {
        LogWarning(
            absl::StrCat("job ", s.done.lease.id,
                         ": storing its result failed: ", alone.message()));
        failures.push_back(FailureOfEffect(s, alone));
      }
    }
    successes = std::move(plain);
    status = commit_all();
    if (status.ok()) return ChunkOutcome::kCommitted;
  }
  LogWarning(absl::StrCat("recording job outcomes failed (will retry): ",
                          status.message()));
  std::lock_guard<std::mutex> lock(mu_);
  for (const Success& s : successes) pending_weight_ += s.weight;
  pending_weight_ += failures.size();
  successes_.insert(successes_.end(), successes.begin(), successes.end());
  failures_.insert(failures_.end(), failures.begin(), failures.end());
  return ChunkOutcome::kFailed;
}

void JobRunner::CompleterLoop() {
  while (true) {
    bool stop = false;
    {
      std::unique_lock<std::mutex> lock(mu_);
      completion_cv_.wait_for(
          lock, Millis(config_.completion_flush_interval), [&] {
            return stop_background_ ||
                   pending_weight_ >=
                       static_cast<size_t>(config_.completion_batch);
          });
      stop = stop_background_;
    }
    const bool flushed = FlushCompletions(/*all=*/stop);
    if (stop) {
      // Last attempts; what still fails is re-run after its lease expires.
      for (int i = 0; i < 3 && !flushed; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if (FlushCompletions(/*all=*/true)) break;
      }
      return;
    }
    if (!flushed) {
      std::this_thread::sleep_for(Millis(config_.poll_interval));
    }
  }
}

void JobRunner::FlushProgress() {
  std::vector<std::pair<storage::LeaseRef, std::string>> notes;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const absl::Time started_before =
        absl::Now() - config_.progress_flush_interval;
    for (const auto& [id, running] : active_) {
      if (running->progress.empty() || running->released ||
          running->started > started_before) {
        continue;
      }
      notes.push_back({{id, running->job.lease_token},
                       std::exchange(running->progress, std::string())});
    }
  }
  if (notes.empty()) return;
  absl::Status status =
      db_.RunInTransaction("set_job_progress", [&](storage::Transaction& tx) {
        for (const auto& [lease, note] : notes) {
          CF_RETURN_IF_ERROR(
              storage::JobRepository::SetProgress(tx, lease, note));
        }
        return absl::OkStatus();
      });
  if (!status.ok()) {
    LogWarning(
        absl::StrCat("recording job progress failed: ", status.message()));
  }
}

void JobRunner::MaintenanceLoop() {
  const absl::Duration renew_every = config_.lease / 3;
  const absl::Duration tick =
      std::min(renew_every, config_.progress_flush_interval);
  absl::Time next_renewal = absl::Now() + renew_every;
  absl::Time next_reap = absl::Now();
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    if (maintenance_cv_.wait_for(lock, Millis(tick),
                                 [&] { return stop_background_; })) {
      return;
    }
    lock.unlock();
    FlushProgress();
    lock.lock();
    if (absl::Now() < next_renewal) continue;
    next_renewal = absl::Now() + renew_every;
    std::vector<storage::LeaseRef> leases;
    for (const auto& [id, running] : active_) {
      if (!running->released) leases.push_back({id, running->job.lease_token});
    }
    lock.unlock();
    auto cancel = db_.RunInTransaction<std::vector<int64_t>>(
        "renew_leases", [&](storage::Transaction& tx) {
          return storage::JobRepository::RenewLeases(tx, config_.owner_id,
                                                     leases, config_.lease);
        });
    int reaped = 0;
    if (absl::Now() >= next_reap) {
      next_reap = absl::Now() + config_.reap_interval;
      auto count = db_.RunInTransaction<int>(
          "reap_expired_leases",
          [&](storage::Transaction& tx) -> absl::StatusOr<int> {
            std::vector<storage::JobOutcome> outcomes;
            CF_ASSIGN_OR_RETURN(
                int count,
                storage::JobRepository::ReapExpiredLeases(tx, 1000, &outcomes));
            CF_RETURN_IF_ERROR(
                AuditOutcomes(tx, outcomes, {}, /*reaped=*/true));
            return count;
          });
      if (count.ok()) {
        reaped = *count;
        if (reaped > 0) {
          LogWarning(absl::StrCat("re-queued ", reaped,
                                  " job(s) whose worker lease expired"));
        }
      }
    }
    lock.lock();
    if (cancel.ok()) {
      for (int64_t id : *cancel) {
        if (auto it = active_.find(id); it != active_.end()) {
          it->second->context->RequestCancel();
        }
      }
    }
    if (reaped > 0) {
      wake_ = true;
      dispatch_cv_.notify_all();
    }
  }
}

void JobRunner::ReleaseJobs(const std::vector<storage::LeaseRef>& leases) {
  if (leases.empty()) return;
  absl::Status status =
      db_.RunInTransaction("release_jobs", [&](storage::Transaction& tx) {
        return storage::JobRepository::Release(tx, leases).status();
      });
  if (!status.ok()) {
    LogWarning(absl::StrCat("giving back ", leases.size(),
                            " job(s) failed; they return when their lease "
                            "expires: ",
                            status.message()));
  }
}

void JobRunner::Shutdown(absl::Duration grace) {
  std::vector<storage::LeaseRef> not_started;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!started_ || stopping_) return;
    stopping_ = true;
    for (const auto& running : pending_) {
      running->released = true;
      not_started.push_back({running->job.id, running->job.lease_token});
      active_.erase(running->job.id);
      --busy_;
    }
    pending_.clear();
    dispatch_cv_.notify_all();
  }
  for (auto& d : dispatchers_) d.join();
  listener_.join();
  ReleaseJobs(not_started);

  std::vector<storage::LeaseRef> still_running;
  {
    std::unique_lock<std::mutex> lock(mu_);
    idle_cv_.wait_for(lock, Millis(grace), [&] { return busy_ == 0; });
    for (auto& [id, running] : active_) {
      running->released = true;
      running->context->RequestCancel();
      still_running.push_back({id, running->job.lease_token});
    }
  }
  ReleaseJobs(still_running);
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_workers_ = true;
    work_cv_.notify_all();
  }
  for (auto& w : workers_) w.join();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_background_ = true;
    completion_cv_.notify_all();
    maintenance_cv_.notify_all();
  }
  for (auto& c : completers_) c.join();
  maintenance_.join();
  LogInfo(absl::StrCat("job runner ", config_.owner_id, " stopped; ",
                       not_started.size() + still_running.size(),
                       " job(s) given back"));
}

JobRunner::Stats JobRunner::stats() const {
  return Stats{claimed_.load(), succeeded_.load(), failed_.load(),
               retried_.load(), cancelled_.load()};
}

}  // namespace certferry::workers
