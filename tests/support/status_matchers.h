#pragma once

// gMock matchers for absl::Status and absl::StatusOr<T>, after
// google-cloud-cpp's testing_util/status_matchers.h (Debian's Abseil has no
// absl/status/status_matchers.h). Header-only.
//
//   EXPECT_THAT(status_or_value, IsOk());
//   EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
//   EXPECT_THAT(status_or_value,
//               StatusIs(absl::StatusCode::kInvalidArgument,
//                        HasSubstr("chain_pem: ")));
//   EXPECT_THAT(status_or_value, IsOkAndHolds(Eq(42)));
//
// Every matcher accepts both absl::Status and absl::StatusOr<T>, and on a
// mismatch explains with the actual code and message.

#include <ostream>
#include <string>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"

namespace certferry::testing {
namespace status_matchers_internal {

inline const absl::Status& GetStatus(const absl::Status& status) {
  return status;
}

template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

// Polymorphic implementation behind StatusIs() and IsOk().
class StatusIsMatcher {
 public:
  StatusIsMatcher(::testing::Matcher<absl::StatusCode> code_matcher,
                  ::testing::Matcher<const std::string&> message_matcher)
      : code_matcher_(std::move(code_matcher)),
        message_matcher_(std::move(message_matcher)) {}

  template <typename StatusType>
  bool MatchAndExplain(const StatusType& value,
                       ::testing::MatchResultListener* listener) const {
    const absl::Status& status = GetStatus(value);
    *listener << "whose status is " << status;
    ::testing::StringMatchResultListener code_listener;
    if (!code_matcher_.MatchAndExplain(status.code(), &code_listener)) {
      const std::string explanation = code_listener.str();
      if (!explanation.empty()) *listener << ", code " << explanation;
      return false;
    }
    const std::string message(status.message());
    ::testing::StringMatchResultListener message_listener;
    if (!message_matcher_.MatchAndExplain(message, &message_listener)) {
      const std::string explanation = message_listener.str();
      if (!explanation.empty()) *listener << ", message " << explanation;
      return false;
    }
    return true;
  }

  void DescribeTo(std::ostream* os) const {
    *os << "has a status code that ";
    code_matcher_.DescribeTo(os);
    *os << ", and has a message that ";
    message_matcher_.DescribeTo(os);
  }

  void DescribeNegationTo(std::ostream* os) const {
    *os << "has a status code that ";
    code_matcher_.DescribeNegationTo(os);
    *os << ", or has a message that ";
    message_matcher_.DescribeNegationTo(os);
  }

 private:
  ::testing::Matcher<absl::StatusCode> code_matcher_;
  ::testing::Matcher<const std::string&> message_matcher_;
};

// Monomorphic implementation behind IsOkAndHolds() for one StatusOr<T>.
template <typename StatusOrType>
class IsOkAndHoldsMatcherImpl
    : public ::testing::MatcherInterface<const StatusOrType&> {
 public:
  using ValueType = typename std::remove_cv_t<
      std::remove_reference_t<StatusOrType>>::value_type;

  template <typename InnerMatcher>
  explicit IsOkAndHoldsMatcherImpl(InnerMatcher&& inner_matcher)
      : inner_matcher_(::testing::SafeMatcherCast<const ValueType&>(
            std::forward<InnerMatcher>(inner_matcher))) {}

  bool MatchAndExplain(
      const StatusOrType& actual,
      ::testing::MatchResultListener* listener) const override {
    if (!actual.ok()) {
      *listener << "which has status " << actual.status();
      return false;
    }
    ::testing::StringMatchResultListener inner_listener;
    const bool matches =
        inner_matcher_.MatchAndExplain(*actual, &inner_listener);
    const std::string explanation = inner_listener.str();
    if (!explanation.empty()) {
      *listener << "which contains a value " << explanation;
    }
    return matches;
  }

  void DescribeTo(std::ostream* os) const override {
    *os << "is OK and has a value that ";
    inner_matcher_.DescribeTo(os);
  }

  void DescribeNegationTo(std::ostream* os) const override {
    *os << "is not OK, or has a value that ";
    inner_matcher_.DescribeNegationTo(os);
  }

 private:
  ::testing::Matcher<const ValueType&> inner_matcher_;
};

template <typename InnerMatcher>
class IsOkAndHoldsMatcher {
 public:
  explicit IsOkAndHoldsMatcher(InnerMatcher inner_matcher)
      : inner_matcher_(std::move(inner_matcher)) {}

  template <typename StatusOrType>
  operator ::testing::Matcher<StatusOrType>() const {  // NOLINT
    return ::testing::Matcher<StatusOrType>(
        new IsOkAndHoldsMatcherImpl<const StatusOrType&>(inner_matcher_));
  }

 private:
  InnerMatcher inner_matcher_;
};

}  // namespace status_matchers_internal

// Matches an absl::Status or absl::StatusOr<T> that is OK.
inline ::testing::PolymorphicMatcher<status_matchers_internal::StatusIsMatcher>
IsOk() {
  return ::testing::MakePolymorphicMatcher(
      status_matchers_internal::StatusIsMatcher(absl::StatusCode::kOk,
                                                ::testing::_));
}

// Matches an absl::Status or absl::StatusOr<T> whose code matches
// `code_matcher` (a StatusCode or a matcher of one) and whose message matches
// `message_matcher` (a string or a string matcher such as HasSubstr).
template <typename CodeMatcher, typename MessageMatcher>
::testing::PolymorphicMatcher<status_matchers_internal::StatusIsMatcher>
StatusIs(CodeMatcher&& code_matcher, MessageMatcher&& message_matcher) {
  return ::testing::MakePolymorphicMatcher(
      status_matchers_internal::StatusIsMatcher(
          ::testing::MatcherCast<absl::StatusCode>(
              std::forward<CodeMatcher>(code_matcher)),
          ::testing::MatcherCast<const std::string&>(
              std::forward<MessageMatcher>(message_matcher))));
}

// Matches an absl::Status or absl::StatusOr<T> whose code matches
// `code_matcher`, whatever its message.
template <typename CodeMatcher>
::testing::PolymorphicMatcher<status_matchers_internal::StatusIsMatcher>
StatusIs(CodeMatcher&& code_matcher) {
  return StatusIs(std::forward<CodeMatcher>(code_matcher), ::testing::_);
}

// Matches an OK absl::StatusOr<T> whose value matches `inner_matcher`.
template <typename InnerMatcher>
status_matchers_internal::IsOkAndHoldsMatcher<std::decay_t<InnerMatcher>>
IsOkAndHolds(InnerMatcher&& inner_matcher) {
  return status_matchers_internal::IsOkAndHoldsMatcher<
      std::decay_t<InnerMatcher>>(std::forward<InnerMatcher>(inner_matcher));
}

}  // namespace certferry::testing
