#include "promql/promqltest.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "base/testing/status_matchers.h"

namespace cardinalsin::promql::promqltest {
namespace {

using ::cardinalsin::base::testing::StatusIs;
using ::testing::HasSubstr;

std::vector<Point> Expand(std::string_view token) {
  std::vector<Point> points;
  absl::Status status = ExpandPoints(token, points);
  EXPECT_TRUE(status.ok()) << token << ": " << status;
  return points;
}

std::vector<double> Values(const std::vector<Point>& points) {
  std::vector<double> values;
  for (const Point& p : points) {
    values.push_back(p.kind == Point::Kind::kValue ? p.value : -12345);
  }
  return values;
}

TEST(PromqltestTest, ExpandsPointNotation) {
  EXPECT_EQ(Values(Expand("0+10x3")), (std::vector<double>{0, 10, 20, 30}));
  EXPECT_EQ(Values(Expand("10-2x2")), (std::vector<double>{10, 8, 6}));
  EXPECT_EQ(Values(Expand("-1-1x2")), (std::vector<double>{-1, -2, -3}));
  EXPECT_EQ(Values(Expand("5x2")), (std::vector<double>{5, 5, 5}));
  EXPECT_EQ(Values(Expand("0x2")), (std::vector<double>{0, 0, 0}));  // not hex
  EXPECT_EQ(Values(Expand("1e3")), (std::vector<double>{1000}));
  EXPECT_EQ(Values(Expand("1.5e-1+1e-1x1")), (std::vector<double>{0.15, 0.25}));
  EXPECT_EQ(Values(Expand("0")), (std::vector<double>{0}));
  EXPECT_TRUE(std::isinf(Expand("-Inf")[0].value));
  EXPECT_TRUE(std::isnan(Expand("NaN")[0].value));

  std::vector<Point> missing = Expand("_x3");
  ASSERT_EQ(missing.size(), 3u);
  EXPECT_EQ(missing[0].kind, Point::Kind::kMissing);
  EXPECT_EQ(Expand("_").size(), 1u);
  EXPECT_EQ(Expand("stale")[0].kind, Point::Kind::kStale);

  std::vector<Point> hist = Expand("{{schema:0 sum:1 count:1}}x2");
  ASSERT_EQ(hist.size(), 3u);
  EXPECT_EQ(hist[0].kind, Point::Kind::kHistogram);
  EXPECT_EQ(hist[0].histogram, "{{schema:0 sum:1 count:1}}");
  EXPECT_EQ(Expand("{{sum:1}}+{{sum:2}}x4").size(), 5u);

  for (std::string_view bad :
       {"x", "1+", "1+2", "1x", "1xa", "stalex2", "_x", "{{sum:1}", "1+2+3x4", "0+1x99999999999"}) {
    std::vector<Point> points;
    EXPECT_THAT(ExpandPoints(bad, points), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
}

constexpr std::string_view kFile = R"(# A comment.
load 5m
  http_requests{job="api", instance="0"} 0+10x2 _ stale
  {__name__="other", "a.b"="c"} 1 2

eval instant at 50m sum by (job) (http_requests)
  expect no_warn
  {job="api"} 20

eval range from 0 to 10m step 5m http_requests
  expect ordered
  http_requests{job="api", instance="0"} 0 10 _

eval instant at 1m some_metric[1m]
  expect range vector from 10s to 1m step 10s
  some_metric{env="a"} 2 3 4 5 6

eval instant at 0 ("Foo")
  expect string "Foo"

eval instant at 1.5 1 + 1
  2

eval_fail instant at 0 -{job="api"}

eval instant at 1m deriv(foo[3m] smoothed)
    expect fail msg: smoothed modifier can only be used with: delta, increase, rate - not with deriv
    expect warn regex: PromQL warning: .*
    expect info

clear
load_with_nhcb 1m
  h {{schema:0 sum:1 count:1}}x1
  s{type="x"}@st _ -30s-1mx2

eval instant at 0 h
  {} {{count:1 sum:1}}
)";

TEST(PromqltestTest, ReadsAWholeFile) {
  CS_ASSERT_OK_AND_ASSIGN(TestFile file, ParseTestFile("inline.test", kFile));
  ASSERT_EQ(file.commands.size(), 11u);

  const auto& load = std::get<LoadCommand>(file.commands[0]);
  EXPECT_EQ(load.line, 2);
  EXPECT_EQ(load.interval_ms, 5 * 60 * 1000);
  ASSERT_EQ(load.series.size(), 2u);
  EXPECT_EQ(load.series[0].labels,
            (Labels{{"__name__", "http_requests"}, {"instance", "0"}, {"job", "api"}}));
  ASSERT_EQ(load.series[0].points.size(), 5u);
  EXPECT_EQ(load.series[0].points[2].value, 20);
  EXPECT_EQ(load.series[0].points[3].kind, Point::Kind::kMissing);
  EXPECT_EQ(load.series[0].points[4].kind, Point::Kind::kStale);
  EXPECT_EQ(load.series[1].labels, (Labels{{"__name__", "other"}, {"a.b", "c"}}));
  EXPECT_TRUE(load.unsupported.empty());

  const auto& sum = std::get<EvalCommand>(file.commands[1]);
  EXPECT_EQ(sum.line, 6);
  EXPECT_FALSE(sum.range);
  EXPECT_EQ(sum.at_ms, 50 * 60 * 1000);
  EXPECT_EQ(sum.query, "sum by (job) (http_requests)");
  ASSERT_EQ(sum.expectations.size(), 1u);
  EXPECT_EQ(sum.expectations[0].kind, Expectation::Kind::kNoWarn);
  ASSERT_EQ(sum.expected_series.size(), 1u);
  EXPECT_EQ(sum.expected_series[0].labels, (Labels{{"job", "api"}}));
  EXPECT_EQ(Values(sum.expected_series[0].points), std::vector<double>{20});

  const auto& range = std::get<EvalCommand>(file.commands[2]);
  EXPECT_TRUE(range.range);
  EXPECT_EQ(range.start_ms, 0);
  EXPECT_EQ(range.end_ms, 10 * 60 * 1000);
  EXPECT_EQ(range.step_ms, 5 * 60 * 1000);
  EXPECT_TRUE(range.ordered);
  EXPECT_EQ(range.expected_series[0].points[2].kind, Point::Kind::kMissing);

  const auto& matrix = std::get<EvalCommand>(file.commands[3]);
  ASSERT_TRUE(matrix.range_vector.has_value());
  EXPECT_EQ(matrix.range_vector->start_ms, 10000);
  EXPECT_EQ(matrix.range_vector->end_ms, 60000);
  EXPECT_EQ(matrix.range_vector->step_ms, 10000);
  EXPECT_EQ(matrix.expected_series[0].points.size(), 5u);

  EXPECT_EQ(std::get<EvalCommand>(file.commands[4]).expected_string, "Foo");
  const auto& scalar = std::get<EvalCommand>(file.commands[5]);
  EXPECT_EQ(scalar.at_ms, 1500);
  EXPECT_EQ(scalar.expected_scalar, 2);

  const auto& eval_fail = std::get<EvalCommand>(file.commands[6]);
  EXPECT_TRUE(eval_fail.ExpectsFailure());
  EXPECT_EQ(eval_fail.query, "-{job=\"api\"}");

  const auto& expects = std::get<EvalCommand>(file.commands[7]);
  ASSERT_EQ(expects.expectations.size(), 3u);
  EXPECT_EQ(expects.expectations[0].message,
            "smoothed modifier can only be used with: delta, increase, rate - not with deriv");
  EXPECT_EQ(expects.expectations[1].kind, Expectation::Kind::kWarn);
  EXPECT_EQ(expects.expectations[1].regex, "PromQL warning: .*");
  EXPECT_EQ(expects.expectations[2].kind, Expectation::Kind::kInfo);

  EXPECT_EQ(std::get<ClearCommand>(file.commands[8]).line, 31);
  const auto& nhcb = std::get<LoadCommand>(file.commands[9]);
  EXPECT_TRUE(nhcb.with_nhcb);
  EXPECT_EQ(nhcb.series[0].points.size(), 2u);
  EXPECT_TRUE(nhcb.series[1].start_timestamps);
  EXPECT_EQ(nhcb.unsupported,
            (std::vector<std::string>{"native histogram points", "start timestamp (@st) series"}));
  EXPECT_EQ(std::get<EvalCommand>(file.commands[10]).unsupported,
            std::vector<std::string>{"native histogram points"});
}

TEST(PromqltestTest, CommentLinesEndABlock) {
  CS_ASSERT_OK_AND_ASSIGN(TestFile file, ParseTestFile("c.test",
                                                       "eval instant at 0 1\n  1\n"
                                                       "# next\neval instant at 0 2\n"
                                                       "  2\n"));
  ASSERT_EQ(file.commands.size(), 2u);
  EXPECT_EQ(std::get<EvalCommand>(file.commands[1]).expected_scalar, 2);
}

TEST(PromqltestTest, ErrorsNameFileAndLine) {
  struct Case {
    std::string_view content;
    std::string_view message;
  };
  const Case cases[] = {
      {"load 5m\n  foo 1 x\n", "bad.test:2: invalid point \"x\""},
      {"load five\n", "bad.test:1: expected `load <interval>`"},
      {"\n\nfrobnicate\n", "bad.test:3: unknown command \"frobnicate\""},
      {"eval sometimes at 0 1\n", "bad.test:1: expected \"instant\" or \"range\""},
      {"eval instant on 0 1\n", "bad.test:1: expected \"at\", got \"on\""},
      {"eval instant at 0\n", "bad.test:1: eval without a query"},
      {"eval range from 0 to 1m step 0 x\n", "bad.test:1: range eval step must be positive"},
      {"eval instant at 0 x\n  expect maybe\n", "bad.test:2: unknown expectation \"maybe\""},
      {"eval instant at 0 x\n  expect no_warn msg: a\n", "bad.test:2: expect no_warn takes no"},
      {"eval instant at 0 x\n  foo{a=~\"b\"} 1\n", "bad.test:2: series selector foo{a=~\"b\"}"},
      {"eval instant at 0 x\n  foo{a=\"b\" 1\n", "bad.test:2: unterminated '{' in series"},
      {"load 1m\n  foo{a=\"1\", a=\"2\"} 1\n", "bad.test:2: label a appears twice"},
      {"eval instant at 0 x\n  expect string Foo\n", "bad.test:2: expected `expect string"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<TestFile> file = ParseTestFile("bad.test", c.content);
    ASSERT_FALSE(file.ok()) << c.content;
    EXPECT_EQ(file.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(file.status().message()), HasSubstr(c.message)) << c.content;
  }
}

}  // namespace
}  // namespace cardinalsin::promql::promqltest
