#pragma once

// LISTENs for "jobs were enqueued" notifications on its own connection, so
// idle workers wake at once instead of waiting for their next poll. Not
// thread-safe: one thread calls Wait.

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/secret_string.h"
#include "storage/database.h"

namespace certferry::storage {

class JobNotificationListener {
 public:
  // UNAVAILABLE if the database cannot be reached.
  static absl::StatusOr<std::unique_ptr<JobNotificationListener>> Open(
      const SecretString& url);
  ~JobNotificationListener();

  // Blocks up to `timeout`; true if at least one notification arrived. On a
  // broken connection it reconnects (on a later call) and returns false, so
  // callers that also poll lose nothing.
  bool Wait(absl::Duration timeout);

 private:
  struct State;
  explicit JobNotificationListener(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// Sends the "jobs were enqueued" notification after the enqueuing
// transaction has committed, from its own thread. A NOTIFY inside the
// enqueuing transaction would serialise every such commit on PostgreSQL's
// notify-queue lock (no group commit), capping enqueue throughput at one
// WAL flush per job. Calls coalesce: while one notification is being sent,
// any number of calls cause exactly one more. Thread-safe.
class JobNotifier {
 public:
  // `db` must outlive the notifier.
  explicit JobNotifier(Database& db);
  ~JobNotifier();

  JobNotifier(const JobNotifier&) = delete;
  JobNotifier& operator=(const JobNotifier&) = delete;

  // Call after the transaction that enqueued jobs committed. Never blocks
  // on the database; a failed send is logged and workers find the jobs at
  // their next poll.
  void JobsEnqueued();

  // Notifications sent so far (after coalescing).
  int64_t sent() const;

 private:
  void Loop();

  Database& db_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool pending_ = false;
  bool stopping_ = false;
  int64_t sent_ = 0;
  std::thread thread_;
};

}  // namespace certferry::storage
