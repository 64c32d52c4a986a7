#include "storage/database.h"

#include <chrono>
#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "storage/sql_statement.h"

namespace certferry::storage {
namespace {

std::string SqlState(const std::exception& error) {
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&error)) {
    return sql->sqlstate();
  }
  return "";
}

// libpq messages are multi-line ("ERROR: ...\nDETAIL: ..."); DETAIL lines
// can echo row values, so only the first line is kept.
std::string FirstLine(const char* what) {
  std::string text(what);
  if (auto pos = text.find('\n'); pos != std::string::npos) text.resize(pos);
  return text;
}

}  // namespace

absl::Status StatusFromDatabaseError(const std::exception& error,
                                     absl::string_view operation) {
  const std::string state = SqlState(error);
  const std::string where = absl::StrCat("database ", operation);
  if (dynamic_cast<const pqxx::unique_violation*>(&error)) {
    return absl::AlreadyExistsError(
        absl::StrCat(where, ": a record with the same key already exists"));
  }
  if (dynamic_cast<const pqxx::foreign_key_violation*>(&error) ||
      dynamic_cast<const pqxx::check_violation*>(&error) ||
      dynamic_cast<const pqxx::not_null_violation*>(&error)) {
    return absl::FailedPreconditionError(
        absl::StrCat(where, ": constraint violated (SQLSTATE ", state, ")"));
  }
  if (dynamic_cast<const pqxx::serialization_failure*>(&error) ||
      dynamic_cast<const pqxx::deadlock_detected*>(&error)) {
    return absl::AbortedError(absl::StrCat(
        where, ": concurrent update conflict persisted after retries; retry"));
  }
  if (dynamic_cast<const pqxx::in_doubt_error*>(&error)) {
    return absl::UnknownError(absl::StrCat(
        where, ": commit outcome unknown; retry with the same request_id"));
  }
  if (dynamic_cast<const pqxx::broken_connection*>(&error)) {
    return absl::UnavailableError(absl::StrCat(
        where, ": database connection failed: ", FirstLine(error.what())));
  }
  if (dynamic_cast<const pqxx::insufficient_privilege*>(&error)) {
    return absl::InternalError(
        absl::StrCat(where, ": the database role lacks a privilege (SQLSTATE ",
                     state, "); check certferry's database grants"));
  }
  if (state == "57014") {  // query_canceled: statement_timeout
    return absl::DeadlineExceededError(
        absl::StrCat(where, ": statement timed out"));
  }
  if (!state.empty()) {
    return absl::InternalError(
        absl::StrCat(where, ": failed with SQLSTATE ", state));
  }
  return absl::InternalError(
      absl::StrCat(where, ": ", FirstLine(error.what())));
}

struct Database::Connection {
  explicit Connection(const std::string& url) : pq(url) {}
  pqxx::connection pq;
};

Database::Database(DatabaseConfig config) : config_(std::move(config)) {}

Database::~Database() = default;

absl::StatusOr<std::unique_ptr<Database>> Database::Connect(
    DatabaseConfig config) {
  if (config.pool_size < 1) {
    return absl::InvalidArgumentError("database.pool_size: must be at least 1");
  }
  std::unique_ptr<Database> db(new Database(std::move(config)));
  auto conn = db->Acquire();
  if (!conn.ok()) return conn.status();
  db->Release(*std::move(conn));
  return db;
}

absl::StatusOr<std::unique_ptr<Database::Connection>>
Database::OpenConnection() {
  try {
    auto conn = std::make_unique<Connection>(config_.url.Reveal());
    conn->pq.set_variable(
        "statement_timeout",
        std::to_string(absl::ToInt64Milliseconds(config_.statement_timeout)));
    conn->pq.set_variable("application_name", "'certferryd'");
    for (const SqlStatement& statement : AllSqlStatements()) {
      conn->pq.prepare(statement.name, statement.sql);
    }
    return conn;
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("database: cannot connect: ", FirstLine(e.what()),
                     "; check --database_url / CERTFERRY_DATABASE_URL and that "
                     "PostgreSQL is running"));
  }
}

absl::StatusOr<std::unique_ptr<Database::Connection>> Database::Acquire() {
  std::unique_lock<std::mutex> lock(mu_);
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(
                            absl::ToInt64Milliseconds(config_.acquire_timeout));
  while (idle_.empty() && open_count_ >= config_.pool_size) {
    if (available_.wait_until(lock, deadline) == std::cv_status::timeout &&
        idle_.empty() && open_count_ >= config_.pool_size) {
      return absl::UnavailableError(
          "database: all connections are busy; retry later or raise "
          "--database_pool_size");
    }
  }
  if (!idle_.empty()) {
    auto conn = std::move(idle_.back());
    idle_.pop_back();
    if (conn->pq.is_open()) return conn;
    --open_count_;  // broken while idle: replace it below
  }
  ++open_count_;
  lock.unlock();
  auto conn = OpenConnection();
  if (!conn.ok()) {
    std::lock_guard<std::mutex> relock(mu_);
    --open_count_;
    available_.notify_one();
  }
  return conn;
}

void Database::Release(std::unique_ptr<Connection> conn) {
  std::lock_guard<std::mutex> lock(mu_);
  if (conn != nullptr && conn->pq.is_open()) {
    idle_.push_back(std::move(conn));
  } else {
    --open_count_;
  }
  available_.notify_one();
}

absl::Status Database::RunInTransaction(
    absl::string_view name,
    const std::function<absl::Status(Transaction&)>& body) {
  return Run(name, /*autocommit=*/false, body);
}

absl::Status Database::RunAutocommit(
    absl::string_view name,
    const std::function<absl::Status(Transaction&)>& body) {
  return Run(name, /*autocommit=*/true, body);
}

absl::Status Database::Run(
    absl::string_view name, bool autocommit,
    const std::function<absl::Status(Transaction&)>& body) {
  const std::string label(name);
  bool retried_broken_connection = false;
  for (int attempt = 1;; ++attempt) {
    auto conn = Acquire();
    if (!conn.ok()) return conn.status();
    try {
      absl::Status status;
      if (autocommit) {
        pqxx::nontransaction work((*conn)->pq);
        Transaction tx(work);
        status = body(tx);
      } else {
        pqxx::work work((*conn)->pq);
        Transaction tx(work);
        status = body(tx);
        if (status.ok()) {
          work.commit();
        } else {
          work.abort();
        }
      }
      Release(*std::move(conn));
      return status;
    } catch (const pqxx::transaction_rollback& e) {
      // Serialization failure or deadlock: nothing was committed.
      Release(*std::move(conn));
      if (attempt < config_.max_transaction_attempts) continue;
      return StatusFromDatabaseError(e, label);
    } catch (const pqxx::broken_connection& e) {
      // The connection died before commit; a fresh one may work.
      conn->reset();
      Release(nullptr);
      if (!retried_broken_connection) {
        retried_broken_connection = true;
        LogWarning(absl::StrCat("database ", label,
                                ": connection lost; retrying once"));
        continue;
      }
      return StatusFromDatabaseError(e, label);
    } catch (const std::exception& e) {
      Release(*std::move(conn));
      return StatusFromDatabaseError(e, label);
    }
  }
}

absl::Status Database::WithConnection(
    absl::string_view name,
    const std::function<absl::Status(pqxx::connection_base&)>& body) {
  auto conn = Acquire();
  if (!conn.ok()) return conn.status();
  try {
    absl::Status status = body((*conn)->pq);
    Release(*std::move(conn));
    return status;
  } catch (const std::exception& e) {
    Release(*std::move(conn));
    return StatusFromDatabaseError(e, name);
  }
}

absl::Status Database::Ping() {
  return RunAutocommit("ping", [](Transaction& tx) {
    tx.pqxx().exec("SELECT 1");
    return absl::OkStatus();
  });
}

}  // namespace certferry::storage
