#include "storage/migrations.h"

#include <algorithm>
#include <map>
#include <pqxx/pqxx>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/log.h"
#include "storage/database.h"

namespace certferry::storage {
namespace {

// Arbitrary constant shared by every certferry process ("certferry" in hex,
// truncated): the session advisory lock that serialises migrations.
constexpr int64_t kMigrationLockKey = 0x6365727466657272;

constexpr char kCreateMigrationsTable[] = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  version     integer PRIMARY KEY,
  name        text NOT NULL,
  sha256      text NOT NULL,
  applied_at  timestamptz NOT NULL DEFAULT now()
))sql";

constexpr char kSelectApplied[] =
    "SELECT version, sha256 FROM schema_migrations ORDER BY version";

constexpr char kChecksum[] =
    "SELECT encode(sha256(convert_to($1, 'UTF8')), 'hex')";

constexpr char kRecordMigration[] =
    "INSERT INTO schema_migrations (version, name, sha256) VALUES ($1, $2, $3)";

std::string Label(const Migration& m) {
  return absl::StrFormat("migration %04d_%s", m.version, m.name);
}

}  // namespace

absl::StatusOr<MigrationReport> ApplyMigrations(
    Database& db, const std::vector<Migration>& migrations) {
  std::vector<const Migration*> ordered;
  for (const Migration& m : migrations) ordered.push_back(&m);
  std::sort(ordered.begin(), ordered.end(),
            [](const Migration* a, const Migration* b) {
              return a->version < b->version;
            });

  MigrationReport report;
  absl::Status status = db.WithConnection(
      "migrate", [&](pqxx::connection_base& conn) -> absl::Status {
        pqxx::nontransaction(conn).exec_params("SELECT pg_advisory_lock($1)",
                                               kMigrationLockKey);
        absl::Cleanup unlock = [&conn] {
          try {
            pqxx::nontransaction(conn).exec_params(
                "SELECT pg_advisory_unlock($1)", kMigrationLockKey);
          } catch (const std::exception&) {
            // The lock dies with the session if the connection is gone.
          }
        };
        {
          pqxx::work tx(conn);
          tx.exec(kCreateMigrationsTable);
          tx.commit();
        }
        std::map<int, std::string> applied;
        {
          pqxx::work tx(conn);
          for (const auto& row : tx.exec(kSelectApplied)) {
            applied[row[0].as<int>()] = row[1].as<std::string>();
          }
          tx.commit();
        }
        int highest_known = 0;
        for (const Migration* m : ordered) {
          highest_known = std::max(highest_known, m->version);
          try {
            pqxx::work tx(conn);
            const std::string checksum =
                tx.exec_params1(kChecksum, m->sql)[0].as<std::string>();
            if (auto it = applied.find(m->version); it != applied.end()) {
              if (it->second != checksum) {
                return absl::FailedPreconditionError(absl::StrCat(
                    Label(*m),
                    ": differs from the version already applied to this "
                    "database; migrations are forward-only, add a new "
                    "migration instead of editing an applied one"));
              }
              continue;
            }
            tx.exec(m->sql);
            tx.exec_params(kRecordMigration, m->version, m->name, checksum);
            tx.commit();
            report.applied.push_back(m->version);
            LogInfo(absl::StrCat("applied ", Label(*m)));
          } catch (const std::exception& e) {
            // Migration SQL is ours, not user data: the server's message
            // (first line) is safe to show and says what to fix.
            const absl::Status status = StatusFromDatabaseError(e, Label(*m));
            std::string detail = e.what();
            detail = detail.substr(0, detail.find('\n'));
            return absl::Status(status.code(),
                                absl::StrCat(status.message(), ": ", detail));
          }
        }
        for (const auto& [version, unused] : applied) {
          if (version > highest_known) report.database_is_newer = true;
        }
        pqxx::work tx(conn);
        report.current_version =
            tx.exec("SELECT coalesce(max(version), 0) FROM schema_migrations")
                [0][0]
                    .as<int>();
        tx.commit();
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return report;
}

}  // namespace certferry::storage
