// Checks of the tree's shape, positions, parameters and limits. Canonical formatting, precedence
// and error messages for ordinary queries live in the golden files (golden_test.cc).

#include "sql/parser.h"

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sql/format.h"
#include "sql/lexer.h"

namespace cardinalsin::sql {
namespace {

using ::cardinalsin::base::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const Select& OnlySelect(const Statement& statement) {
  return *std::get<Query>(statement.node).select;
}

std::string Repeat(std::string_view s, int n) {
  std::string out;
  out.reserve(s.size() * n);
  for (int i = 0; i < n; ++i) out.append(s);
  return out;
}

TEST(ParserTest, QueryPackQueryShape) {
  const std::string sql =
      "SELECT metric_name, percentile_cont(0.95) WITHIN GROUP (ORDER BY value) AS p95_value "
      "FROM metrics WHERE timestamp > now() - interval '5 minutes' GROUP BY metric_name "
      "ORDER BY p95_value DESC LIMIT 25";
  CS_ASSERT_OK_AND_ASSIGN(Statement statement, Parse(sql));
  const Query& query = std::get<Query>(statement.node);
  ASSERT_EQ(query.kind, Query::Kind::kSelect);
  const Select& select = *query.select;
  ASSERT_EQ(select.items.size(), 2u);
  EXPECT_EQ(select.items[0].expr->As<ColumnRef>()->name, "metric_name");
  EXPECT_FALSE(select.items[0].alias.has_value());

  const FunctionCall* p95 = select.items[1].expr->As<FunctionCall>();
  ASSERT_NE(p95, nullptr);
  EXPECT_EQ(p95->name, "percentile_cont");
  ASSERT_EQ(p95->args.size(), 1u);
  EXPECT_EQ(p95->args[0]->As<Literal>()->kind, LiteralKind::kDouble);
  EXPECT_DOUBLE_EQ(p95->args[0]->As<Literal>()->double_value, 0.95);
  ASSERT_EQ(p95->within_group.size(), 1u);
  EXPECT_EQ(p95->within_group[0].expr->As<ColumnRef>()->name, "value");
  EXPECT_EQ(select.items[1].alias, "p95_value");

  ASSERT_TRUE(select.from.has_value());
  EXPECT_EQ(select.from->name, std::vector<std::string>{"metrics"});

  const BinaryOp* gt = select.where->As<BinaryOp>();
  ASSERT_NE(gt, nullptr);
  EXPECT_EQ(gt->op, BinaryOperator::kGt);
  EXPECT_EQ(gt->left->As<ColumnRef>()->name, "timestamp");
  const BinaryOp* minus = gt->right->As<BinaryOp>();
  ASSERT_NE(minus, nullptr);
  EXPECT_EQ(minus->op, BinaryOperator::kSubtract);
  EXPECT_EQ(minus->left->As<FunctionCall>()->name, "now");
  const Literal* interval = minus->right->As<Literal>();
  ASSERT_NE(interval, nullptr);
  EXPECT_EQ(interval->kind, LiteralKind::kInterval);
  EXPECT_EQ(interval->text, "5 minutes");
  EXPECT_EQ(interval->interval_unit, "");

  ASSERT_EQ(select.group_by.size(), 1u);
  ASSERT_EQ(query.order_by.size(), 1u);
  EXPECT_TRUE(query.order_by[0].descending);
  EXPECT_EQ(query.order_by[0].nulls, OrderItem::Nulls::kDefault);
  EXPECT_EQ(query.limit->As<Literal>()->int_value, 25);
  EXPECT_EQ(statement.num_parameters, 0);
}

// Every node records the byte offset where it starts.
TEST(ParserTest, Positions) {
  const std::string sql = "SELECT a + b * 2 AS x, count(*) FROM t WHERE c NOT IN (1, 2)";
  CS_ASSERT_OK_AND_ASSIGN(Statement statement, Parse(sql));
  const Select& select = OnlySelect(statement);
  auto offset_of = [&](std::string_view needle) { return sql.find(needle); };
  EXPECT_EQ(select.pos, 0u);
  EXPECT_EQ(select.items[0].pos, offset_of("a +"));
  const BinaryOp* plus = select.items[0].expr->As<BinaryOp>();
  EXPECT_EQ(select.items[0].expr->pos, offset_of("a +"));
  EXPECT_EQ(plus->right->pos, offset_of("b *"));
  EXPECT_EQ(plus->right->As<BinaryOp>()->right->pos, offset_of("2 AS"));
  EXPECT_EQ(select.items[1].expr->pos, offset_of("count"));
  EXPECT_EQ(select.from->pos, offset_of("t WHERE"));
  EXPECT_EQ(select.where->pos, offset_of("c NOT"));
  const InList* in = select.where->As<InList>();
  ASSERT_NE(in, nullptr);
  EXPECT_TRUE(in->negated);
  EXPECT_EQ(in->values[1]->pos, offset_of("2)"));
}

TEST(ParserTest, PositionsOnLaterLines) {
  const std::string sql = "SELECT\n  a,\n  f(b)\nFROM t";
  CS_ASSERT_OK_AND_ASSIGN(Statement statement, Parse(sql));
  const SourceLocation location = LocateOffset(sql, OnlySelect(statement).items[1].expr->pos);
  EXPECT_EQ(location.line, 3);
  EXPECT_EQ(location.column, 3);
}

TEST(ParserTest, NamesFoldUnlessQuoted) {
  CS_ASSERT_OK_AND_ASSIGN(Statement statement,
                          Parse("SELECT T.Col, \"T\".\"Col\" AS \"Mixed\" FROM Sch.\"Tab\""));
  const Select& select = OnlySelect(statement);
  const ColumnRef* folded = select.items[0].expr->As<ColumnRef>();
  EXPECT_EQ(folded->table, "t");
  EXPECT_EQ(folded->name, "col");
  const ColumnRef* exact = select.items[1].expr->As<ColumnRef>();
  EXPECT_EQ(exact->table, "T");
  EXPECT_EQ(exact->name, "Col");
  EXPECT_EQ(select.items[1].alias, "Mixed");
  EXPECT_EQ(select.from->name, (std::vector<std::string>{"sch", "Tab"}));
}

TEST(ParserTest, Literals) {
  CS_ASSERT_OK_AND_ASSIGN(
      Statement statement,
      Parse("SELECT 42, 9223372036854775807, 9223372036854775808, 1.5e3, 'x''y', TRUE, NULL, "
            "interval '1' hour, timestamp '2024-01-01 00:00:00', date '2024-01-02'"));
  const Select& select = OnlySelect(statement);
  auto literal = [&](size_t i) { return select.items[i].expr->As<Literal>(); };
  EXPECT_EQ(literal(0)->kind, LiteralKind::kInteger);
  EXPECT_EQ(literal(0)->int_value, 42);
  EXPECT_EQ(literal(1)->int_value, 9223372036854775807);
  // One past int64 becomes a double.
  EXPECT_EQ(literal(2)->kind, LiteralKind::kDouble);
  EXPECT_DOUBLE_EQ(literal(2)->double_value, 9223372036854775808.0);
  EXPECT_DOUBLE_EQ(literal(3)->double_value, 1500.0);
  EXPECT_EQ(literal(4)->text, "x'y");
  EXPECT_TRUE(literal(5)->bool_value);
  EXPECT_EQ(literal(6)->kind, LiteralKind::kNull);
  EXPECT_EQ(literal(7)->kind, LiteralKind::kInterval);
  EXPECT_EQ(literal(7)->text, "1");
  EXPECT_EQ(literal(7)->interval_unit, "hour");
  EXPECT_EQ(literal(8)->kind, LiteralKind::kTimestamp);
  EXPECT_EQ(literal(8)->text, "2024-01-01 00:00:00");
  EXPECT_EQ(literal(9)->kind, LiteralKind::kDate);
}

TEST(ParserTest, QuestionMarkParametersAreNumberedInOrder) {
  CS_ASSERT_OK_AND_ASSIGN(Statement statement,
                          Parse("SELECT ? FROM t WHERE a = ? AND b IN (?, ?)"));
  EXPECT_EQ(statement.num_parameters, 4);
  const Select& select = OnlySelect(statement);
  EXPECT_EQ(select.items[0].expr->As<Parameter>()->index, 1);
  const LogicalOp* conj = select.where->As<LogicalOp>();
  ASSERT_NE(conj, nullptr);
  EXPECT_EQ(conj->operands[0]->As<BinaryOp>()->right->As<Parameter>()->index, 2);
  EXPECT_EQ(conj->operands[1]->As<InList>()->values[1]->As<Parameter>()->index, 4);
}

TEST(ParserTest, DollarParameters) {
  CS_ASSERT_OK_AND_ASSIGN(Statement statement, Parse("SELECT $2, $1, $2"));
  EXPECT_EQ(statement.num_parameters, 2);
  const Select& select = OnlySelect(statement);
  EXPECT_EQ(select.items[0].expr->As<Parameter>()->index, 2);
  EXPECT_EQ(select.items[0].expr->As<Parameter>()->style, Parameter::Style::kDollar);
}

TEST(ParserTest, StatementKinds) {
  CS_ASSERT_OK_AND_ASSIGN(Statement show, Parse("show tables;"));
  EXPECT_TRUE(std::holds_alternative<ShowTables>(show.node));
  CS_ASSERT_OK_AND_ASSIGN(Statement describe, Parse("DESCRIBE metrics"));
  EXPECT_EQ(std::get<Describe>(describe.node).table, std::vector<std::string>{"metrics"});
  CS_ASSERT_OK_AND_ASSIGN(Statement explain, Parse("EXPLAIN ANALYZE SELECT 1"));
  EXPECT_TRUE(std::get<Explain>(explain.node).analyze);
  CS_ASSERT_OK_AND_ASSIGN(Statement set_op,
                          Parse("SELECT a FROM t UNION ALL SELECT b FROM u ORDER BY 1 LIMIT 3"));
  const Query& query = std::get<Query>(set_op.node);
  EXPECT_EQ(query.kind, Query::Kind::kSetOperation);
  EXPECT_EQ(query.set_operator, SetOperator::kUnionAll);
  EXPECT_EQ(query.order_by.size(), 1u);
  EXPECT_TRUE(query.left->order_by.empty());
  EXPECT_FALSE(query.right->limit);
}

TEST(ParserTest, HeightsAreRecorded) {
  CS_ASSERT_OK_AND_ASSIGN(Statement statement, Parse("SELECT (1 + 2) * 3"));
  // Multiply -> Add -> literal.
  EXPECT_EQ(OnlySelect(statement).items[0].expr->height, 3);
  EXPECT_EQ(std::get<Query>(statement.node).height, 4);
  CS_ASSERT_OK_AND_ASSIGN(Statement sub, Parse("SELECT (SELECT 1)"));
  // ScalarSubquery -> Query -> literal.
  EXPECT_EQ(OnlySelect(sub).items[0].expr->height, 3);
}

// ---- Hostile input ----------------------------------------------------------------------

TEST(ParserLimitsTest, NestingWithinTheLimitParses) {
  const int depth = kMaxNestingDepth - 10;
  CS_ASSERT_OK_AND_ASSIGN(Statement statement,
                          Parse("SELECT " + Repeat("(", depth) + "1" + Repeat(")", depth)));
  EXPECT_EQ(ToSql(statement), "SELECT 1");
}

struct HostileCase {
  std::string name;
  std::string sql;
  std::string message_prefix;
};

class ParserHostileTest : public ::testing::TestWithParam<HostileCase> {};

TEST_P(ParserHostileTest, FailsCleanly) {
  absl::StatusOr<Statement> statement = Parse(GetParam().sql);
  EXPECT_THAT(statement.status(),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith(GetParam().message_prefix)));
}

// The expected columns follow from the counting in parser.h: the statement's query is level 1,
// each expression, query and prefix operator opens one more, and the error is reported at the
// token that would open level 257 (for the height limit: at the token after the node that would
// be 1001 levels tall).
const std::string kTooDeep = "query nested too deeply (more than 256 levels";

INSTANTIATE_TEST_SUITE_P(
    All, ParserHostileTest,
    ::testing::Values(
        HostileCase{"Parentheses", "SELECT " + Repeat("(", 100000) + "1" + Repeat(")", 100000),
                    "syntax error at line 1, column 263: " + kTooDeep},
        HostileCase{"UnclosedParentheses", "SELECT " + Repeat("(", 100000),
                    "syntax error at line 1, column 263: " + kTooDeep},
        HostileCase{"Not", "SELECT " + Repeat("NOT ", 50000) + "TRUE",
                    "syntax error at line 1, column 1024: " + kTooDeep},
        HostileCase{"UnaryMinus", "SELECT " + Repeat("- ", 100000) + "1",
                    "syntax error at line 1, column 516: " + kTooDeep},
        HostileCase{"FunctionCalls", "SELECT " + Repeat("f(", 50000) + "1" + Repeat(")", 50000),
                    "syntax error at line 1, column 518: " + kTooDeep},
        HostileCase{"Subqueries", Repeat("SELECT (", 10000) + "1" + Repeat(")", 10000),
                    "syntax error at line 1, column 1025: " + kTooDeep},
        HostileCase{"FromSubqueries", Repeat("SELECT * FROM (", 10000),
                    "syntax error at line 1, column 3841: " + kTooDeep},
        HostileCase{"Case", "SELECT " + Repeat("CASE WHEN ", 10000),
                    "syntax error at line 1, column 2558: " + kTooDeep},
        HostileCase{"AddChain", "SELECT 1" + Repeat(" + 1", 5000),
                    "syntax error at line 1, column 522: expression too deeply nested (more "
                    "than 128 levels)"},
        HostileCase{"CastChain", "SELECT 1" + Repeat("::int", 5000),
                    "syntax error at line 1, column 649: expression too deeply nested"},
        HostileCase{"UnionChain", Repeat("SELECT 1 UNION ", 5000) + "SELECT 1",
                    "syntax error at line 1, column 1915: query too deeply nested (more than "
                    "128 levels)"},
        HostileCase{"HugeExponent", "SELECT 1e999999999999",
                    "syntax error at line 1, column 8: "
                    "number out of range: '1e999999999999'"},
        HostileCase{"HugeInteger", "SELECT " + std::string(400, '9'),
                    "syntax error at line 1, column 8: number out of range: '9999"},
        HostileCase{"TooLong", "SELECT '" + std::string(kMaxQueryBytes, 'x') + "'",
                    "query text is 262153 bytes; the limit is 262144"},
        HostileCase{"NulInString", std::string("SELECT 'a\0b", 11),
                    "syntax error at line 1, column 8: unterminated string literal"},
        HostileCase{"NulOutside", std::string("SELECT 1\0", 9),
                    "syntax error at line 1, column 9: unexpected character byte 0x00"},
        HostileCase{"UnterminatedComment", "SELECT 1 /* " + std::string(1000, '*'),
                    "syntax error at line 1, column 10: unterminated /* comment"},
        HostileCase{"InvalidUtf8", "SELECT '\xc3'",
                    "syntax error at line 1, column 9: invalid UTF-8"}),
    [](const ::testing::TestParamInfo<HostileCase>& info) { return info.param.name; });

TEST(ParserLimitsTest, NulInsideStringIsData) {
  // A NUL inside a terminated string is just a character of the value.
  const std::string sql("SELECT 'a\0b'", 12);
  CS_ASSERT_OK_AND_ASSIGN(Statement statement, Parse(sql));
  EXPECT_EQ(OnlySelect(statement).items[0].expr->As<Literal>()->text, std::string("a\0b", 3));
}

TEST(ParserLimitsTest, LongFlatListsParse) {
  // Lists are flat, so their length is limited only by the text size.
  std::string values = "0";
  for (int i = 1; i < 15000; ++i) values += ", " + std::to_string(i);
  CS_ASSERT_OK_AND_ASSIGN(Statement statement,
                          Parse("SELECT " + values + " FROM t WHERE a IN (" + values + ")"));
  const Select& select = OnlySelect(statement);
  EXPECT_EQ(select.items.size(), 15000u);
  EXPECT_EQ(select.where->As<InList>()->values.size(), 15000u);
}

TEST(ParserLimitsTest, AndOrChainsAreFlat) {
  CS_ASSERT_OK_AND_ASSIGN(
      Statement statement,
      Parse("SELECT 1 FROM t WHERE " + Repeat("a = 1 AND b = 2 OR ", 5000) + "c = 3"));
  const Expr& where = *OnlySelect(statement).where;
  const LogicalOp* disjunction = where.As<LogicalOp>();
  ASSERT_NE(disjunction, nullptr);
  EXPECT_EQ(disjunction->op, LogicalOperator::kOr);
  ASSERT_EQ(disjunction->operands.size(), 5001u);
  const LogicalOp* conjunction = disjunction->operands[0]->As<LogicalOp>();
  ASSERT_NE(conjunction, nullptr);
  EXPECT_EQ(conjunction->op, LogicalOperator::kAnd);
  EXPECT_EQ(conjunction->operands.size(), 2u);
  EXPECT_NE(disjunction->operands[5000]->As<BinaryOp>(), nullptr);
  // OR -> AND -> = -> column.
  EXPECT_EQ(where.height, 4);
}

// The canonical form adds parentheses; for the tallest trees the parser accepts, it must still
// be within the nesting limit.
TEST(ParserLimitsTest, CanonicalFormOfTheTallestTreesParses) {
  const int n = kMaxTreeHeight - 2;  // leaves a level for the query and one for the literal
  const std::vector<std::string> tallest = {
      "SELECT " + Repeat("- ", n) + "1",
      "SELECT " + Repeat("NOT ", n) + "TRUE",
      "SELECT " + Repeat("f(", n) + "1" + Repeat(")", n),
      "SELECT " + Repeat("a IN (", n) + "1" + Repeat(")", n),
      "SELECT 1" + Repeat(" + 1", n - 1),
      "SELECT " + Repeat("CASE WHEN ", n) + "1" + Repeat(" THEN 1 END", n),
      "SELECT " + Repeat("(SELECT ", n / 2) + "1" + Repeat(")", n / 2),
      "SELECT " + Repeat("a IN (SELECT ", n / 2 - 1) + "1" + Repeat(")", n / 2 - 1),
      Repeat("SELECT * FROM (", n - 1) + "SELECT 1" + Repeat(") AS s", n - 1),
  };
  for (const std::string& sql : tallest) {
    SCOPED_TRACE(sql.substr(0, 60));
    CS_ASSERT_OK_AND_ASSIGN(Statement statement, Parse(sql));
    EXPECT_GE(std::get<Query>(statement.node).height, kMaxTreeHeight - 2);
    const std::string canonical = ToSql(statement);
    CS_ASSERT_OK_AND_ASSIGN(Statement again, Parse(canonical));
    EXPECT_EQ(ToSql(again), canonical);
  }
}

TEST(ParserLimitsTest, TextAtTheSizeLimitParses) {
  const std::string prefix = "SELECT '";
  const std::string sql = prefix + std::string(kMaxQueryBytes - prefix.size() - 1, 'x') + "'";
  ASSERT_EQ(sql.size(), kMaxQueryBytes);
  CS_EXPECT_OK(Parse(sql));
}

TEST(ParserTest, ReservedKeywords) {
  EXPECT_TRUE(IsReservedKeyword("select"));
  EXPECT_TRUE(IsReservedKeyword("left"));
  EXPECT_FALSE(IsReservedKeyword("timestamp"));
  EXPECT_FALSE(IsReservedKeyword("value"));
  EXPECT_FALSE(IsReservedKeyword("SELECT"));  // callers pass folded words
}

TEST(ParserTest, TheFirstProblemInTheTextIsReported) {
  // A parse error before a lexer error is reported as such, and vice versa.
  EXPECT_THAT(Parse("SELECT ) 'abc").status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("column 8: expected expression, found ')'")));
  EXPECT_THAT(Parse("SELECT 1 + 'abc").status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "syntax error at line 1, column 12: unterminated string literal"));
}

}  // namespace
}  // namespace cardinalsin::sql
