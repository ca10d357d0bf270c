#include "promql/functions.h"

#include <gtest/gtest.h>

#include <string>

namespace cardinalsin::promql {
namespace {

TEST(FunctionsTest, TableIsSortedAndUnique) {
  std::span<const FunctionInfo> all = AllFunctions();
  ASSERT_FALSE(all.empty());
  for (size_t i = 1; i < all.size(); ++i) {
    EXPECT_LT(all[i - 1].name, all[i].name) << "function table out of order at " << all[i].name;
  }
}

TEST(FunctionsTest, LookupFindsEveryFunctionTheIssueLists) {
  const char* names[] = {
      "rate",
      "irate",
      "increase",
      "delta",
      "idelta",
      "deriv",
      "predict_linear",
      "resets",
      "changes",
      "avg_over_time",
      "min_over_time",
      "max_over_time",
      "sum_over_time",
      "count_over_time",
      "stddev_over_time",
      "stdvar_over_time",
      "quantile_over_time",
      "last_over_time",
      "present_over_time",
      "absent_over_time",
      "absent",
      "histogram_quantile",
      "histogram_count",
      "histogram_sum",
      "histogram_fraction",
      "histogram_avg",
      "label_replace",
      "label_join",
      "clamp",
      "clamp_min",
      "clamp_max",
      "round",
      "abs",
      "ceil",
      "floor",
      "exp",
      "ln",
      "log2",
      "log10",
      "sqrt",
      "sgn",
      "sin",
      "cos",
      "tan",
      "asin",
      "acos",
      "atan",
      "sinh",
      "cosh",
      "tanh",
      "asinh",
      "acosh",
      "atanh",
      "deg",
      "rad",
      "pi",
      "time",
      "minute",
      "hour",
      "day_of_week",
      "day_of_month",
      "day_of_year",
      "days_in_month",
      "month",
      "year",
      "sort",
      "sort_desc",
      "sort_by_label",
      "sort_by_label_desc",
      "timestamp",
      "vector",
      "scalar",
      "double_exponential_smoothing",
  };
  for (const char* name : names) {
    const FunctionInfo* f = LookupFunction(name);
    ASSERT_NE(f, nullptr) << name;
    EXPECT_EQ(f->name, name);
  }
  EXPECT_EQ(LookupFunction("Rate"), nullptr);
  EXPECT_EQ(LookupFunction("holt_winters"), nullptr);  // renamed in Prometheus 3
  EXPECT_EQ(LookupFunction(""), nullptr);
}

TEST(FunctionsTest, Signatures) {
  const FunctionInfo* rate = LookupFunction("rate");
  EXPECT_EQ(rate->arg_types, std::vector<ValueType>{ValueType::kMatrix});
  EXPECT_EQ(rate->return_type, ValueType::kVector);
  const FunctionInfo* scalar = LookupFunction("scalar");
  EXPECT_EQ(scalar->return_type, ValueType::kScalar);
  EXPECT_EQ(LookupFunction("label_join")->variadic, -1);
  EXPECT_EQ(LookupFunction("round")->variadic, 1);
}

}  // namespace
}  // namespace cardinalsin::promql
