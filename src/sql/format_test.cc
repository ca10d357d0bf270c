// ToSql of trees the parser does not produce (negative and non-finite literals, odd names) and
// the quoting helpers. Round trips of parsed SQL are in the golden files.

#include "sql/format.h"

#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "base/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "sql/parser.h"

namespace cardinalsin::sql {
namespace {

ExprPtr MakeLiteral(Literal literal) {
  auto expr = std::make_unique<Expr>();
  expr->node = std::move(literal);
  return expr;
}

ExprPtr IntegerLiteral(int64_t value) {
  Literal literal;
  literal.kind = LiteralKind::kInteger;
  literal.int_value = value;
  return MakeLiteral(std::move(literal));
}

ExprPtr DoubleLiteral(double value) {
  Literal literal;
  literal.kind = LiteralKind::kDouble;
  literal.double_value = value;
  return MakeLiteral(std::move(literal));
}

struct DoubleCase {
  double value;
  std::string sql;
};

class FormatDoubleTest : public ::testing::TestWithParam<DoubleCase> {};

TEST_P(FormatDoubleTest, PrintsAndReadsBack) {
  const ExprPtr expr = DoubleLiteral(GetParam().value);
  const std::string sql = ToSql(*expr);
  EXPECT_EQ(sql, GetParam().sql);
  if (!std::isfinite(GetParam().value)) return;
  // Finite values read back as the same double (through unary minus when negative).
  CS_ASSERT_OK_AND_ASSIGN(Statement statement, Parse("SELECT " + sql));
  const Expr& item = *std::get<Query>(statement.node).select->items[0].expr;
  const Expr* literal = &item;
  double sign = 1;
  if (const auto* minus = item.As<UnaryOp>()) {
    literal = minus->operand.get();
    sign = -1;
  }
  ASSERT_NE(literal->As<Literal>(), nullptr) << sql;
  EXPECT_EQ(sign * literal->As<Literal>()->double_value, GetParam().value);
}

INSTANTIATE_TEST_SUITE_P(All, FormatDoubleTest,
                         ::testing::Values(DoubleCase{1.0, "1.0"}, DoubleCase{0.0, "0.0"},
                                           DoubleCase{0.95, "0.95"}, DoubleCase{1e300, "1e+300"},
                                           DoubleCase{5e-324, "5e-324"},
                                           DoubleCase{0.1 + 0.2, "0.30000000000000004"},
                                           DoubleCase{-2.5, "(-2.5)"},
                                           DoubleCase{std::numeric_limits<double>::quiet_NaN(),
                                                      "CAST('NaN' AS double precision)"},
                                           DoubleCase{std::numeric_limits<double>::infinity(),
                                                      "CAST('Infinity' AS double precision)"},
                                           DoubleCase{-std::numeric_limits<double>::infinity(),
                                                      "CAST('-Infinity' AS double precision)"}));

TEST(FormatTest, NegativeIntegersAreParenthesised) {
  // Without the parentheses, `1 - -5` would print as "(1 - -5)", and "--" starts a comment.
  auto minus = std::make_unique<Expr>();
  minus->node = BinaryOp{BinaryOperator::kSubtract, IntegerLiteral(1), IntegerLiteral(-5)};
  EXPECT_EQ(ToSql(*minus), "(1 - (-5))");
  EXPECT_EQ(ToSql(*IntegerLiteral(std::numeric_limits<int64_t>::min())), "(-9223372036854775808)");
}

struct QuoteCase {
  std::string name;
  std::string quoted;
};

class QuoteIdentifierTest : public ::testing::TestWithParam<QuoteCase> {};

TEST_P(QuoteIdentifierTest, Quotes) {
  EXPECT_EQ(QuoteIdentifier(GetParam().name), GetParam().quoted);
}

INSTANTIATE_TEST_SUITE_P(All, QuoteIdentifierTest,
                         ::testing::Values(QuoteCase{"metrics", "metrics"}, QuoteCase{"_a1", "_a1"},
                                           QuoteCase{"timestamp", "timestamp"},
                                           QuoteCase{"Metrics", "\"Metrics\""},
                                           QuoteCase{"select", "\"select\""},
                                           QuoteCase{"1a", "\"1a\""}, QuoteCase{"a b", "\"a b\""},
                                           QuoteCase{"a\"b", "\"a\"\"b\""}, QuoteCase{"é", "\"é\""},
                                           QuoteCase{"", "\"\""}));

TEST(FormatTest, QuoteString) {
  EXPECT_EQ(QuoteString(""), "''");
  EXPECT_EQ(QuoteString("it's"), "'it''s'");
  EXPECT_EQ(QuoteString(std::string("a\0b", 3)), std::string("'a\0b'", 5));
}

TEST(FormatTest, OperatorSymbols) {
  EXPECT_STREQ(OperatorSymbol(UnaryOperator::kNot), "NOT");
  EXPECT_STREQ(OperatorSymbol(BinaryOperator::kNotEq), "<>");
  EXPECT_STREQ(OperatorSymbol(BinaryOperator::kRegexNotMatchInsensitive), "!~*");
  EXPECT_STREQ(OperatorSymbol(LogicalOperator::kOr), "OR");
}

TEST(FormatTest, FunctionNamedExtractIsQuoted) {
  CS_ASSERT_OK_AND_ASSIGN(Statement statement, Parse("SELECT \"extract\"(a, b)"));
  EXPECT_EQ(ToSql(statement), "SELECT \"extract\"(a, b)");
}

}  // namespace
}  // namespace cardinalsin::sql
