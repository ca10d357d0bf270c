// Engine mechanics: lookback and staleness, offset and @, subquery step alignment, vector
// matching errors, set operators, aggregations' float semantics, delayed name removal, the
// sample limit, deadline and cancellation, and what the engine asks the Querier for. The
// conformance corpus (conformance_test.cc) covers the language broadly; these cases pin down the
// mechanisms with small hand-computed data.
#include "promql/engine.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/testing/status_matchers.h"
#include "base/thread_pool.h"
#include "promql/parser.h"
#include "promql/testing/memory_querier.h"

namespace cardinalsin::promql {
namespace {

using ::cardinalsin::base::testing::StatusIs;
using ::testing::HasSubstr;

constexpr int64_t kSec = 1000;
constexpr int64_t kMin = 60 * kSec;

// Records the hints of every Select and forwards to a MemoryQuerier.
class RecordingQuerier final : public Querier {
 public:
  explicit RecordingQuerier(testing::MemoryQuerier& inner) : inner_(inner) {}
  absl::StatusOr<Matrix> Select(const SelectHints& hints,
                                std::span<const LabelMatcher> matchers) override {
    hints_.push_back(hints);
    return inner_.Select(hints, matchers);
  }
  const std::vector<SelectHints>& hints() const { return hints_; }

 private:
  testing::MemoryQuerier& inner_;
  std::vector<SelectHints> hints_;
};

std::string Format(const Value& v) {
  if (const Scalar* s = std::get_if<Scalar>(&v)) return absl::StrFormat("scalar %g", s->v);
  if (const String* s = std::get_if<String>(&v)) return "string " + s->v;
  std::string out;
  if (const Vector* vec = std::get_if<Vector>(&v)) {
    for (const Sample& s : *vec) {
      if (!out.empty()) out += " ";
      out += absl::StrFormat("%s=%g", LabelsToString(s.labels), s.v);
    }
    return out;
  }
  for (const Series& s : std::get<Matrix>(v)) {
    if (!out.empty()) out += " ";
    out += LabelsToString(s.labels) + "=[";
    for (size_t i = 0; i < s.points.size(); ++i) {
      if (i > 0) out += ",";
      out += absl::StrFormat("%g@%d", s.points[i].v, s.points[i].t / kSec);
    }
    out += "]";
  }
  return out;
}

class EngineTest : public ::testing::Test {
 protected:
  EngineTest() : engine_(EngineOptions{}) {
    // a: 1, 2, 3 at 0s, 30s, 60s; then a staleness marker at 90s.
    data_.Add({{"__name__", "a"}, {"job", "x"}},
              std::vector<FPoint>{{0, 1}, {30 * kSec, 2}, {60 * kSec, 3}, {90 * kSec, StaleNaN()}});
    // c: counter 0, 10, ..., one sample every 10s for 10m.
    std::vector<FPoint> c;
    for (int64_t i = 0; i <= 60; ++i) c.push_back({i * 10 * kSec, static_cast<double>(i * 10)});
    data_.Add({{"__name__", "c_total"}, {"job", "x"}}, c);
    // m: many-side and one-side series for matching.
    data_.Add({{"__name__", "m"}, {"job", "x"}, {"i", "1"}}, std::vector<FPoint>{{0, 1}});
    data_.Add({{"__name__", "m"}, {"job", "x"}, {"i", "2"}}, std::vector<FPoint>{{0, 2}});
    data_.Add({{"__name__", "o"}, {"job", "x"}}, std::vector<FPoint>{{0, 10}});
  }

  absl::StatusOr<std::string> Instant(std::string_view query, int64_t t,
                                      const QueryOptions& options = {}) {
    CS_ASSIGN_OR_RETURN(ExprPtr expr, ParseExpr(query));
    CS_ASSIGN_OR_RETURN(QueryResult r, engine_.InstantQuery(data_, *expr, t, options));
    return Format(r.value);
  }
  absl::StatusOr<std::string> Range(std::string_view query, int64_t start, int64_t end,
                                    int64_t step) {
    CS_ASSIGN_OR_RETURN(ExprPtr expr, ParseExpr(query));
    CS_ASSIGN_OR_RETURN(QueryResult r, engine_.RangeQuery(data_, *expr, start, end, step, {}));
    return Format(r.value);
  }

  testing::MemoryQuerier data_;
  Engine engine_;
};

struct InstantCase {
  std::string query;
  int64_t t;
  std::string want;
};

TEST_F(EngineTest, InstantQueries) {
  const InstantCase cases[] = {
      // Lookback: the latest sample at or before t, if newer than t - 5m (left-open).
      {"a", 45 * kSec, R"({__name__="a", job="x"}=2)"},
      {"a", 30 * kSec, R"({__name__="a", job="x"}=2)"},
      {"a", 89 * kSec, R"({__name__="a", job="x"}=3)"},
      // The staleness marker at 90s ends the series at once.
      {"a", 90 * kSec, ""},
      {"a", 200 * kSec, ""},
      // Offset and negative offset move the lookup time.
      {"a offset 30s", 45 * kSec, R"({__name__="a", job="x"}=1)"},
      {"a offset -30s", 15 * kSec, R"({__name__="a", job="x"}=2)"},
      // @ pins the lookup time; offset applies relative to it.
      {"a @ 60", 1000 * kSec, R"({__name__="a", job="x"}=3)"},
      {"a @ 60 offset 30s", 1000 * kSec, R"({__name__="a", job="x"}=2)"},
      {"a @ end()", 30 * kSec, R"({__name__="a", job="x"}=2)"},
      // Lookback is left-open: a sample exactly 5m old is not seen.
      {"c_total", 15 * kMin, ""},
      {"c_total", 15 * kMin - 1, R"({__name__="c_total", job="x"}=600)"},
      // Range windows are left-open: (t-1m, t] holds 6 samples.
      {"count_over_time(c_total[1m])", 5 * kMin, R"({job="x"}=6)"},
      {"last_over_time(c_total[1m])", 5 * kMin, R"({__name__="c_total", job="x"}=300)"},
      // Subquery steps align to absolute multiples of the step: at 95s, [1m:20s] evaluates at
      // 40s, 60s, 80s (not 35s, 55s, 75s, 95s).
      {"count_over_time(a[1m:20s])", 95 * kSec, R"({job="x"}=3)"},
      {"sum_over_time(a[1m:20s])", 95 * kSec, R"({job="x"}=8)"},
      // Nested subqueries with their own alignment.
      {"max_over_time(count_over_time(a[1m:20s])[1m:30s])", 95 * kSec, R"({job="x"}=3)"},
      // Scalars, strings, and a range vector as an instant result.
      {"1 + 2 * 3", 0, "scalar 7"},
      {"\"hello\"", 0, "string hello"},
      {"a[1m]", 60 * kSec, R"({__name__="a", job="x"}=[2@30,3@60])"},
      // Arithmetic drops the name at the end; comparisons keep it; bool drops it.
      {"a * 2", 60 * kSec, R"({job="x"}=6)"},
      {"a > 1", 60 * kSec, R"({__name__="a", job="x"}=3)"},
      {"a > bool 5", 60 * kSec, R"({job="x"}=0)"},
      {"1 < a", 60 * kSec, R"({__name__="a", job="x"}=3)"},
      // Many-to-one with group_left and include labels.
      {"m * on(job) group_left o", 0, R"({i="1", job="x"}=10 {i="2", job="x"}=20)"},
      {"o / on(job) group_right m", 0, R"({i="1", job="x"}=10 {i="2", job="x"}=5)"},
      // Set operators.
      {"m and on(job) o", 0,
       R"({__name__="m", i="1", job="x"}=1 {__name__="m", i="2", job="x"}=2)"},
      {"m unless on(i) o", 0,
       R"({__name__="m", i="1", job="x"}=1 {__name__="m", i="2", job="x"}=2)"},
      {"o or m", 0,
       R"({__name__="m", i="1", job="x"}=1 {__name__="m", i="2", job="x"}=2 {__name__="o", job="x"}=10)"},
      // Aggregations.
      {"sum(m)", 0, "{}=3"},
      {"avg by (job) (m)", 0, R"({job="x"}=1.5)"},
      {"count without (i) (m)", 0, R"({job="x"}=2)"},
      {"stddev(m)", 0, "{}=0.5"},
      {"quantile(0.5, m)", 0, "{}=1.5"},
      {"topk(1, m)", 0, R"({__name__="m", i="2", job="x"}=2)"},
      {"bottomk(1, m)", 0, R"({__name__="m", i="1", job="x"}=1)"},
      {"count_values(\"v\", m)", 0, R"({v="1"}=1 {v="2"}=1)"},
      // limit_ratio(r) and limit_ratio(-(1 - r)) split the series into complementary sets.
      {"count(limit_ratio(0.3, m) or limit_ratio(-0.7, m))", 0, "{}=2"},
      {"limit_ratio(0.3, m) and limit_ratio(-0.7, m)", 0, ""},
      {"sum by (__name__) (m)", 0, R"({__name__="m"}=3)"},
      // Fill modifiers stand in for the missing side; an rhs-only result gets the match group.
      {"m + on(i) fill_right(100) o", 0, R"({i="1"}=101 {i="2"}=102)"},
      {"m + on(i) fill(5) o", 0, R"({}=15 {i="1"}=6 {i="2"}=7)"},
      // smoothed interpolates between the samples around t.
      {"a smoothed", 45 * kSec, R"({__name__="a", job="x"}=2.5)"},
  };
  for (const InstantCase& c : cases) {
    absl::StatusOr<std::string> got = Instant(c.query, c.t);
    ASSERT_TRUE(got.ok()) << c.query << ": " << got.status();
    EXPECT_EQ(*got, c.want) << c.query << " at " << c.t;
  }
}

TEST_F(EngineTest, InfoAddsDataLabelsOfMatchingInfoSeries) {
  testing::MemoryQuerier q;
  q.Add({{"__name__", "up"}, {"instance", "a"}, {"job", "j"}},
        std::vector<FPoint>{{0, 1}, {60 * kSec, 1}});
  q.Add({{"__name__", "up"}, {"instance", "b"}, {"job", "j"}}, std::vector<FPoint>{{0, 1}});
  // The version changes at 60s.
  q.Add({{"__name__", "target_info"}, {"instance", "a"}, {"job", "j"}, {"version", "1"}},
        std::vector<FPoint>{{0, 1}, {60 * kSec, StaleNaN()}});
  q.Add({{"__name__", "target_info"}, {"instance", "a"}, {"job", "j"}, {"version", "2"}},
        std::vector<FPoint>{{60 * kSec, 1}});
  const struct {
    std::string query;
    std::string want;
  } cases[] = {
      // b has no info series: kept unchanged, unless a data matcher needs a value.
      {"info(up)", R"({__name__="up", instance="a", job="j", version="1"}=[1@0] )"
                   R"({__name__="up", instance="a", job="j", version="2"}=[1@60] )"
                   R"({__name__="up", instance="b", job="j"}=[1@0,1@60])"},
      {"info(up, {version=~\".+\"})",
       R"({__name__="up", instance="a", job="j", version="1"}=[1@0] )"
       R"({__name__="up", instance="a", job="j", version="2"}=[1@60])"},
      // The info series are read at the base sample's time: @ 0 pins version 1.
      {"info(up @ 0)", R"({__name__="up", instance="a", job="j", version="1"}=[1@0,1@60] )"
                       R"({__name__="up", instance="b", job="j"}=[1@0,1@60])"},
  };
  for (const auto& c : cases) {
    CS_ASSERT_OK_AND_ASSIGN(ExprPtr expr, ParseExpr(c.query));
    CS_ASSERT_OK_AND_ASSIGN(QueryResult r, engine_.RangeQuery(q, *expr, 0, kMin, kMin, {}));
    EXPECT_EQ(Format(r.value), c.want) << c.query;
  }
}

TEST_F(EngineTest, AggregationFloatSemantics) {
  testing::MemoryQuerier q;
  q.Add({{"__name__", "k"}, {"i", "1"}}, std::vector<FPoint>{{0, 1e308}});
  q.Add({{"__name__", "k"}, {"i", "2"}}, std::vector<FPoint>{{0, 1e308}});
  q.Add({{"__name__", "k"}, {"i", "3"}}, std::vector<FPoint>{{0, -1e308}});
  q.Add({{"__name__", "s"}, {"i", "1"}}, std::vector<FPoint>{{0, 1e100}});
  q.Add({{"__name__", "s"}, {"i", "2"}}, std::vector<FPoint>{{0, 1.0}});
  q.Add({{"__name__", "s"}, {"i", "3"}}, std::vector<FPoint>{{0, -1e100}});
  q.Add({{"__name__", "n"}, {"i", "1"}}, std::vector<FPoint>{{0, NAN}});
  q.Add({{"__name__", "n"}, {"i", "2"}}, std::vector<FPoint>{{0, 5}});
  struct Case {
    std::string query;
    double want;
  };
  const Case cases[] = {
      // avg falls back to an incremental mean when the sum would overflow.
      {"avg(k)", 1e308 / 3},
      // Kahan-Neumaier summation keeps the small term.
      {"sum(s)", 1.0},
      // min/max replace a NaN by any number, so NaN only wins when alone.
      {"max(n)", 5},
      {"min(n)", 5},
  };
  for (const Case& c : cases) {
    CS_ASSERT_OK_AND_ASSIGN(ExprPtr expr, ParseExpr(c.query));
    CS_ASSERT_OK_AND_ASSIGN(QueryResult r, engine_.InstantQuery(q, *expr, 0, {}));
    const Vector& v = std::get<Vector>(r.value);
    ASSERT_EQ(v.size(), 1u) << c.query;
    EXPECT_NEAR(v[0].v, c.want, std::fabs(c.want) * 1e-12) << c.query;
  }
}

TEST_F(EngineTest, RangeQueries) {
  const struct {
    std::string query;
    int64_t start, end, step;
    std::string want;
  } cases[] = {
      {"a", 0, 120 * kSec, 30 * kSec, R"({__name__="a", job="x"}=[1@0,2@30,3@60])"},
      {"a offset 30s", 0, 120 * kSec, 30 * kSec, R"({__name__="a", job="x"}=[1@30,2@60,3@90])"},
      {"a @ 30", 0, 60 * kSec, 30 * kSec, R"({__name__="a", job="x"}=[2@0,2@30,2@60])"},
      {"time()", 0, 60 * kSec, 30 * kSec, "{}=[0@0,30@30,60@60]"},
      {"rate(c_total[1m])", 60 * kSec, 120 * kSec, 30 * kSec, R"({job="x"}=[1@60,1@90,1@120])"},
      // The same subquery in a range query aligns to multiples of its step.
      {"count_over_time(a[1m:20s])", 95 * kSec, 115 * kSec, 20 * kSec, R"({job="x"}=[3@95,2@115])"},
      // `or` over differently named, name-dropped series merges them after the names go.
      {"-a or -c_total", 0, 120 * kSec, 30 * kSec,
       R"({job="x"}=[-1@0,-2@30,-3@60,-90@90,-120@120])"},
  };
  for (const auto& c : cases) {
    absl::StatusOr<std::string> got = Range(c.query, c.start, c.end, c.step);
    ASSERT_TRUE(got.ok()) << c.query << ": " << got.status();
    EXPECT_EQ(*got, c.want) << c.query;
  }
}

TEST_F(EngineTest, Errors) {
  const struct {
    std::string query;
    absl::StatusCode code;
    std::string message;
  } cases[] = {
      {"m + o", absl::StatusCode::kOk, ""},  // no match: empty, not an error
      {"m + on(job) o", absl::StatusCode::kFailedPrecondition,
       "multiple matches for labels: many-to-one matching must be explicit "
       "(group_left/group_right)"},
      {"o + on(job) m", absl::StatusCode::kFailedPrecondition,
       "found duplicate series for the match group {job=\"x\"} on the right hand-side of the "
       "operation: [{__name__=\"m\", i=\"1\", job=\"x\"}, {__name__=\"m\", i=\"2\", job=\"x\"}]"
       ";many-to-many matching not allowed: matching labels must be unique on one side"},
      {"m * on(job) group_left o * on(job) group_left m", absl::StatusCode::kFailedPrecondition,
       "found duplicate series"},
      {"label_replace(m, \"i\", \"same\", \"i\", \".*\")", absl::StatusCode::kFailedPrecondition,
       "vector cannot contain metrics with the same labelset"},
      {"sum by (__name__) (-{job=\"x\"})", absl::StatusCode::kFailedPrecondition,
       "vector cannot contain metrics with the same labelset"},
      {"topk(NaN, m)", absl::StatusCode::kFailedPrecondition, "Parameter value is NaN"},
  };
  for (const auto& c : cases) {
    absl::StatusOr<std::string> got = Instant(c.query, 60 * kSec);
    EXPECT_EQ(got.status().code(), c.code) << c.query << ": " << got.status();
    if (!got.ok()) {
      EXPECT_THAT(std::string(got.status().message()), HasSubstr(c.message));
    }
  }
}

TEST_F(EngineTest, RangeQueryParameters) {
  CS_ASSERT_OK_AND_ASSIGN(ExprPtr expr, ParseExpr("a"));
  EXPECT_EQ(engine_.RangeQuery(data_, *expr, 0, 10, 0, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_.RangeQuery(data_, *expr, 10, 0, 1, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_.RangeQuery(data_, *expr, 0, 11000, 1, {}).status().code(),
            absl::StatusCode::kInvalidArgument);  // 11001 points
  CS_EXPECT_OK(engine_.RangeQuery(data_, *expr, 0, 10999, 1, {}));
  // Times that would overflow once shifted are refused.
  EXPECT_EQ(engine_.RangeQuery(data_, *expr, -(int64_t{1} << 62), 0, int64_t{1} << 60, {})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  CS_ASSERT_OK_AND_ASSIGN(ExprPtr far, ParseExpr("a offset -200000000y"));
  EXPECT_EQ(engine_.InstantQuery(data_, *far, int64_t{1} << 59, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  CS_ASSERT_OK_AND_ASSIGN(ExprPtr matrix, ParseExpr("a[1m]"));
  absl::Status st = engine_.RangeQuery(data_, *matrix, 0, 10, 1, {}).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(st.message()), HasSubstr("invalid expression type \"range vector\""));
}

TEST_F(EngineTest, MaxSamples) {
  EngineOptions options;
  options.max_samples = 50;
  Engine small(options);
  CS_ASSERT_OK_AND_ASSIGN(ExprPtr fits, ParseExpr("c_total"));
  CS_EXPECT_OK(small.RangeQuery(data_, *fits, 0, 40 * kSec, 10 * kSec, {}));
  // 61 samples in one window.
  CS_ASSERT_OK_AND_ASSIGN(ExprPtr big, ParseExpr("count_over_time(c_total[20m])"));
  absl::Status st = small.InstantQuery(data_, *big, 10 * kMin, {}).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(st.message(),
            "query processing would load too many samples into memory in query execution");
  // 61 steps of output.
  st = small.RangeQuery(data_, *fits, 0, 10 * kMin, 10 * kSec, {}).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kResourceExhausted);
  // A subquery with more steps than the limit is refused before it is evaluated.
  CS_ASSERT_OK_AND_ASSIGN(ExprPtr subquery, ParseExpr("count_over_time(vector(1)[1h:1s])"));
  st = small.InstantQuery(data_, *subquery, 10 * kMin, {}).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kResourceExhausted);
}

// Range functions over many series are split across the evaluation pool: the result, the
// annotations and the samples limit are those of one pass.
TEST_F(EngineTest, RangeFunctionsOverManySeriesGiveTheSameResultOnAPool) {
  testing::MemoryQuerier q;
  for (int i = 0; i < 5000; ++i) {
    std::vector<FPoint> points;
    for (int k = 0; k < 40; ++k) {
      // Counters with resets, some series ending early; every 7th is named like a gauge, so
      // that rate() annotates it.
      const double v = (k * (i % 13 + 1)) % (97 + i % 5);
      if (i % 11 == 0 && k > 20) break;
      points.push_back({k * 15 * kSec, v});
    }
    q.Add({{"__name__", i % 7 == 0 ? "m_gauge" : "m_total"}, {"i", absl::StrCat(i)}}, points);
  }
  base::ThreadPool pool(3);
  EngineOptions pooled_options;
  pooled_options.pool = &pool;
  Engine pooled(pooled_options);
  for (const char* query :
       {"rate({__name__=~\"m_.*\"}[1m])", "sum(increase({__name__=~\"m_.*\"}[2m]))",
        "quantile_over_time(0.9, m_total[3m])", "predict_linear(m_total[5m], 60)"}) {
    SCOPED_TRACE(query);
    CS_ASSERT_OK_AND_ASSIGN(ExprPtr expr, ParseExpr(query));
    CS_ASSERT_OK_AND_ASSIGN(QueryResult want,
                            engine_.RangeQuery(q, *expr, 0, 10 * kMin, 30 * kSec, {}));
    CS_ASSERT_OK_AND_ASSIGN(QueryResult got,
                            pooled.RangeQuery(q, *expr, 0, 10 * kMin, 30 * kSec, {}));
    EXPECT_EQ(Format(got.value), Format(want.value));
    EXPECT_EQ(got.annotations.warnings(), want.annotations.warnings());
    EXPECT_EQ(got.annotations.infos(), want.annotations.infos());
    EXPECT_EQ(got.stats.peak_samples, want.stats.peak_samples);
  }
  EngineOptions small_options = pooled_options;
  small_options.max_samples = 20000;
  Engine small(small_options);
  CS_ASSERT_OK_AND_ASSIGN(ExprPtr big, ParseExpr("rate(m_total[1m])"));
  EXPECT_THAT(small.RangeQuery(q, *big, 0, 10 * kMin, 30 * kSec, {}),
              StatusIs(absl::StatusCode::kResourceExhausted));
}

// A Querier whose storage has something to say about its selections.
class WarningQuerier final : public Querier {
 public:
  explicit WarningQuerier(testing::MemoryQuerier& inner) : inner_(inner) {}
  absl::StatusOr<Matrix> Select(const SelectHints& hints,
                                std::span<const LabelMatcher> matchers) override {
    return inner_.Select(hints, matchers);
  }
  std::vector<std::string> Warnings() const override {
    return {"ingester ing-2 did not answer: recent samples may be missing"};
  }

 private:
  testing::MemoryQuerier& inner_;
};

TEST_F(EngineTest, StorageWarningsBecomeWarningAnnotations) {
  WarningQuerier q(data_);
  CS_ASSERT_OK_AND_ASSIGN(ExprPtr expr, ParseExpr("sum(rate(c_total[1m]))"));
  CS_ASSERT_OK_AND_ASSIGN(QueryResult instant, engine_.InstantQuery(q, *expr, 10 * kMin, {}));
  EXPECT_THAT(instant.annotations.warnings(), ::testing::ElementsAre(HasSubstr("ing-2")));
  CS_ASSERT_OK_AND_ASSIGN(QueryResult range,
                          engine_.RangeQuery(q, *expr, 0, 10 * kMin, 30 * kSec, {}));
  EXPECT_THAT(range.annotations.warnings(), ::testing::ElementsAre(HasSubstr("ing-2")));
}

TEST_F(EngineTest, DeadlineAndCancellation) {
  CS_ASSERT_OK_AND_ASSIGN(ExprPtr expr, ParseExpr("sum(rate(c_total[1m]))"));
  QueryOptions past;
  past.deadline = absl::Now() - absl::Seconds(1);
  EXPECT_EQ(engine_.RangeQuery(data_, *expr, 0, 10 * kMin, kSec, past).status().code(),
            absl::StatusCode::kDeadlineExceeded);
  std::atomic<bool> cancelled{true};
  QueryOptions cancel;
  cancel.cancelled = &cancelled;
  EXPECT_EQ(engine_.InstantQuery(data_, *expr, 0, cancel).status().code(),
            absl::StatusCode::kCancelled);
}

// Sets a cancellation flag when the engine reads series, so cancellation is seen while
// evaluating, not before.
class CancellingQuerier final : public Querier {
 public:
  CancellingQuerier(testing::MemoryQuerier& inner, std::atomic<bool>& flag)
      : inner_(inner), flag_(flag) {}
  absl::StatusOr<Matrix> Select(const SelectHints& hints,
                                std::span<const LabelMatcher> matchers) override {
    flag_.store(true);
    return inner_.Select(hints, matchers);
  }

 private:
  testing::MemoryQuerier& inner_;
  std::atomic<bool>& flag_;
};

TEST_F(EngineTest, CancellationIsPolledDuringEvaluation) {
  std::atomic<bool> cancelled{false};
  CancellingQuerier querier(data_, cancelled);
  QueryOptions options;
  options.cancelled = &cancelled;
  CS_ASSERT_OK_AND_ASSIGN(ExprPtr expr, ParseExpr("sum(rate(c_total[1m]))"));
  absl::Status st = engine_.RangeQuery(querier, *expr, 0, 10 * kMin, kSec, options).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(st.message(), "query was canceled in expression evaluation");
}

TEST_F(EngineTest, SelectsEachSelectorOnceWithCoveringHints) {
  RecordingQuerier rec(data_);
  CS_ASSERT_OK_AND_ASSIGN(
      ExprPtr expr,
      ParseExpr("rate(c_total[1m] offset 1m) + on(job) max_over_time(a[2m:30s] offset 30s)"));
  CS_ASSERT_OK(engine_.RangeQuery(rec, *expr, 10 * kMin, 20 * kMin, 15 * kSec, {}));
  ASSERT_EQ(rec.hints().size(), 2u);
  // rate: samples in (start - 1m - 1m, end - 1m].
  EXPECT_EQ(rec.hints()[0].start_ms, 8 * kMin);
  EXPECT_EQ(rec.hints()[0].end_ms, 19 * kMin);
  EXPECT_EQ(rec.hints()[0].range_ms, kMin);
  EXPECT_EQ(rec.hints()[0].func, "rate");
  EXPECT_EQ(rec.hints()[0].step_ms, 15 * kSec);
  // The subquery's inner selector: lookback before (start - 30s - 2m), up to end - 30s.
  EXPECT_EQ(rec.hints()[1].start_ms, 10 * kMin - 30 * kSec - 2 * kMin - 5 * kMin);
  EXPECT_EQ(rec.hints()[1].end_ms, 20 * kMin - 30 * kSec);
  EXPECT_EQ(rec.hints()[1].range_ms, 0);
}

// Hostile or degenerate queries end in a result or a clean error, never a crash or overflow
// (this test runs under ASan and UBSan in the debug preset).
TEST_F(EngineTest, HostileQueriesFailCleanly) {
  const struct {
    std::string query;
    int64_t t;
    absl::StatusCode code;
  } cases[] = {
      {"a offset 10000000y", 0, absl::StatusCode::kOk},
      {"a offset 100000000y", 0, absl::StatusCode::kInvalidArgument},
      {"a @ 100000000000000", 0, absl::StatusCode::kOk},
      // 9e18 ms + 9.15e18 ms overflows int64.
      {"a offset -290000000y @ 9000000000000000", 0, absl::StatusCode::kInvalidArgument},
      {"rate(a[10000000y])", 0, absl::StatusCode::kOk},
      {"rate(a[1ms])", 60 * kSec, absl::StatusCode::kOk},
      {"max_over_time(a[1000y:1ms])", 0, absl::StatusCode::kResourceExhausted},
      {"max_over_time(max_over_time(a[1h:1s])[1h:1s])", 60 * kSec, absl::StatusCode::kOk},
      {"topk(1e300, m)", 0, absl::StatusCode::kOk},
      {"bottomk(-Inf, m)", 0, absl::StatusCode::kOk},
      {"limitk(Inf, m)", 0, absl::StatusCode::kOk},
      {"limit_ratio(Inf, m)", 0, absl::StatusCode::kOk},
      {"limit_ratio(-Inf, m)", 0, absl::StatusCode::kOk},
      {"quantile(NaN, m)", 0, absl::StatusCode::kOk},
      {"count_values(\"v\", m / 0)", 0, absl::StatusCode::kOk},
      {"count_values(\"\", m)", 0, absl::StatusCode::kFailedPrecondition},
      {"m % 0 ^ -Inf atan2 NaN", 0, absl::StatusCode::kOk},
      {"info(m, {__name__=~\".*\"})", 0, absl::StatusCode::kOk},
      {"a smoothed", 45 * kSec, absl::StatusCode::kOk},
      {"increase(a[1m] anchored) + rate(a[1m] smoothed)", 95 * kSec, absl::StatusCode::kOk},
  };
  for (const auto& c : cases) {
    absl::StatusOr<std::string> got = Instant(c.query, c.t);
    EXPECT_EQ(got.status().code(), c.code) << c.query << ": " << got.status();
  }
}

TEST_F(EngineTest, LookbackOverride) {
  QueryOptions options;
  options.lookback_delta_ms = 10 * kSec;
  absl::StatusOr<std::string> got = Instant("a", 45 * kSec, options);
  CS_ASSERT_OK(got.status());
  EXPECT_EQ(*got, "");  // the sample at 30s is older than 10s
}

TEST_F(EngineTest, SortFunctionsKeepOrderAndWarnInRangeQueries) {
  CS_ASSERT_OK_AND_ASSIGN(ExprPtr expr, ParseExpr("sort_desc(m)"));
  CS_ASSERT_OK_AND_ASSIGN(QueryResult r, engine_.InstantQuery(data_, *expr, 0, {}));
  EXPECT_EQ(Format(r.value),
            R"({__name__="m", i="2", job="x"}=2 {__name__="m", i="1", job="x"}=1)");
  CS_ASSERT_OK_AND_ASSIGN(QueryResult rr, engine_.RangeQuery(data_, *expr, 0, kMin, kMin, {}));
  ASSERT_EQ(rr.annotations.warnings().size(), 1u);
  EXPECT_EQ(rr.annotations.warnings()[0],
            "PromQL warning: sort is ineffective for range queries since results are always "
            "ordered by labels (1:1)");
}

}  // namespace
}  // namespace cardinalsin::promql
