#pragma once

// Forward-only schema migrations, embedded from storage/migrations/*.sql at
// build time. A migration never edits an earlier one.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace certferry::storage {

class Database;

struct Migration {
  int version;       // from the NNNN prefix of the file name
  std::string name;  // the rest of the file name, without .sql
  std::string sql;
};

// All migrations built into this binary, ordered by version.
const std::vector<Migration>& EmbeddedMigrations();

struct MigrationReport {
  std::vector<int> applied;        // versions applied by this call
  int current_version = 0;         // highest version recorded afterwards
  bool database_is_newer = false;  // it has versions this binary lacks
};

// Applies every migration in `migrations` that the database has not
// recorded, each in its own transaction, recording it in schema_migrations.
// A session-level advisory lock serialises concurrent callers (replicas
// starting together), so each migration runs exactly once.
// FAILED_PRECONDITION if a recorded migration's SQL differs from the
// embedded one (someone edited an applied migration); the database error of
// a failing migration otherwise, with that migration rolled back.
absl::StatusOr<MigrationReport> ApplyMigrations(
    Database& db, const std::vector<Migration>& migrations);

}  // namespace certferry::storage
