#include "base/status_macros.h"

#include "base/testing/status_matchers.h"

namespace cardinalsin::base {
namespace {

using testing::IsOkAndHolds;
using testing::StatusIs;

absl::StatusOr<int> Half(int x) {
  if (x % 2 != 0) return absl::InvalidArgumentError("odd");
  return x / 2;
}

absl::StatusOr<int> Quarter(int x) {
  CS_ASSIGN_OR_RETURN(int half, Half(x));
  CS_ASSIGN_OR_RETURN(half, Half(half));
  return half;
}

absl::Status CheckEven(int x, int* calls) {
  ++*calls;
  CS_RETURN_IF_ERROR(Half(x).status());
  return absl::OkStatus();
}

TEST(StatusMacrosTest, AssignOrReturnPropagatesErrors) {
  EXPECT_THAT(Quarter(8), IsOkAndHolds(2));
  EXPECT_THAT(Quarter(6), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Quarter(3), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(StatusMacrosTest, ReturnIfErrorEvaluatesOnce) {
  int calls = 0;
  CS_EXPECT_OK(CheckEven(4, &calls));
  EXPECT_FALSE(CheckEven(5, &calls).ok());
  EXPECT_EQ(calls, 2);
}

}  // namespace
}  // namespace cardinalsin::base
