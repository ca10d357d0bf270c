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

TEST(FormatTest, TreeStringShowsStructure) {
  CS_ASSERT_OK_AND_ASSIGN(ExprPtr expr, ParseExpr("max_over_time((a + b)[5m:1m]) * -c"));
  EXPECT_EQ(TreeString(*expr),
            "binary(max_over_time(subquery(paren(binary(a + b))[5m:1m])) * unary(-c))");
  CS_ASSERT_OK_AND_ASSIGN(expr, ParseExpr("5m"));
  EXPECT_EQ(TreeString(*expr), "number(300 duration)");
}

}  // namespace
}  // namespace cardinalsin::promql
