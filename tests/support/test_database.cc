#include "tests/support/test_database.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <pqxx/pqxx>
#include <vector>

#include "absl/strings/str_cat.h"
#include "storage/migrations.h"

namespace certferry::testing {
namespace {

std::mutex created_mu;
std::vector<std::string>* created = new std::vector<std::string>();

absl::StatusOr<std::string> ServerDsn() {
  const char* dsn = std::getenv("CERTFERRY_TEST_DSN");
  if (dsn == nullptr || *dsn == 0) {
    return absl::FailedPreconditionError(
        "CERTFERRY_TEST_DSN is not set: this test needs PostgreSQL. Run "
        "./scripts/test (it starts a throwaway cluster), or export "
        "CERTFERRY_TEST_DSN='host=... user=... dbname=...' for a server "
        "where that user may CREATE DATABASE");
  }
  return std::string(dsn);
}

void DropAllAtExit() {
  std::vector<std::string> names;
  {
    std::lock_guard<std::mutex> lock(created_mu);
    names.swap(*created);
  }
  for (const std::string& name : names) (void)DropTestDatabase(name);
}

}  // namespace

absl::StatusOr<TestDatabase> CreateEmptyTestDatabase() {
  auto server = ServerDsn();
  if (!server.ok()) return server.status();
  static std::atomic<int> counter{0};
  TestDatabase db;
  db.name = absl::StrCat("cf_test_", getpid(), "_", counter.fetch_add(1), "_",
                         absl::ToUnixMicros(absl::Now()) % 1000000);
  try {
    pqxx::connection admin(*server + " dbname=postgres");
    pqxx::nontransaction tx(admin);
    tx.exec("CREATE DATABASE " + tx.quote_name(db.name) +
            " TEMPLATE template0 ENCODING 'UTF8'");
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("creating test database: ", e.what()));
  }
  {
    std::lock_guard<std::mutex> lock(created_mu);
    if (created->empty()) std::atexit(DropAllAtExit);
    created->push_back(db.name);
  }
  db.dsn = absl::StrCat(*server, " dbname=", db.name);
  return db;
}

absl::StatusOr<TestDatabase> CreateMigratedTestDatabase() {
  auto db = CreateEmptyTestDatabase();
  if (!db.ok()) return db.status();
  auto conn = ConnectTestDatabase(db->dsn, 1);
  if (!conn.ok()) return conn.status();
  auto report = storage::ApplyMigrations(**conn, storage::EmbeddedMigrations());
  if (!report.ok()) return report.status();
  return db;
}

absl::StatusOr<std::unique_ptr<storage::Database>> ConnectTestDatabase(
    const std::string& dsn, int pool_size) {
  storage::DatabaseConfig config;
  config.url = SecretString(dsn);
  config.pool_size = pool_size;
  config.acquire_timeout = absl::Seconds(10);
  return storage::Database::Connect(std::move(config));
}

absl::StatusOr<std::string> QueryScalar(const std::string& dsn,
                                        const std::string& sql) {
  try {
    pqxx::connection conn(dsn);
    pqxx::nontransaction tx(conn);
    pqxx::result rows = tx.exec(sql);
    if (rows.empty() || rows[0][0].is_null()) return std::string();
    return rows[0][0].as<std::string>();
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("query '", sql, "': ", e.what()));
  }
}

absl::Status ExecAsSuperuser(const std::string& dsn, const std::string& sql) {
  const char* role = std::getenv("CERTFERRY_TEST_SUPERUSER");
  // In a libpq keyword/value string the last occurrence of a key wins.
  const std::string superuser_dsn = absl::StrCat(
      dsn, " user=", role != nullptr && *role != 0 ? role : "postgres");
  try {
    pqxx::connection conn(superuser_dsn);
    pqxx::work tx(conn);
    tx.exec(sql);
    tx.commit();
    return absl::OkStatus();
  } catch (const std::exception& e) {
    return absl::InternalError(
        absl::StrCat("as superuser, '", sql, "': ", e.what()));
  }
}

absl::Status DropTestDatabase(const std::string& name) {
  auto server = ServerDsn();
  if (!server.ok()) return server.status();
  try {
    pqxx::connection admin(*server + " dbname=postgres");
    pqxx::nontransaction tx(admin);
    tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name) + " WITH (FORCE)");
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("dropping test database: ", e.what()));
  }
  return absl::OkStatus();
}

}  // namespace certferry::testing
