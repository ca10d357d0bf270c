#include "promql/functions_eval.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "base/testing/status_matchers.h"
#include "promql/functions.h"
#include "promql/functions_eval_internal.h"
#include "promql/parser.h"

namespace cardinalsin::promql {
namespace {

using ::cardinalsin::base::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// Points at the given seconds with the given values.
std::vector<FPoint> Pts(std::vector<std::pair<double, double>> sv) {
  std::vector<FPoint> out;
  for (auto& p : sv) out.push_back(FPoint{static_cast<int64_t>(p.first * 1000), p.second});
  return out;
}

void ExpectValue(std::optional<double> got, std::optional<double> want, const std::string& what) {
  ASSERT_EQ(got.has_value(), want.has_value()) << what;
  if (!want.has_value()) return;
  if (std::isnan(*want)) {
    EXPECT_TRUE(std::isnan(*got)) << what << ": got " << *got;
  } else if (std::isinf(*want)) {
    EXPECT_EQ(*got, *want) << what;
  } else {
    EXPECT_NEAR(*got, *want, 1e-9 * std::max(1.0, std::fabs(*want))) << what;
  }
}

struct RangeCase {
  std::string func;
  std::vector<std::pair<double, double>> points;  // (seconds, value)
  double range_start_s;
  double range_end_s;
  std::vector<double> scalars;
  std::optional<double> want;
};

std::optional<double> RunRange(const RangeCase& c, Annotations* annotations = nullptr,
                               absl::Status* error = nullptr, const Labels* labels = nullptr,
                               const Call* call_node = nullptr) {
  const FunctionImpl* impl = LookupFunctionImpl(c.func);
  EXPECT_NE(impl, nullptr) << c.func;
  if (impl == nullptr || impl->range == nullptr) return std::nullopt;
  std::vector<FPoint> points = Pts(c.points);
  RangeCall call;
  call.points = points;
  call.range_start_ms = static_cast<int64_t>(c.range_start_s * 1000);
  call.range_end_ms = static_cast<int64_t>(c.range_end_s * 1000);
  call.eval_ms = call.range_end_ms;
  call.scalars = c.scalars;
  call.annotations = annotations;
  call.error = error;
  call.labels = labels;
  call.call = call_node;
  return impl->range(call);
}

TEST(FunctionsEvalRangeTest, KnownAnswers) {
  const std::vector<RangeCase> cases = {
      // Samples every 10s, first 10s after the window start (< 1.1 intervals): extrapolated to
      // the start; counter zero point (10s before the first sample) does not cut it shorter.
      // increase = 5 * (50 + 10 + 0) / 50.
      {"increase", {{10, 1}, {20, 2}, {30, 3}, {40, 4}, {50, 5}, {60, 6}}, 0, 60, {}, 6},
      {"rate", {{10, 1}, {20, 2}, {30, 3}, {40, 4}, {50, 5}, {60, 6}}, 0, 60, {}, 0.1},
      {"delta", {{10, 1}, {20, 2}, {30, 3}, {40, 4}, {50, 5}, {60, 6}}, 0, 60, {}, 6},
      // A counter starting at 0 is not extrapolated before its first sample.
      {"increase", {{10, 0}, {20, 1}, {30, 2}, {40, 3}, {50, 4}, {60, 5}}, 0, 60, {}, 5},
      // ... but a gauge is.
      {"delta", {{10, 0}, {20, 1}, {30, 2}, {40, 3}, {50, 4}, {60, 5}}, 0, 60, {}, 6},
      // Counter reset: 5 -> 10 -> 2 -> 6 increased by 5 + 2 + 4 = 11; extrapolated by 40/30.
      {"increase", {{10, 5}, {20, 10}, {30, 2}, {40, 6}}, 0, 40, {}, 11.0 * 40 / 30},
      {"delta", {{10, 5}, {20, 10}, {30, 2}, {40, 6}}, 0, 40, {}, 1.0 * 40 / 30},
      {"resets", {{10, 5}, {20, 10}, {30, 2}, {40, 6}}, 0, 40, {}, 1},
      // Edges farther than 1.1 average intervals: extrapolate half an interval on each side.
      {"increase", {{40, 1}, {50, 2}, {60, 3}}, 0, 100, {}, 3},
      {"rate", {{40, 1}, {50, 2}, {60, 3}}, 0, 100, {}, 0.03},
      // The zero point of the counter limits the extrapolation towards the start:
      // 2 -> 4 over 10s would reach 0 10s before the first sample; the start is 30s away
      // (> 1.1 intervals, so only 5s would be used anyway): 2 * (10 + 5 + 0) / 10.
      {"increase", {{30, 2}, {40, 4}}, 0, 40, {}, 3},
      // Values 1 -> 9 over 10s: zero is 1.25s before the first sample, closer than the 10s
      // to the window start: 8 * (10 + 1.25) / 10.
      {"increase", {{10, 1}, {20, 9}}, 0, 20, {}, 9},
      // Fewer than two samples: no result.
      {"rate", {{10, 1}}, 0, 60, {}, std::nullopt},
      {"delta", {}, 0, 60, {}, std::nullopt},
      {"irate", {{10, 1}, {20, 5}, {25, 7}}, 0, 30, {}, 0.4},
      {"irate", {{20, 10}, {25, 3}}, 0, 30, {}, 0.6},  // reset: 3 counted since the restart
      {"irate", {{20, 10}}, 0, 30, {}, std::nullopt},
      {"idelta", {{10, 1}, {20, 5}, {25, 7}}, 0, 30, {}, 2},
      {"idelta", {{20, 10}, {25, 3}}, 0, 30, {}, -7},
      {"deriv", {{0, 0}, {10, 10}, {20, 20}}, -1, 20, {}, 1},
      {"deriv", {{0, 1}, {10, 3}, {20, 2}}, -1, 20, {}, 0.05},
      {"deriv", {{0, 5}, {10, 5}}, -1, 20, {}, 0},
      {"deriv", {{0, kInf}, {10, kInf}}, -1, 20, {}, kNaN},
      {"deriv", {{0, 5}}, -1, 20, {}, std::nullopt},
      // predict_linear: the fit evaluated 30s after the evaluation time (20s): 20 + 30.
      {"predict_linear", {{0, 0}, {10, 10}, {20, 20}}, -1, 20, {30}, 50},
      {"predict_linear", {{0, 1}, {10, 3}, {20, 2}}, -1, 20, {0}, 2.5},
      {"resets", {{0, 1}, {1, 2}, {2, 0}, {3, 3}, {4, 1}}, -1, 4, {}, 2},
      {"resets", {{0, 1}}, -1, 4, {}, 0},
      {"changes", {{0, 1}, {1, 1}, {2, 2}, {3, kNaN}, {4, kNaN}, {5, 3}}, -1, 5, {}, 3},
      {"changes", {}, -1, 5, {}, std::nullopt},
      {"sum_over_time", {{1, 1}, {2, 2}, {3, 3}, {4, 4}}, 0, 4, {}, 10},
      {"avg_over_time", {{1, 1}, {2, 2}, {3, 3}, {4, 4}}, 0, 4, {}, 2.5},
      // The sum overflows; the incremental mean does not.
      {"avg_over_time", {{1, 1e308}, {2, 1e308}, {3, 1e308}}, 0, 4, {}, 1e308},
      {"count_over_time", {{1, 1}, {2, 2}, {3, 3}, {4, 4}}, 0, 4, {}, 4},
      {"min_over_time", {{1, 3}, {2, 1}, {3, 2}}, 0, 4, {}, 1},
      {"max_over_time", {{1, 3}, {2, 1}, {3, 2}}, 0, 4, {}, 3},
      {"min_over_time", {{1, kNaN}, {2, 3}, {3, 1}}, 0, 4, {}, 1},
      {"max_over_time", {{1, 2}, {2, kNaN}}, 0, 4, {}, 2},
      {"max_over_time", {{1, kNaN}, {2, kNaN}}, 0, 4, {}, kNaN},
      {"last_over_time", {{1, 3}, {2, 1}, {3, 2}}, 0, 4, {}, 2},
      {"first_over_time", {{1, 3}, {2, 1}, {3, 2}}, 0, 4, {}, 3},
      {"present_over_time", {{1, 3}}, 0, 4, {}, 1},
      {"present_over_time", {}, 0, 4, {}, std::nullopt},
      {"ts_of_min_over_time", {{1.5, 3}, {2.25, 1}, {3, 1}}, 0, 4, {}, 3},  // last of ties
      {"ts_of_max_over_time", {{1.5, 3}, {2.25, 1}, {3, 3}}, 0, 4, {}, 3},
      {"ts_of_max_over_time", {{1.5, 3}, {2.25, 1}, {3, 2}}, 0, 4, {}, 1.5},
      {"ts_of_min_over_time", {{1.5, kNaN}, {2.25, 4}, {3, 5}}, 0, 4, {}, 2.25},
      {"ts_of_last_over_time", {{1.5, 3}, {2.25, 1}}, 0, 4, {}, 2.25},
      {"ts_of_first_over_time", {{1.5, 3}, {2.25, 1}}, 0, 4, {}, 1.5},
      {"stdvar_over_time", {{1, 1}, {2, 2}, {3, 3}, {4, 4}}, 0, 4, {}, 1.25},
      {"stddev_over_time", {{1, 1}, {2, 2}, {3, 3}, {4, 4}}, 0, 4, {}, std::sqrt(1.25)},
      {"stddev_over_time", {{1, 7}}, 0, 4, {}, 0},
      {"quantile_over_time", {{1, 4}, {2, 1}, {3, 3}, {4, 2}}, 0, 4, {0.5}, 2.5},
      {"quantile_over_time", {{1, 4}, {2, 1}, {3, 3}, {4, 2}}, 0, 4, {0.25}, 1.75},
      {"quantile_over_time", {{1, 4}, {2, 1}}, 0, 4, {0}, 1},
      {"quantile_over_time", {{1, 4}, {2, 1}}, 0, 4, {1}, 4},
      {"quantile_over_time", {{1, 4}, {2, 1}}, 0, 4, {-1}, -kInf},
      {"quantile_over_time", {{1, 4}, {2, 1}}, 0, 4, {2}, kInf},
      {"quantile_over_time", {{1, 4}, {2, 1}}, 0, 4, {kNaN}, kNaN},
      {"mad_over_time", {{1, 1}, {2, 2}, {3, 3}, {4, 4}}, 0, 4, {}, 1},
      {"mad_over_time", {{1, 1}, {2, 1}, {3, 1}, {4, 10}}, 0, 4, {}, 0},
      {"mad_over_time", {{1, 1}, {2, 2}, {3, kNaN}, {4, 4}}, 0, 4, {}, kNaN},
      // Linear input is followed exactly.
      {"double_exponential_smoothing", {{1, 1}, {2, 2}, {3, 3}}, 0, 4, {0.5, 0.5}, 3},
      // s = 0, trend 10; then 0.5*10 + 0.5*(0+10) = 10; trend 0.5*10 + 0.5*10 = 10;
      // 0.5*0 + 0.5*(10+10) = 10.
      {"double_exponential_smoothing", {{1, 0}, {2, 10}, {3, 0}}, 0, 4, {0.5, 0.5}, 10},
      {"double_exponential_smoothing", {{1, 0}}, 0, 4, {0.5, 0.5}, std::nullopt},
  };
  for (const RangeCase& c : cases) {
    std::string what = c.func + " case with " + std::to_string(c.points.size()) + " points";
    ExpectValue(RunRange(c), c.want, what);
  }
}

TEST(FunctionsEvalRangeTest, DoubleExponentialSmoothingRejectsFactorsOutsideZeroOne) {
  absl::Status error;
  RangeCase sf{"double_exponential_smoothing", {{1, 0}, {2, 1}}, 0, 4, {1, 0.5}, std::nullopt};
  EXPECT_FALSE(RunRange(sf, nullptr, &error).has_value());
  EXPECT_THAT(error, StatusIs(absl::StatusCode::kInvalidArgument,
                              "invalid smoothing factor. Expected: 0 < sf < 1, got: 1.000000"));
  error = absl::OkStatus();
  RangeCase tf{"double_exponential_smoothing", {{1, 0}, {2, 1}}, 0, 4, {0.5, 0}, std::nullopt};
  EXPECT_FALSE(RunRange(tf, nullptr, &error).has_value());
  EXPECT_THAT(error, StatusIs(absl::StatusCode::kInvalidArgument,
                              "invalid trend factor. Expected: 0 < tf < 1, got: 0.000000"));
  // Without samples Prometheus never evaluates the arguments.
  error = absl::OkStatus();
  RangeCase empty{"double_exponential_smoothing", {}, 0, 4, {2, 2}, std::nullopt};
  EXPECT_FALSE(RunRange(empty, nullptr, &error).has_value());
  CS_EXPECT_OK(error);
}

const Call& CallOf(const Expr& expr) {
  const Call* call = expr.As<Call>();
  EXPECT_NE(call, nullptr);
  return *call;
}

TEST(FunctionsEvalRangeTest, RateOnNonCounterNameAddsInfo) {
  CS_ASSERT_OK_AND_ASSIGN(ExprPtr expr, ParseExpr("rate(temperature[5m])"));
  RangeCase c{"rate", {{10, 1}, {20, 2}}, 0, 20, {}, 0};
  Labels gauge = {{"__name__", "temperature"}, {"job", "x"}};
  Annotations annotations;
  RunRange(c, &annotations, nullptr, &gauge, &CallOf(*expr));
  EXPECT_THAT(annotations.infos(),
              ElementsAre("PromQL info: metric might not be a counter, name does not end in "
                          "_total/_sum/_count/_bucket: \"temperature\" (1:6)"));
  for (const char* name : {"a_total", "a_sum", "a_count", "a_bucket"}) {
    Labels counter = {{"__name__", name}};
    Annotations none;
    RunRange(c, &none, nullptr, &counter, &CallOf(*expr));
    EXPECT_TRUE(none.empty()) << name;
  }
  // With a __type__ label (type-and-unit labels) the type decides, not the name.
  Labels typed_gauge = {{"__name__", "x_total"}, {"__type__", "gauge"}};
  Annotations typed;
  RunRange(c, &typed, nullptr, &typed_gauge, &CallOf(*expr));
  EXPECT_THAT(typed.infos(),
              ElementsAre("PromQL info: metric might not be a counter, __type__ label is not set "
                          "to \"counter\" or \"histogram\", got \"gauge\": \"x_total\" (1:6)"));
  Labels typed_counter = {{"__name__", "temperature"}, {"__type__", "counter"}};
  Annotations counter_typed;
  RunRange(c, &counter_typed, nullptr, &typed_counter, &CallOf(*expr));
  EXPECT_TRUE(counter_typed.empty());
  RangeCase d{"delta", {{10, 1}, {20, 2}}, 0, 20, {}, 0};
  Annotations for_delta;
  RunRange(d, &for_delta, nullptr, &gauge, &CallOf(*expr));
  EXPECT_TRUE(for_delta.empty());
}

TEST(FunctionsEvalRangeTest, ExtendedRanges) {
  // The engine passes anchored windows with the last sample at or before the start, smoothed
  // ones also with the first sample after the end.
  CS_ASSERT_OK_AND_ASSIGN(ExprPtr anchored, ParseExpr("increase(x[1m] anchored)"));
  CS_ASSERT_OK_AND_ASSIGN(ExprPtr smoothed, ParseExpr("increase(x[1m] smoothed)"));
  CS_ASSERT_OK_AND_ASSIGN(ExprPtr rate_smoothed, ParseExpr("rate(x[1m] smoothed)"));
  CS_ASSERT_OK_AND_ASSIGN(ExprPtr delta, ParseExpr("delta(x[1m] anchored)"));
  CS_ASSERT_OK_AND_ASSIGN(ExprPtr delta_smoothed, ParseExpr("delta(x[1m] smoothed)"));
  struct Case {
    const Expr* expr;
    std::vector<std::pair<double, double>> points;
    double start_s, end_s;
    std::optional<double> want;
    std::string what;
  };
  // Samples 1, 2, 3, 4, 5 every 15s from 0s, then 9, 10, ... from 75s.
  const std::vector<Case> cases = {
      // Anchored: from the sample at or before the start (15s: 2) to the last (75s: 9).
      {anchored.get(), {{15, 2}, {30, 3}, {45, 4}, {60, 5}, {75, 9}}, 20, 80, 7, "anchored"},
      // Only a sample inside the window: no change.
      {anchored.get(), {{0, 1}}, -55, 5, 0, "anchored single"},
      // Nothing after the start: no output.
      {anchored.get(), {{0, 1}}, 0, 60, std::nullopt, "anchored before start"},
      // A reset inside the window: 5 -> 1 -> 2 increased by 1 + 2 - 1 + ... = 2.
      {anchored.get(), {{15, 5}, {30, 1}, {45, 2}}, 0, 60, 2, "anchored reset"},
      {delta.get(), {{15, 5}, {30, 1}, {45, 2}}, 0, 60, -3, "anchored delta"},
      // Smoothed: 20s between 2@15 and 3@30 is 2.333; 80s between 9@75 and 10@90 is 9.333.
      {smoothed.get(),
       {{15, 2}, {30, 3}, {45, 4}, {60, 5}, {75, 9}, {90, 10}},
       20,
       80,
       7,
       "smoothed"},
      {rate_smoothed.get(),
       {{15, 2}, {30, 3}, {45, 4}, {60, 5}, {75, 9}, {90, 10}},
       20,
       80,
       7.0 / 60,
       "smoothed rate"},
      // Nothing after the end: the last sample's value.
      {smoothed.get(), {{0, 1}, {15, 2}}, -55, 5, 1.0 / 3, "smoothed open end"},
      // A reset between the samples around the end: the counter restarts from 0 at 75s,
      // reaching 3 * 5/15 = 1 at 80s; the value before the reset (9) is added back.
      {smoothed.get(),
       {{15, 2}, {30, 3}, {45, 4}, {60, 5}, {75, 9}, {90, 3}},
       20,
       80,
       (1 - 7.0 / 3) + 9,
       "smoothed reset at end"},
      // A gauge interpolates straight: 9 + (3 - 9) * 5/15 = 7 at 80s.
      {delta_smoothed.get(),
       {{15, 2}, {30, 3}, {45, 4}, {60, 5}, {75, 9}, {90, 3}},
       20,
       80,
       7 - 7.0 / 3,
       "smoothed delta"},
  };
  CS_ASSERT_OK_AND_ASSIGN(ExprPtr changes, ParseExpr("changes(x[1m] anchored)"));
  CS_ASSERT_OK_AND_ASSIGN(ExprPtr resets, ParseExpr("resets(x[1m] anchored)"));
  const std::vector<Case> counting = {
      // The anchor (2@15) counts; the sample before it (7@5) does not.
      {changes.get(), {{5, 7}, {15, 2}, {30, 3}, {45, 3}}, 20, 80, 1, "changes"},
      {resets.get(), {{5, 7}, {15, 4}, {30, 3}, {45, 3}}, 20, 80, 1, "resets"},
      {changes.get(), {{5, 7}, {15, 2}}, 20, 80, std::nullopt, "changes, nothing after start"},
      {changes.get(), {{30, 3}, {45, 4}}, 20, 80, 1, "changes without anchor"},
  };
  for (const Case& c : counting) {
    const Call& node = CallOf(*c.expr);
    RangeCase rc{std::string(node.func->name), c.points, c.start_s, c.end_s, {}, c.want};
    ExpectValue(RunRange(rc, nullptr, nullptr, nullptr, &node), c.want, c.what);
  }
  for (const Case& c : cases) {
    const Call& node = CallOf(*c.expr);
    RangeCase rc{std::string(node.func->name), c.points, c.start_s, c.end_s, {}, c.want};
    ExpectValue(RunRange(rc, nullptr, nullptr, nullptr, &node), c.want, c.what);
  }
}

TEST(FunctionsEvalRangeTest, QuantileOutOfRangeWarns) {
  CS_ASSERT_OK_AND_ASSIGN(ExprPtr expr, ParseExpr("quantile_over_time(2, x[1m])"));
  for (double q : {2.0, -1.0, kNaN}) {
    Annotations annotations;
    RangeCase c{"quantile_over_time", {{1, 1}}, 0, 4, {q}, std::nullopt};
    RunRange(c, &annotations, nullptr, nullptr, &CallOf(*expr));
    ASSERT_EQ(annotations.warnings().size(), 1u) << q;
    EXPECT_THAT(annotations.warnings()[0],
                HasSubstr("PromQL warning: quantile value should be between 0 and 1, got "));
    EXPECT_THAT(annotations.warnings()[0], HasSubstr(" (1:20)"));
  }
  Annotations ok;
  RangeCase c{"quantile_over_time", {{1, 1}}, 0, 4, {0.3}, std::nullopt};
  RunRange(c, &ok, nullptr, nullptr, &CallOf(*expr));
  EXPECT_TRUE(ok.empty());
}

TEST(FunctionsEvalTest, TableCoversTheParserTable) {
  // Every function the parser knows is implemented here, except the query-time scalars the
  // engine evaluates and the experimental functions that need the engine (info,
  // start_timestamp).
  for (const FunctionInfo& f : AllFunctions()) {
    const FunctionImpl* impl = LookupFunctionImpl(f.name);
    bool engine_owned = f.name == "step" || f.name == "range" || f.name == "start" ||
                        f.name == "end" || f.name == "min_of" || f.name == "max_of" ||
                        f.name == "info" || f.name == "start_timestamp";
    if (engine_owned) {
      EXPECT_EQ(impl, nullptr) << f.name;
      continue;
    }
    ASSERT_NE(impl, nullptr) << f.name;
    EXPECT_EQ(impl->name, f.name);
    EXPECT_NE(impl->range == nullptr, impl->step == nullptr) << f.name;
    // Range kernels serve exactly the functions whose only non-scalar argument is a matrix.
    bool has_matrix =
        std::find(f.arg_types.begin(), f.arg_types.end(), ValueType::kMatrix) != f.arg_types.end();
    if (impl->range != nullptr) {
      EXPECT_TRUE(has_matrix) << f.name;
    }
  }
  EXPECT_EQ(LookupFunctionImpl("nope"), nullptr);
}

TEST(FunctionsEvalTest, DropsNameAsPrometheus) {
  for (const char* keeps : {"last_over_time", "first_over_time", "sort", "sort_desc",
                            "sort_by_label", "sort_by_label_desc", "label_replace", "label_join"}) {
    ASSERT_NE(LookupFunctionImpl(keeps), nullptr) << keeps;
    EXPECT_FALSE(LookupFunctionImpl(keeps)->drops_name) << keeps;
  }
  for (const char* drops : {"rate", "max_over_time", "abs", "clamp", "clamp_min", "round",
                            "timestamp", "ts_of_last_over_time", "day_of_week"}) {
    ASSERT_NE(LookupFunctionImpl(drops), nullptr) << drops;
    EXPECT_TRUE(LookupFunctionImpl(drops)->drops_name) << drops;
  }
}

// ---- Step functions -------------------------------------------------------------------------

Sample S(Labels labels, double v) { return Sample{std::move(labels), 0, v, false}; }

struct StepRun {
  absl::Status status;
  Vector out;
  Annotations annotations;
};

// Runs the step function of `query`'s outermost call, with `args` standing in for its
// evaluated arguments.
StepRun RunStep(const std::string& query, std::vector<StepArg> args, int64_t eval_ms = 0) {
  StepRun run;
  absl::StatusOr<ExprPtr> expr = ParseExpr(query);
  EXPECT_TRUE(expr.ok()) << query << ": " << expr.status();
  if (!expr.ok()) return run;
  const Call& call_node = CallOf(**expr);
  const FunctionImpl* impl = LookupFunctionImpl(call_node.func->name);
  EXPECT_NE(impl, nullptr) << query;
  if (impl == nullptr || impl->step == nullptr) return run;
  StepCall call;
  call.call = &call_node;
  call.pos = (*expr)->pos;
  call.eval_ms = eval_ms;
  call.args = args;
  call.annotations = &run.annotations;
  run.status = impl->step(call, run.out);
  return run;
}

std::vector<double> Values(const Vector& v) {
  std::vector<double> out;
  for (const Sample& s : v) out.push_back(s.v);
  return out;
}

TEST(FunctionsEvalStepTest, ElementWiseMath) {
  struct Case {
    std::string func;
    double in;
    double want;
  };
  const double pi = std::acos(-1.0);
  const std::vector<Case> cases = {
      {"abs", -2.5, 2.5},
      {"ceil", 1.2, 2},
      {"ceil", -1.2, -1},
      {"floor", -1.2, -2},
      {"exp", 1, std::exp(1.0)},
      {"ln", std::exp(2.0), 2},
      {"log2", 8, 3},
      {"log10", 1000, 3},
      {"sqrt", 9, 3},
      {"sqrt", -1, kNaN},
      {"sgn", -3, -1},
      {"sgn", 0, 0},
      {"sgn", 7, 1},
      {"sgn", kNaN, kNaN},
      {"sin", pi / 2, 1},
      {"cos", 0, 1},
      {"tan", 0, 0},
      {"asin", 1, pi / 2},
      {"acos", 1, 0},
      {"atan", 1, pi / 4},
      {"sinh", 0, 0},
      {"cosh", 0, 1},
      {"tanh", 0, 0},
      {"asinh", 0, 0},
      {"acosh", 1, 0},
      {"atanh", 0, 0},
      {"deg", pi, 180},
      {"rad", 180, pi},
      {"ln", -1, kNaN},
      {"abs", -kInf, kInf},
  };
  for (const Case& c : cases) {
    Vector in = {S({{"__name__", "m"}, {"a", "b"}}, c.in)};
    StepRun run = RunStep(c.func + "(m)", {&in}, 5000);
    CS_ASSERT_OK(run.status);
    ASSERT_EQ(run.out.size(), 1u) << c.func;
    ExpectValue(run.out[0].v, c.want, c.func + "(" + std::to_string(c.in) + ")");
    EXPECT_TRUE(run.out[0].drop_name) << c.func;
    EXPECT_EQ(run.out[0].labels, in[0].labels) << c.func;
    EXPECT_EQ(run.out[0].t, 5000) << c.func;
  }
}

TEST(FunctionsEvalStepTest, ClampAndRound) {
  Vector in = {S({{"i", "a"}}, -50), S({{"i", "b"}}, 0), S({{"i", "c"}}, 100),
               S({{"i", "d"}}, kNaN)};
  StepRun clamp = RunStep("clamp(m, -25, 75)", {&in, -25.0, 75.0});
  CS_ASSERT_OK(clamp.status);
  EXPECT_EQ(Values(clamp.out).size(), 4u);
  EXPECT_EQ(clamp.out[0].v, -25);
  EXPECT_EQ(clamp.out[1].v, 0);
  EXPECT_EQ(clamp.out[2].v, 75);
  EXPECT_TRUE(std::isnan(clamp.out[3].v));
  EXPECT_TRUE(clamp.out[0].drop_name);
  // min > max: no output at all.
  StepRun inverted = RunStep("clamp(m, 5, 1)", {&in, 5.0, 1.0});
  CS_ASSERT_OK(inverted.status);
  EXPECT_TRUE(inverted.out.empty());
  StepRun lo = RunStep("clamp_min(m, -25)", {&in, -25.0});
  EXPECT_EQ(lo.out[0].v, -25);
  EXPECT_EQ(lo.out[2].v, 100);
  StepRun hi = RunStep("clamp_max(m, 75)", {&in, 75.0});
  EXPECT_EQ(hi.out[0].v, -50);
  EXPECT_EQ(hi.out[2].v, 75);

  struct RoundCase {
    double in;
    std::optional<double> to_nearest;
    double want;
  };
  for (const RoundCase& c : std::vector<RoundCase>{{2.5, std::nullopt, 3},
                                                   {-2.5, std::nullopt, -2},
                                                   {1.234, 0.1, 1.2},
                                                   {7, 5, 5},
                                                   {8, 5, 10},
                                                   {-0.4, std::nullopt, 0},
                                                   {kNaN, std::nullopt, kNaN}}) {
    Vector v = {S({}, c.in)};
    StepRun run =
        c.to_nearest ? RunStep("round(m, 1)", {&v, *c.to_nearest}) : RunStep("round(m)", {&v});
    CS_ASSERT_OK(run.status);
    ASSERT_EQ(run.out.size(), 1u);
    ExpectValue(run.out[0].v, c.want, "round " + std::to_string(c.in));
  }
}

TEST(FunctionsEvalStepTest, ScalarsAndConversions) {
  StepRun time = RunStep("time()", {}, 1234567);
  ASSERT_EQ(time.out.size(), 1u);
  EXPECT_DOUBLE_EQ(time.out[0].v, 1234.567);
  EXPECT_TRUE(time.out[0].labels.empty());
  StepRun pi = RunStep("pi()", {});
  EXPECT_DOUBLE_EQ(pi.out[0].v, std::acos(-1.0));
  StepRun vec = RunStep("vector(3)", {3.0});
  ASSERT_EQ(vec.out.size(), 1u);
  EXPECT_EQ(vec.out[0].v, 3);

  Vector one = {S({{"a", "b"}}, 42)};
  Vector two = {S({{"a", "b"}}, 1), S({{"a", "c"}}, 2)};
  Vector none;
  EXPECT_EQ(RunStep("scalar(m)", {&one}).out[0].v, 42);
  EXPECT_TRUE(std::isnan(RunStep("scalar(m)", {&two}).out[0].v));
  EXPECT_TRUE(std::isnan(RunStep("scalar(m)", {&none}).out[0].v));

  Vector stamped = {Sample{{{"__name__", "m"}}, 15500, 7, false}};
  StepRun ts = RunStep("timestamp(m)", {&stamped}, 20000);
  ASSERT_EQ(ts.out.size(), 1u);
  EXPECT_DOUBLE_EQ(ts.out[0].v, 15.5);
  EXPECT_EQ(ts.out[0].t, 20000);
  EXPECT_TRUE(ts.out[0].drop_name);
}

TEST(FunctionsEvalStepTest, DateFunctions) {
  struct Case {
    std::string func;
    double seconds;
    double want;
  };
  // 1136239445 = 2006-01-02T22:04:05Z, a Monday; 1456790399 = 2016-02-29T23:59:59Z.
  const std::vector<Case> cases = {
      {"minute", 1136239445, 4},         {"hour", 1136239445, 22},
      {"day_of_week", 1136239445, 1},    {"day_of_month", 1136239445, 2},
      {"day_of_year", 1136239445, 2},    {"days_in_month", 1136239445, 31},
      {"month", 1136239445, 1},          {"year", 1136239445, 2006},
      {"days_in_month", 1456790399, 29}, {"day_of_year", 1483191420, 366},
      {"month", 1456790400, 3},          {"day_of_month", 1456790399.9, 29},
      {"day_of_week", -86400, 3},        {"year", kNaN, kNaN},
  };
  for (const Case& c : cases) {
    Vector in = {S({{"__name__", "m"}}, c.seconds)};
    StepRun run = RunStep(c.func + "(m)", {&in});
    CS_ASSERT_OK(run.status);
    ASSERT_EQ(run.out.size(), 1u);
    ExpectValue(run.out[0].v, c.want, c.func + " of " + std::to_string(c.seconds));
    EXPECT_TRUE(run.out[0].drop_name);
  }
  // Without an argument: the evaluation time (1970-01-01T00:00:59.999Z, a Thursday).
  EXPECT_EQ(RunStep("day_of_week()", {}, 59999).out[0].v, 4);
  EXPECT_EQ(RunStep("minute()", {}, 59999).out[0].v, 0);
  EXPECT_EQ(RunStep("year()", {}, 59999).out[0].v, 1970);
}

TEST(FunctionsEvalStepTest, LabelReplace) {
  Vector in = {S({{"__name__", "m"}, {"src", "source-value-10"}}, 1),
               S({{"__name__", "m"}, {"src", "source-value-20"}}, 2)};
  struct Case {
    std::string dst, repl, src, regex;
    std::vector<std::string> want_dst;  // per input sample; "" = label absent
  };
  const std::vector<Case> cases = {
      {"dst",
       "destination-value-$1",
       "src",
       "source-value-(.*)",
       {"destination-value-10", "destination-value-20"}},
      {"dst", "destination-value-$1", "src", "value-(.*)", {"", ""}},  // full match only
      {"dst", "$2-$1", "src", "(.*)-value-(.*)", {"10-source", "20-source"}},
      {"dst", "${1}x", "src", "source-value-(.*)", {"10x", "20x"}},
      {"dst", "$1x", "src", "source-value-(.*)", {"", ""}},  // "$1x" names group "1x"
      {"dst", "$num!", "src", "source-value-(?P<num>.*)", {"10!", "20!"}},
      {"dst", "$$1", "src", "source-value-(.*)", {"$1", "$1"}},
      {"dst", "a$", "src", "source-value-(.*)", {"a$", "a$"}},
      {"dst", "$9", "src", "source-value-(.*)", {"", ""}},
      {"dst", "value-$1", "nonexistent", "(.*)", {"value-", "value-"}},
      {"dst", "value-$1", "nonexistent", "source-value-(.*)", {"", ""}},
  };
  for (const Case& c : cases) {
    StepRun run = RunStep("label_replace(m, \"a\", \"b\", \"c\", \"d\")",
                          {&in, c.dst, c.repl, c.src, c.regex});
    CS_ASSERT_OK(run.status);
    ASSERT_EQ(run.out.size(), 2u);
    for (size_t i = 0; i < 2; ++i) {
      EXPECT_EQ(GetLabel(run.out[i].labels, c.dst), c.want_dst[i]) << c.repl << " " << c.regex;
      EXPECT_EQ(GetLabel(run.out[i].labels, "src"), GetLabel(in[i].labels, "src"));
      EXPECT_FALSE(run.out[i].drop_name);
    }
  }
  // Replacing the metric name keeps it even after a name-dropping function.
  Vector dropped = {Sample{{{"__name__", "m"}, {"x", "1"}}, 0, 1, true}};
  StepRun renamed = RunStep("label_replace(m, \"a\", \"b\", \"c\", \"d\")",
                            {&dropped, "__name__", "rate_$1", "__name__", "(.+)"});
  CS_ASSERT_OK(renamed.status);
  EXPECT_EQ(GetLabel(renamed.out[0].labels, "__name__"), "rate_m");
  EXPECT_FALSE(renamed.out[0].drop_name);
  StepRun other =
      RunStep("label_replace(m, \"a\", \"b\", \"c\", \"d\")", {&dropped, "y", "$1", "x", "(.+)"});
  EXPECT_TRUE(other.out[0].drop_name);
  // Setting a label to "" removes it.
  StepRun removed =
      RunStep("label_replace(m, \"a\", \"b\", \"c\", \"d\")", {&in, "src", "", "src", ".*"});
  EXPECT_THAT(removed.status,
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("same labelset")));
  // Series that differ only by a name still to be dropped do not collide here (an aggregation
  // may still tell them apart).
  Vector two_names = {Sample{{{"__name__", "a"}, {"x", "1"}}, 0, 1, true},
                      Sample{{{"__name__", "b"}, {"x", "1"}}, 0, 2, true}};
  CS_EXPECT_OK(
      RunStep("label_replace(m, \"a\", \"b\", \"c\", \"d\")", {&two_names, "y", "z", "", ""})
          .status);
  Vector empty_dst = {S({{"dst", "x"}, {"i", "1"}}, 1)};
  StepRun cleared =
      RunStep("label_replace(m, \"a\", \"b\", \"c\", \"d\")", {&empty_dst, "dst", "", "dst", ".*"});
  CS_ASSERT_OK(cleared.status);
  EXPECT_EQ(cleared.out[0].labels, (Labels{{"i", "1"}}));
}

TEST(FunctionsEvalStepTest, LabelReplaceErrors) {
  Vector in = {S({{"src", "a"}}, 1)};
  EXPECT_THAT(
      RunStep("label_replace(m, \"a\", \"b\", \"c\", \"d\")", {&in, "dst", "v-$1", "src", "(.*"})
          .status,
      StatusIs(absl::StatusCode::kInvalidArgument,
               "invalid regular expression in label_replace(): (.*"));
  EXPECT_THAT(
      RunStep("label_replace(m, \"a\", \"b\", \"c\", \"d\")", {&in, "\xff", "", "src", "(.*)"})
          .status,
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("invalid destination label name in label_replace(): ")));
  EXPECT_THAT(
      RunStep("label_replace(m, \"a\", \"b\", \"c\", \"d\")", {&in, "", "", "src", "(.*)"}).status,
      StatusIs(absl::StatusCode::kInvalidArgument));
  // UTF-8 label names are valid in Prometheus 3.
  CS_EXPECT_OK(RunStep("label_replace(m, \"a\", \"b\", \"c\", \"d\")",
                       {&in, "ünïcode.name", "x", "src", "(.*)"})
                   .status);
}

TEST(FunctionsEvalStepTest, LabelJoin) {
  Vector in = {S({{"__name__", "m"}, {"src", "a"}, {"src1", "b"}, {"src2", "c"}}, 1)};
  StepRun joined =
      RunStep("label_join(m, \"d\", \"-\", \"s\")", {&in, "dst", "-", "src", "src1", "src2"});
  CS_ASSERT_OK(joined.status);
  EXPECT_EQ(GetLabel(joined.out[0].labels, "dst"), "a-b-c");
  StepRun missing =
      RunStep("label_join(m, \"d\", \"-\", \"s\")", {&in, "dst", "-", "src", "src3", "src1"});
  EXPECT_EQ(GetLabel(missing.out[0].labels, "dst"), "a--b");
  StepRun no_src = RunStep("label_join(m, \"d\", \"-\")", {&in, "src", ", "});
  CS_ASSERT_OK(no_src.status);
  EXPECT_EQ(GetLabel(no_src.out[0].labels, "src"), "");  // overwritten with "", i.e. removed
  Vector dropped = {Sample{{{"__name__", "m"}, {"env", "1"}}, 0, 1, true}};
  StepRun name =
      RunStep("label_join(m, \"d\", \"-\", \"s\")", {&dropped, "__name__", "_", "__name__", "env"});
  EXPECT_EQ(GetLabel(name.out[0].labels, "__name__"), "m_1");
  EXPECT_FALSE(name.out[0].drop_name);
  EXPECT_THAT(
      RunStep("label_join(m, \"d\", \"-\", \"s\")", {&in, "dst", "-", ""}).status,
      StatusIs(absl::StatusCode::kInvalidArgument, "invalid source label name in label_join(): "));
  EXPECT_THAT(RunStep("label_join(m, \"d\", \"-\", \"s\")", {&in, "", "-", "src"}).status,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "invalid destination label name in label_join(): "));
  Vector dup = {S({{"label", "a"}, {"this", "a"}}, 1), S({{"label", "b"}, {"this", "a"}}, 2)};
  EXPECT_THAT(RunStep("label_join(m, \"d\", \"-\", \"s\")", {&dup, "label", "", "this"}).status,
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

std::vector<std::string> LabelValues(const Vector& v, std::string_view name) {
  std::vector<std::string> out;
  for (const Sample& s : v) out.emplace_back(GetLabel(s.labels, name));
  return out;
}

TEST(FunctionsEvalStepTest, Sorting) {
  Vector in = {S({{"i", "a"}}, 3), S({{"i", "b"}}, kNaN), S({{"i", "c"}}, 1), S({{"i", "d"}}, 3),
               S({{"i", "e"}}, -kInf)};
  StepRun asc = RunStep("sort(m)", {&in});
  CS_ASSERT_OK(asc.status);
  EXPECT_THAT(LabelValues(asc.out, "i"), ElementsAre("e", "c", "a", "d", "b"));
  StepRun desc = RunStep("sort_desc(m)", {&in});
  EXPECT_THAT(LabelValues(desc.out, "i"), ElementsAre("a", "d", "c", "e", "b"));

  Vector hosts = {S({{"instance", "host10"}, {"job", "b"}}, 1),
                  S({{"instance", "host2"}, {"job", "b"}}, 2),
                  S({{"instance", "host2"}, {"job", "a"}}, 3),
                  S({{"instance", "host1"}, {"job", "c"}}, 4), S({{"job", "z"}}, 5)};
  StepRun by = RunStep("sort_by_label(m, \"instance\")", {&hosts, "instance"});
  CS_ASSERT_OK(by.status);
  // Natural order on instance ("" first), then the full label sets break ties.
  EXPECT_THAT(Values(by.out), ElementsAre(5, 4, 3, 2, 1));
  StepRun by_desc = RunStep("sort_by_label_desc(m, \"instance\")", {&hosts, "instance"});
  EXPECT_THAT(Values(by_desc.out), ElementsAre(1, 2, 3, 4, 5));
  StepRun two = RunStep("sort_by_label(m, \"job\", \"instance\")", {&hosts, "job", "instance"});
  EXPECT_THAT(Values(two.out), ElementsAre(3, 2, 1, 4, 5));
}

TEST(FunctionsEvalStepTest, Absent) {
  Vector none;
  Vector some = {S({{"job", "x"}}, 1)};
  StepRun absent = RunStep("absent(nonexistent{job=\"x\", a=\"1\", a=\"2\", b!=\"3\", c=~\"4\"})",
                           {&none}, 7000);
  CS_ASSERT_OK(absent.status);
  ASSERT_EQ(absent.out.size(), 1u);
  EXPECT_EQ(absent.out[0].labels, (Labels{{"job", "x"}}));
  EXPECT_EQ(absent.out[0].v, 1);
  EXPECT_EQ(absent.out[0].t, 7000);
  EXPECT_TRUE(RunStep("absent(x{job=\"x\"})", {&some}).out.empty());
  // Not a selector: no labels.
  StepRun expr = RunStep("absent(sum(x{job=\"x\"}))", {&none});
  ASSERT_EQ(expr.out.size(), 1u);
  EXPECT_TRUE(expr.out[0].labels.empty());

  Matrix empty_windows = {Series{{{"job", "x"}}, {}, false}};
  Matrix with_points = {Series{{{"job", "x"}}, {{1000, 1}}, false}};
  StepRun over = RunStep("absent_over_time({__name__=\"y\", job=\"x\"}[5m])", {&empty_windows});
  ASSERT_EQ(over.out.size(), 1u);
  EXPECT_EQ(over.out[0].labels, (Labels{{"job", "x"}}));
  EXPECT_TRUE(RunStep("absent_over_time(x[5m])", {&with_points}).out.empty());
}

Vector Buckets(std::vector<std::pair<std::string, double>> le_counts, Labels extra = {}) {
  Vector out;
  for (auto& lc : le_counts) {
    Labels labels = extra;
    SetLabel(labels, "__name__", "h_bucket");
    SetLabel(labels, "le", lc.first);
    out.push_back(S(labels, lc.second));
  }
  return out;
}

TEST(FunctionsEvalHistogramTest, Quantile) {
  struct Case {
    double q;
    std::vector<std::pair<std::string, double>> buckets;
    double want;
  };
  const std::vector<std::pair<std::string, double>> h = {
      {"0.1", 10}, {"0.5", 20}, {"1", 40}, {"+Inf", 50}};
  const std::vector<Case> cases = {
      {0.5, h, 0.625},  // rank 25 in (0.5, 1]: 0.5 + 0.5 * 5/20
      {0.1, h, 0.05},   // rank 5 in the first bucket, interpolated from 0
      {0, h, 0},
      {0.99, h, 1},  // in +Inf: the largest finite bound
      {1, h, 1},
      {-0.5, h, -kInf},
      {1.5, h, kInf},
      {kNaN, h, kNaN},
      // Unsorted input, different spellings of one bound (coalesced), "+inf".
      {0.5, {{"+inf", 50}, {"1e0", 40}, {".5", 10}, {"5e-1", 10}, {"0.1", 10}}, 0.625},
      // First bucket with a negative bound: its bound is the answer.
      {0.1, {{"-1", 10}, {"0", 20}, {"+Inf", 20}}, -1},
      // No +Inf bucket.
      {0.5, {{"0.1", 10}, {"1", 20}}, kNaN},
      // Only +Inf, or no observations.
      {0.5, {{"+Inf", 10}}, kNaN},
      {0.5, {{"1", 0}, {"+Inf", 0}}, kNaN},
  };
  for (const Case& c : cases) {
    Vector in = Buckets(c.buckets, {{"job", "a"}});
    StepRun run = RunStep("histogram_quantile(0.5, h_bucket)", {c.q, &in});
    CS_ASSERT_OK(run.status);
    ASSERT_EQ(run.out.size(), 1u) << c.q;
    ExpectValue(run.out[0].v, c.want, "histogram_quantile " + std::to_string(c.q));
    EXPECT_EQ(run.out[0].labels, (Labels{{"job", "a"}}));
    bool invalid_q = std::isnan(c.q) || c.q < 0 || c.q > 1;
    EXPECT_EQ(run.annotations.warnings().size(), invalid_q ? 1u : 0u) << c.q;
  }
}

TEST(FunctionsEvalHistogramTest, QuantileGroupsAndAnnotations) {
  Vector in = Buckets({{"1", 1}, {"+Inf", 2}}, {{"job", "a"}});
  Vector b = Buckets({{"1", 3}, {"+Inf", 4}}, {{"job", "b"}});
  in.insert(in.end(), b.begin(), b.end());
  in.push_back(S({{"__name__", "h_bucket"}, {"job", "c"}, {"le", "Hello World"}}, 1));
  StepRun run = RunStep("histogram_quantile(0.5, h_bucket)", {0.5, &in});
  CS_ASSERT_OK(run.status);
  ASSERT_EQ(run.out.size(), 2u);
  EXPECT_EQ(run.out[0].labels, (Labels{{"job", "a"}}));
  EXPECT_DOUBLE_EQ(run.out[0].v, 1);
  EXPECT_EQ(run.out[1].labels, (Labels{{"job", "b"}}));
  EXPECT_DOUBLE_EQ(run.out[1].v, 2.0 / 3);
  EXPECT_THAT(run.annotations.warnings(),
              ElementsAre("PromQL warning: bucket label \"le\" is missing or has a malformed "
                          "value of \"Hello World\" for metric name \"h_bucket\" (1:25)"));

  // Without a metric name the warning names none.
  Vector unnamed = {S({{"le", "x"}}, 1)};
  EXPECT_THAT(RunStep("histogram_quantile(0.5, h_bucket)", {0.5, &unnamed}).annotations.warnings(),
              ElementsAre("PromQL warning: bucket label \"le\" is missing or has a malformed "
                          "value of \"x\" (1:25)"));

  // Decreasing bucket counts are fixed up (0.5 -> 10) and reported.
  Vector nonmonotonic = Buckets({{"0.1", 10}, {"0.5", 8}, {"1", 20}, {"+Inf", 20}});
  StepRun fixed = RunStep("histogram_quantile(0.5, h_bucket)", {0.5, &nonmonotonic});
  ASSERT_EQ(fixed.out.size(), 1u);
  EXPECT_DOUBLE_EQ(fixed.out[0].v, 0.1);  // rank 10 reached by the first bucket
  ASSERT_EQ(fixed.annotations.infos().size(), 1u);
  EXPECT_THAT(fixed.annotations.infos()[0],
              HasSubstr("PromQL info: input to histogram_quantile needed to be fixed for "
                        "monotonicity"));
  // Float noise is smoothed silently.
  Vector noisy = Buckets({{"0.1", 10}, {"0.5", 10 - 1e-15}, {"1", 20}, {"+Inf", 20}});
  EXPECT_TRUE(RunStep("histogram_quantile(0.5, h_bucket)", {0.5, &noisy}).annotations.empty());

  // Two metric names with the same other labels collide once the name is dropped.
  Vector two_names = Buckets({{"1", 1}, {"+Inf", 2}});
  Vector other = Buckets({{"1", 1}, {"+Inf", 2}});
  for (Sample& s : other) SetLabel(s.labels, "__name__", "h2_bucket");
  two_names.insert(two_names.end(), other.begin(), other.end());
  EXPECT_THAT(RunStep("histogram_quantile(0.5, h_bucket)", {0.5, &two_names}).status,
              StatusIs(absl::StatusCode::kFailedPrecondition));

  // The quantile warning comes even without input.
  Vector none;
  StepRun empty = RunStep("histogram_quantile(NaN, h_bucket)", {kNaN, &none});
  EXPECT_THAT(empty.annotations.warnings(),
              ElementsAre("PromQL warning: quantile value should be between 0 and 1, got NaN "
                          "(1:20)"));
}

TEST(FunctionsEvalHistogramTest, Quantiles) {
  Vector in = Buckets({{"0.1", 10}, {"0.5", 20}, {"1", 40}, {"+Inf", 50}}, {{"job", "a"}});
  StepRun run = RunStep("histogram_quantiles(h_bucket, \"q\", 0, 0.5)", {&in, "q", 0.0, 0.5});
  CS_ASSERT_OK(run.status);
  ASSERT_EQ(run.out.size(), 2u);
  EXPECT_EQ(run.out[0].labels, (Labels{{"job", "a"}, {"q", "0.0"}}));
  EXPECT_EQ(run.out[0].v, 0);
  EXPECT_EQ(run.out[1].labels, (Labels{{"job", "a"}, {"q", "0.5"}}));
  EXPECT_DOUBLE_EQ(run.out[1].v, 0.625);
  StepRun labels =
      RunStep("histogram_quantiles(h_bucket, \"q\", 0, 0.5)", {&in, "q", 1.0, 0.00001, kNaN});
  CS_ASSERT_OK(labels.status);
  EXPECT_THAT(LabelValues(labels.out, "q"), ElementsAre("1.0", "1e-05", "NaN"));
  // Writing the quantile into an existing label that told histograms apart breaks uniqueness.
  Vector two = Buckets({{"1", 1}, {"+Inf", 2}}, {{"job", "a"}});
  Vector b = Buckets({{"1", 1}, {"+Inf", 2}}, {{"job", "b"}});
  two.insert(two.end(), b.begin(), b.end());
  EXPECT_THAT(RunStep("histogram_quantiles(h_bucket, \"job\", 0.5)", {&two, "job", 0.5}).status,
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(FunctionsEvalHistogramTest, Fraction) {
  struct Case {
    double lower, upper;
    std::vector<std::pair<std::string, double>> buckets;
    double want;
  };
  const std::vector<std::pair<std::string, double>> pos = {
      {"1", 1}, {"2", 3}, {"3", 6}, {"+Inf", 100}};
  const std::vector<std::pair<std::string, double>> neg = {
      {"-3", 10}, {"-2", 12}, {"-1", 15}, {"+Inf", 100}};
  const std::vector<Case> cases = {
      {0, 1.5, pos, 0.02},  // [0, 1] whole (1) + half of (1, 2] (1)
      {-kInf, kInf, pos, 1},
      {3, kInf, pos, 0.94},       // the +Inf bucket whole
      {400, kInf, pos, 0.94},     // ... also from above the last finite bound (histograms.test)
      {3, 1e9, pos, 0},           // the +Inf bucket counts only when the range reaches +Inf
      {-4, -2, neg, 0.02},        // (-Inf, -3] not covered whole: only (-3, -2]
      {-kInf, -1.5, neg, 0.135},  // 10 + 2 + 1.5
      {2, 2, pos, 0},
      {3, 1, pos, 0},
      {kNaN, 1, pos, kNaN},
      {0, 1, {{"1", 0}, {"+Inf", 0}}, kNaN},
      {0, 1, {{"1", 1}, {"2", 2}}, kNaN},  // no +Inf bucket
  };
  for (const Case& c : cases) {
    Vector in = Buckets(c.buckets);
    StepRun run = RunStep("histogram_fraction(0, 1, h_bucket)", {c.lower, c.upper, &in});
    CS_ASSERT_OK(run.status);
    ASSERT_EQ(run.out.size(), 1u);
    ExpectValue(run.out[0].v, c.want,
                "histogram_fraction " + std::to_string(c.lower) + " " + std::to_string(c.upper));
    EXPECT_TRUE(run.out[0].labels.empty());
  }
}

TEST(FunctionsEvalHistogramTest, NativeOnlyFunctionsIgnoreFloats) {
  Vector in = Buckets({{"1", 1}, {"+Inf", 2}});
  for (const char* f : {"histogram_count", "histogram_sum", "histogram_avg", "histogram_stddev",
                        "histogram_stdvar"}) {
    StepRun run = RunStep(std::string(f) + "(h_bucket)", {&in});
    CS_ASSERT_OK(run.status);
    EXPECT_TRUE(run.out.empty()) << f;
  }
}

TEST(FunctionsEvalInternalTest, GoFormatG) {
  struct Case {
    double v;
    std::string want;
  };
  for (const Case& c : std::vector<Case>{{2, "2"},
                                         {-1, "-1"},
                                         {1.1, "1.1"},
                                         {0.0001, "0.0001"},
                                         {0.00001, "1e-05"},
                                         {123456, "123456"},
                                         {1e6, "1e+06"},
                                         {1234567, "1.234567e+06"},
                                         {kNaN, "NaN"},
                                         {kInf, "+Inf"},
                                         {-kInf, "-Inf"}}) {
    EXPECT_EQ(internal::GoFormatG(c.v), c.want) << c.want;
  }
}

TEST(FunctionsEvalInternalTest, ParseGoFloat) {
  struct Case {
    std::string in;
    bool ok;
    double want;
  };
  for (const Case& c :
       std::vector<Case>{{"0.1", true, 0.1},    {".2", true, 0.2},      {"1e0", true, 1},
                         {"2.0e-1", true, 0.2}, {"1.", true, 1},        {"-3", true, -3},
                         {"+Inf", true, kInf},  {"+inf", true, kInf},   {"-Infinity", true, -kInf},
                         {"NaN", true, kNaN},   {"0x1p-2", true, 0.25}, {"", false, 0},
                         {" 1", false, 0},      {"1 ", false, 0},       {"Hello World", false, 0},
                         {"1_000", false, 0},   {"0x10", false, 0},     {"+-1", false, 0},
                         {"1e400", false, 0},   {"infx", false, 0}}) {
    double v = 0;
    ASSERT_EQ(internal::ParseGoFloat(c.in, &v), c.ok) << "\"" << c.in << "\"";
    if (c.ok) ExpectValue(v, c.want, c.in);
  }
}

}  // namespace
}  // namespace cardinalsin::promql
