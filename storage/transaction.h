#pragma once

// A handle on one open database transaction, passed to repositories so a
// caller can compose several writes atomically. Only storage/ looks inside.

namespace pqxx {
class transaction_base;
}  // namespace pqxx

namespace certferry::storage {

class Transaction {
 public:
  explicit Transaction(pqxx::transaction_base& tx) : tx_(tx) {}
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // For storage/ internals only.
  pqxx::transaction_base& pqxx() { return tx_; }

 private:
  pqxx::transaction_base& tx_;
};

}  // namespace certferry::storage
