#pragma once

// A named SQL statement. Every statement a repository runs is registered on
// each pooled connection as a prepared statement under its name; the name
// also labels errors and logs.

#include <vector>

namespace certferry::storage {

struct SqlStatement {
  const char* name;
  const char* sql;
};

// Every statement of every repository (see storage/queries/).
const std::vector<SqlStatement>& AllSqlStatements();

}  // namespace certferry::storage
