#pragma once

// Finds certificates and built-in CAs that have come within a threshold of
// their notAfter and queues the "certificate.expiring" and
// "certificate_authority.expiring" notices (notify/notifications.h).
//
// Safe with any number of replicas scanning at once: a notice is queued by
// the transaction that inserts it into the ledger (INSERT ... ON CONFLICT
// DO NOTHING), so each (certificate version, threshold) is announced once
// however many scans see it. A certificate first seen with less time left
// than several thresholds gets a notice for each of them (a certificate
// imported with 10 days left: the 30- and 15-day notices); an expired one
// gets none. Thread-safe.

#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "storage/database.h"

namespace certferry::workers {

struct ExpiryScanConfig {
  // Days before notAfter; empty: no notices of that kind.
  std::vector<int> certificate_thresholds_days = {30, 15, 7, 2};
  std::vector<int> authority_thresholds_days = {90, 30, 15, 7, 2};
  // How often Start's thread scans.
  absl::Duration interval = absl::Minutes(15);
  // Notices recorded per transaction.
  int batch = 500;
};

class ExpiryScanner {
 public:
  // `db` and `clock` must outlive the scanner.
  ExpiryScanner(storage::Database& db, const Clock& clock,
                ExpiryScanConfig config)
      : db_(db), clock_(clock), config_(std::move(config)) {}
  ~ExpiryScanner();  // Stop()s

  ExpiryScanner(const ExpiryScanner&) = delete;
  ExpiryScanner& operator=(const ExpiryScanner&) = delete;

  // One pass: records the notices that are due at clock.Now() and not yet
  // in the ledger, and queues their deliveries, `batch` per transaction.
  // Returns how many notices this call recorded. Database errors as
  // storage::Database (what earlier batches recorded stays).
  absl::StatusOr<int> ScanOnce();

  // Scans now and then every `interval` on a thread of its own, logging
  // failures, until Stop(). Call at most once.
  void Start();
  // Stops the thread (waits for a scan in progress). Idempotent.
  void Stop();

 private:
  void Loop();

  storage::Database& db_;
  const Clock& clock_;
  ExpiryScanConfig config_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace certferry::workers
