#include "promql/format.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "base/testing/status_matchers.h"
#include "promql/parser.h"

namespace cardinalsin::promql {
namespace {

TEST(FormatTest, Numbers) {
  EXPECT_EQ(FormatNumber(1), "1");
  EXPECT_EQ(FormatNumber(-0.25), "-0.25");
  EXPECT_EQ(FormatNumber(1e-7), "0.0000001");
  EXPECT_EQ(FormatNumber(12340000), "12340000");
  EXPECT_EQ(FormatNumber(0.1), "0.1");
  EXPECT_EQ(FormatNumber(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatNumber(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatNumber(std::nan("")), "NaN");
  // Shortest round-trip digits even for values with long expansions.
  double third = 1.0 / 3.0;
  EXPECT_EQ(std::stod(FormatNumber(third)), third);
  EXPECT_EQ(std::stod(FormatNumber(1e300)), 1e300);
}

TEST(FormatTest, QuoteStringLikeGo) {
  EXPECT_EQ(QuoteString("abc"), "\"abc\"");
  EXPECT_EQ(QuoteString("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(QuoteString("\n\t\a\b\f\r\v"), "\"\\n\\t\\a\\b\\f\\r\\v\"");
  EXPECT_EQ(QuoteString(std::string("\x01\x7f", 2)), "\"\\x01\\x7f\"");
  EXPECT_EQ(QuoteString("caf\xc3\xa9"), "\"caf\xc3\xa9\"");
  EXPECT_EQ(QuoteString("a\xff"), "\"a\\xff\"");
  EXPECT_EQ(QuoteString("\xe2\x80\xa8"), "\"\\u2028\"");
}

// Every printed form parses back to the same tree, including strings that need escapes.
TEST(FormatTest, RoundTripsPreserveTrees) {
  const char* queries[] = {
      "foo{a=\"\\n\\\"x\\\\\"}",
      "label_replace(up, \"dst\", \"$1\", \"src\", \"(.*)\\\\.x\")",
      "{\"ünïcødé.metric\", \"a b\"=\"c\"}",
      "sum by (\"a.b\", job) (rate({\"x.y\"}[5m] offset 1m))",
      "1 + -(2 * -foo) ^ 2 > bool 3",
      "(foo and on() bar) or ignoring(x) baz unless qux",
      "max_over_time((rate(x[1m]) > 0)[1h:] @ end())",
      "x[step() * 2 + (1m - 30s):min_of(range(), 1s)] offset -(1s ^ 2)",
      "a + on(x) group_right(y) fill_left(NaN) fill_right(+Inf) b",
      "histogram_quantiles(h, \"q\", 0.5, 0.9)",
      "sort_by_label(x, \"a\", \"b\")",
      "-1e-300 * 0x10 / .5",
      // Inf and NaN are label names inside braces (found by the parser fuzzer).
      "{\"inf\"='x'} + fill(0) {\"other.metric\"}",
      "up{NaN=\"1\", Inf!=\"2\"} + Inf",
      // A duration whose seconds times 1000 is not a whole number in floating point.
      "1s3ms",
  };
  for (const char* query : queries) {
    CS_ASSERT_OK_AND_ASSIGN(ExprPtr expr, ParseExpr(query));
    std::string text = ToString(*expr);
    absl::StatusOr<ExprPtr> again = ParseExpr(text);
    ASSERT_TRUE(again.ok()) << query << " -> " << text << ": " << again.status();
    EXPECT_EQ(TreeString(**again), TreeString(*expr)) << query << " -> " << text;
    EXPECT_EQ(ToString(**again), text) << "canonical form is not a fixed point: " << query;
  }
}

// Prettify: Prometheus's format_query layout. Each expected output is what Prometheus 2.42's
// /api/v1/format_query answered for the query (selectors have one matcher: 2.42 prints several
// without the space after the comma, Prometheus 3 and ToString with it).
TEST(FormatTest, PrettifySplitsExpressionsOverOneHundredBytes) {
  const std::string m = "a_very_long_metric_name_for_testing_total";
  const std::string sel = m + "{instance=\"localhost:9090\"}";
  const std::pair<std::string, std::string> cases[] = {
      // 100 bytes or fewer: one line, as ToString.
      {"sum(rate(x[5m]))by(job)", "sum by (job) (rate(x[5m]))"},
      {"topk(5, max by (hostname) (max_over_time(cpu_usage_user{hostname=~\"host_1|host_2|"
       "host_3\"}[5m])))",
       "topk(5, max by (hostname) (max_over_time(cpu_usage_user{hostname=~\"host_1|host_2|"
       "host_3\"}[5m])))"},
      // A binary operation: operands one level in, the operator (and its modifiers) between.
      {"sum(rate(" + sel + "[5m])) by (job) / on (job) group_left (x) sum(rate(" + m +
           "[5m])) by (job)",
       "  sum by (job) (rate(" + sel + "[5m]))\n/ on(job) group_left(x)\n  sum by (job) (rate(" +
           m + "[5m]))"},
      {"sum by (job) (rate(" + sel + "[5m])) > bool 100000",
       "  sum by (job) (rate(" + sel + "[5m]))\n> bool\n  100000"},
      // Calls and aggregations with a parameter: each argument on its own lines.
      {"histogram_quantile(0.99, sum by (le) (rate(cardinalsin_query_latency_seconds_bucket"
       "{run_id=~\"run-1\"}[5m])))",
       "histogram_quantile(\n  0.99,\n  sum by (le) (rate(cardinalsin_query_latency_seconds_bucket"
       "{run_id=~\"run-1\"}[5m]))\n)"},
      {"quantile(0.9, sum by (job) (rate(" + sel + "[5m])))",
       "quantile(\n  0.9,\n  sum by (job) (rate(" + sel + "[5m]))\n)"},
      // Nested splits indent two spaces per level; parentheses get lines of their own.
      {"(sum(rate(" + m + "[5m])) + sum(rate(another_very_long_metric_name_total[5m]))) * 100",
       "  (\n      sum(rate(" + m +
           "[5m]))\n    +\n      sum(rate(another_very_long_metric_name_total[5m]))\n  )\n*\n"
           "  100"},
      // A unary minus stays on its operand's first line.
      {"-sum(rate(" + m + "[5m]) + rate(another_very_long_metric_name_total[5m]))",
       "-sum(\n  rate(" + m + "[5m]) + rate(another_very_long_metric_name_total[5m])\n)"},
      // Subqueries: a short one loses its indent (as in Prometheus), a long one keeps it.
      {"max_over_time(sum by (job) (rate(" + sel + "[5m]))[1h:1m])",
       "max_over_time(\nsum by (job) (rate(" + sel + "[5m]))[1h:1m]\n)"},
      {"max_over_time(sum by (job) (rate(" + sel + "[5m]))[1h:1m] offset 5m)",
       "max_over_time(\n  sum by (job) (rate(" + sel + "[5m]))[1h:1m] offset 5m\n)"},
  };
  for (const auto& [query, want] : cases) {
    CS_ASSERT_OK_AND_ASSIGN(ExprPtr expr, ParseExpr(query));
    EXPECT_EQ(Prettify(*expr), want) << query;
    // The layout parses back to the same tree.
    CS_ASSERT_OK_AND_ASSIGN(ExprPtr again, ParseExpr(Prettify(*expr)));
    EXPECT_EQ(TreeString(*again), TreeString(*expr)) << query;
  }
}

TEST(FormatTest, TreeStringShowsStructure) {
  CS_ASSERT_OK_AND_ASSIGN(ExprPtr expr, ParseExpr("max_over_time((a + b)[5m:1m]) * -c"));
  EXPECT_EQ(TreeString(*expr),
            "binary(max_over_time(subquery(paren(binary(a + b))[5m:1m])) * unary(-c))");
  CS_ASSERT_OK_AND_ASSIGN(expr, ParseExpr("5m"));
  EXPECT_EQ(TreeString(*expr), "number(300 duration)");
}

}  // namespace
}  // namespace cardinalsin::promql
