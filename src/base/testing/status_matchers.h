// File: testing/status_matchers.h
//
// GoogleTest helpers for absl::Status / absl::StatusOr (Abseil 20220623 ships none).
//
//   CS_ASSERT_OK(store.Delete("k"));
//   CS_ASSERT_OK_AND_ASSIGN(auto meta, store.Head("k"));
//   EXPECT_THAT(store.Get("k"), IsOkAndHolds("value"));
//   EXPECT_THAT(store.Get("missing"), StatusIs(absl::StatusCode::kNotFound));
#pragma once

#include <ostream>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/status_macros.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cardinalsin::base::testing {

inline const absl::Status& GetStatus(const absl::Status& status) { return status; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

MATCHER_P(IsOkAndHolds, expected, "is OK and holds a value matching the expectation") {
  if (!arg.ok()) {
    *result_listener << "status is " << arg.status();
    return false;
  }
  return ::testing::ExplainMatchResult(expected, *arg, result_listener);
}

MATCHER_P(StatusIs, code, "has the expected status code") {
  const absl::Status& status = ::cardinalsin::base::testing::GetStatus(arg);
  *result_listener << "status is " << status;
  return status.code() == code;
}

// StatusIs(code, HasSubstr("...")): the code and a matcher for the message.
MATCHER_P2(StatusIs, code, message_matcher, "has the expected status code and message") {
  const absl::Status& status = ::cardinalsin::base::testing::GetStatus(arg);
  *result_listener << "status is " << status;
  return status.code() == code &&
         ::testing::ExplainMatchResult(message_matcher, std::string(status.message()), result_listener);
}

}  // namespace cardinalsin::base::testing

namespace cardinalsin::base::testing {
inline ::testing::AssertionResult IsOkStatus(const absl::Status& status) {
  if (status.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << status;
}
}  // namespace cardinalsin::base::testing

// Both evaluate `expr` once and accept a streamed message: CS_ASSERT_OK(s.Put(k, v)) << k;
#define CS_EXPECT_OK(expr) \
  EXPECT_TRUE(             \
      ::cardinalsin::base::testing::IsOkStatus(::cardinalsin::base::testing::GetStatus(expr)))
#define CS_ASSERT_OK(expr) \
  ASSERT_TRUE(             \
      ::cardinalsin::base::testing::IsOkStatus(::cardinalsin::base::testing::GetStatus(expr)))
#define CS_INTERNAL_ASSERT_OK_AND_ASSIGN(tmp, lhs, expr) \
  auto tmp = (expr);                                     \
  ASSERT_TRUE(tmp.ok()) << tmp.status();                 \
  lhs = std::move(tmp).value()
#define CS_ASSERT_OK_AND_ASSIGN(lhs, expr) \
  CS_INTERNAL_ASSERT_OK_AND_ASSIGN(CS_INTERNAL_CONCAT(cs_assert_statusor_, __LINE__), lhs, expr)
