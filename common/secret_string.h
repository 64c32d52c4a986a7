#pragma once

// SecretString holds secret material (private key PEM, passwords, KEK bytes).
// It never prints its contents: streaming or AbslStringify gives
// "[redacted]", so a secret cannot leak into a log line or error by accident.
// The buffer is wiped on destruction and on reassignment.

#include <ostream>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"

namespace certferry {

class SecretString {
 public:
  SecretString() = default;
  explicit SecretString(std::string value) : value_(std::move(value)) {}
  SecretString(const SecretString&) = default;
  SecretString(SecretString&& other) noexcept
      : value_(std::move(other.value_)) {
    other.Wipe();
  }
  SecretString& operator=(const SecretString& other) {
    if (this != &other) {
      Wipe();
      value_ = other.value_;
    }
    return *this;
  }
  SecretString& operator=(SecretString&& other) noexcept {
    if (this != &other) {
      Wipe();
      value_ = std::move(other.value_);
      other.Wipe();
    }
    return *this;
  }
  ~SecretString() { Wipe(); }

  // The secret itself; callers must not log or echo it.
  const std::string& Reveal() const { return value_; }
  bool empty() const { return value_.empty(); }
  size_t size() const { return value_.size(); }

  template <typename Sink>
  friend void AbslStringify(Sink& sink, const SecretString&) {
    sink.Append("[redacted]");
  }
  friend std::ostream& operator<<(std::ostream& os, const SecretString&) {
    return os << "[redacted]";
  }

 private:
  void Wipe() {
    // volatile write so the compiler cannot elide the clearing.
    volatile char* p = value_.data();
    for (size_t i = 0; i < value_.size(); ++i) p[i] = 0;
    value_.clear();
  }

  std::string value_;
};

}  // namespace certferry
