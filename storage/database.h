#pragma once

// Database owns a small pool of PostgreSQL connections and runs transactions
// on them. It is the only place libpqxx exceptions become absl::Status (see
// StatusFromDatabaseError). Thread-safe; each connection is used by one
// thread at a time.

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/database_config.h"
#include "storage/transaction.h"

namespace pqxx {
class connection_base;
}  // namespace pqxx

namespace certferry::storage {

class Database {
 public:
  // Opens one connection to check the URL works. UNAVAILABLE if the server
  // cannot be reached; INVALID_ARGUMENT for a malformed URL. The message
  // never contains the password.
  static absl::StatusOr<std::unique_ptr<Database>> Connect(
      DatabaseConfig config);

  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs `body` in a READ COMMITTED transaction and commits if it returns
  // OK; rolls back and returns its status otherwise. Serialization failures
  // and deadlocks re-run the whole body (so it must be re-runnable). `name`
  // labels errors and logs. Database errors map as StatusFromDatabaseError.
  absl::Status RunInTransaction(
      absl::string_view name,
      const std::function<absl::Status(Transaction&)>& body);

  template <typename T>
  absl::StatusOr<T> RunInTransaction(
      absl::string_view name,
      const std::function<absl::StatusOr<T>(Transaction&)>& body) {
    return RunForValue<T>(name, /*autocommit=*/false, body);
  }

  // Runs `body` in autocommit mode: each statement is its own transaction,
  // saving the BEGIN and COMMIT round trips. For a single read statement,
  // whose result is the same either way. Errors and retries as above.
  absl::Status RunAutocommit(
      absl::string_view name,
      const std::function<absl::Status(Transaction&)>& body);

  template <typename T>
  absl::StatusOr<T> RunAutocommit(
      absl::string_view name,
      const std::function<absl::StatusOr<T>(Transaction&)>& body) {
    return RunForValue<T>(name, /*autocommit=*/true, body);
  }

  // Runs `body` with a dedicated connection outside any transaction (for
  // session-level work such as advisory locks and migrations).
  absl::Status WithConnection(
      absl::string_view name,
      const std::function<absl::Status(pqxx::connection_base&)>& body);

  // OK when a connection answers `SELECT 1` within the acquire timeout.
  absl::Status Ping();

 private:
  explicit Database(DatabaseConfig config);

  struct Connection;  // wraps pqxx::connection, defined in database.cc

  absl::StatusOr<std::unique_ptr<Connection>> Acquire();
  void Release(std::unique_ptr<Connection> conn);
  absl::StatusOr<std::unique_ptr<Connection>> OpenConnection();
  absl::Status Run(absl::string_view name, bool autocommit,
                   const std::function<absl::Status(Transaction&)>& body);

  template <typename T>
  absl::StatusOr<T> RunForValue(
      absl::string_view name, bool autocommit,
      const std::function<absl::StatusOr<T>(Transaction&)>& body) {
    std::optional<T> result;
    absl::Status status =
        Run(name, autocommit, [&](Transaction& tx) -> absl::Status {
          absl::StatusOr<T> value = body(tx);
          if (!value.ok()) return value.status();
          result = *std::move(value);
          return absl::OkStatus();
        });
    if (!status.ok()) return status;
    return *std::move(result);
  }

  DatabaseConfig config_;
  std::mutex mu_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Connection>> idle_;
  int open_count_ = 0;  // idle + in use
};

// Maps an exception thrown by libpqxx (or the standard library inside a
// transaction body) to a Status, per STYLE.md §4. The message names the
// operation and the SQLSTATE, never statement parameters.
absl::Status StatusFromDatabaseError(const std::exception& error,
                                     absl::string_view operation);

}  // namespace certferry::storage
