#pragma once

#include <string>

#include "absl/time/time.h"
#include "workers/backoff.h"

namespace certferry::workers {

struct WorkerConfig {
  // Jobs run at once by this process; 0 disables the runner.
  int worker_threads = 4;
  // Most jobs claimed in one statement.
  int claim_batch = 64;
  // Jobs claimed ahead of free workers, so that workers never wait for a
  // claim round trip and claims stay large. Claimed jobs keep their lease
  // by heartbeat while they wait. Lower it when jobs are slow and several
  // replicas should share a short queue evenly.
  int prefetch = 64;
  // Claim statements in flight at once. Two overlap one claim's round trip
  // with the next when jobs are short.
  int claimers = 2;
  // How long a claimed job stays ours without a heartbeat; renewed every
  // lease/3 while it runs. A crashed process's jobs return after this.
  absl::Duration lease = absl::Seconds(30);
  // Claim attempts when no notification arrives (covers lost notifications
  // and jobs scheduled for later).
  absl::Duration poll_interval = absl::Seconds(1);
  // How often expired leases of any process are reaped.
  absl::Duration reap_interval = absl::Seconds(5);
  // Completions (with their jobs' effects) are written together, at most
  // this long after the job ends or as soon as `completion_batch` are
  // waiting. 50 ms is unnoticeable to a caller waiting on an operation, and
  // the larger batches cut PostgreSQL's cost per job (issuance throughput
  // +18% over 10 ms on the project machine).
  absl::Duration completion_flush_interval = absl::Milliseconds(50);
  int completion_batch = 512;
  // Transactions recording completions at once. Two let PostgreSQL store a
  // backlog of effects (issued versions) on two cores when the workers'
  // output outpaces one connection.
  int completers = 2;
  // Progress notes are written by a background flush of jobs that have run
  // at least this long, so short jobs cost no extra commit for them.
  absl::Duration progress_flush_interval = absl::Milliseconds(250);
  BackoffPolicy backoff;
  // Identifies this process in lease_owner; empty: hostname-pid-random.
  std::string owner_id;
};

}  // namespace certferry::workers
