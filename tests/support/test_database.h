#pragma once

// Fresh PostgreSQL databases for tests, on the server CERTFERRY_TEST_DSN
// points at (./scripts/test starts one). Each call creates a new database
// (so tests never see each other's rows) that is dropped when the process
// exits. Without CERTFERRY_TEST_DSN the calling test fails with a message
// saying how to start PostgreSQL; it never silently skips.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "storage/database.h"

namespace certferry::testing {

struct TestDatabase {
  std::string name;  // database name
  std::string dsn;   // libpq keyword/value string for it
};

// Creates an empty database (no migrations applied).
absl::StatusOr<TestDatabase> CreateEmptyTestDatabase();

// Creates a database with every embedded migration applied.
absl::StatusOr<TestDatabase> CreateMigratedTestDatabase();

// Connects a storage::Database to `dsn` with test-friendly settings.
absl::StatusOr<std::unique_ptr<storage::Database>> ConnectTestDatabase(
    const std::string& dsn, int pool_size = 4);

// Runs one SQL statement on `dsn` and returns the first column of the first
// row as text ("" when no rows). For assertions on stored state.
absl::StatusOr<std::string> QueryScalar(const std::string& dsn,
                                        const std::string& sql);

// Runs `sql` (one or more statements, in one transaction) on `dsn` as the
// server's superuser: the same connection parameters with user=postgres
// (./scripts/test's cluster trusts local connections), or the role named
// by CERTFERRY_TEST_SUPERUSER. For tests that must do what certferry's own
// role cannot, such as tampering with the append-only audit log.
absl::Status ExecAsSuperuser(const std::string& dsn, const std::string& sql);

// Drops a database created above, terminating its connections first.
absl::Status DropTestDatabase(const std::string& name);

}  // namespace certferry::testing
