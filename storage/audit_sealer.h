#pragma once

// Moves queued audit events into the hash chain in the background (see
// AuditRepository), so the chain keeps up without any request waiting for
// it. Several replicas may each run one: sealing takes the chain head's
// lock, so they take turns.

#include <condition_variable>
#include <mutex>
#include <thread>

#include "absl/time/time.h"
#include "storage/database.h"

namespace certferry::storage {

class AuditSealer {
 public:
  // `db` must outlive this object. Starts sealing every `interval`.
  AuditSealer(Database& db, absl::Duration interval = absl::Milliseconds(200));
  // Stops after a last round.
  ~AuditSealer();

  AuditSealer(const AuditSealer&) = delete;
  AuditSealer& operator=(const AuditSealer&) = delete;

 private:
  void Loop();

  Database& db_;
  const absl::Duration interval_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace certferry::storage
