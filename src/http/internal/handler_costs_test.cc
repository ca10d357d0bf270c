#include "http/internal/handler_costs.h"

#include <gtest/gtest.h>

#include <string>

namespace cardinalsin::http::internal {
namespace {

TEST(HandlerCostsTest, UnknownPathsAreNotQuick) {
  HandlerCosts costs(absl::Milliseconds(1));
  EXPECT_FALSE(costs.Quick("GET", "/api/v1/labels"));
  costs.Record("GET", "/api/v1/labels", absl::Microseconds(50));
  EXPECT_TRUE(costs.Quick("GET", "/api/v1/labels"));
  EXPECT_FALSE(costs.Quick("POST", "/api/v1/labels"));  // per method
  EXPECT_FALSE(costs.Quick("GET", "/api/v1/label"));
}

TEST(HandlerCostsTest, ASlowHandlerMakesItsPathSlowUntilQuickOnesBringTheAverageDown) {
  HandlerCosts costs(absl::Milliseconds(1));
  costs.Record("GET", "/q", absl::Microseconds(100));
  costs.Record("GET", "/q", absl::Milliseconds(20));  // 100 + (20000 - 100) / 4 = 5075 us
  EXPECT_FALSE(costs.Quick("GET", "/q"));
  int quick_after = 0;
  while (!costs.Quick("GET", "/q")) {
    costs.Record("GET", "/q", absl::Microseconds(100));
    ++quick_after;
  }
  EXPECT_EQ(quick_after, 6);  // 5075 -> 3831 -> 2898 -> 2199 -> 1674 -> 1281 -> 986
}

TEST(HandlerCostsTest, TracksAtMostMaxPaths) {
  HandlerCosts costs(absl::Milliseconds(1));
  for (size_t i = 0; i < HandlerCosts::kMaxPaths + 10; ++i) {
    costs.Record("GET", "/p" + std::to_string(i), absl::Microseconds(1));
  }
  EXPECT_TRUE(costs.Quick("GET", "/p0"));
  EXPECT_TRUE(costs.Quick("GET", "/p" + std::to_string(HandlerCosts::kMaxPaths - 1)));
  EXPECT_FALSE(costs.Quick("GET", "/p" + std::to_string(HandlerCosts::kMaxPaths)));
}

}  // namespace
}  // namespace cardinalsin::http::internal
