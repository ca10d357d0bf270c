#include "promql/parser.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "base/testing/status_matchers.h"
#include "promql/format.h"
#include "promql/functions.h"

namespace cardinalsin::promql {
namespace {

using ::cardinalsin::base::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string Tree(std::string_view query) {
  absl::StatusOr<ExprPtr> expr = ParseExpr(query);
  if (!expr.ok()) return "ERROR " + std::string(expr.status().message());
  return TreeString(**expr);
}

struct TreeCase {
  std::string_view query;
  std::string_view tree;
};

TEST(ParserTest, PrecedenceAndAssociativity) {
  const TreeCase cases[] = {
      {"1 + 2 * 3", "binary(number(1) + binary(number(2) * number(3)))"},
      {"1 * 2 + 3", "binary(binary(number(1) * number(2)) + number(3))"},
      {"1 - 2 - 3", "binary(binary(number(1) - number(2)) - number(3))"},
      {"8 / 4 / 2", "binary(binary(number(8) / number(4)) / number(2))"},
      {"2 ^ 3 ^ 2", "binary(number(2) ^ binary(number(3) ^ number(2)))"},
      {"-2 ^ 2", "unary(-binary(number(2) ^ number(2)))"},
      {"-a * b", "binary(unary(-a) * b)"},
      {"-a ^ -b", "unary(-binary(a ^ unary(-b)))"},
      {"---a", "unary(-unary(-unary(-a)))"},
      {"+a", "unary(+a)"},
      {"1 - -1", "binary(number(1) - number(-1))"},
      {"a or b and c", "binary(a or binary(b and c))"},
      {"a and b unless c", "binary(binary(a and b) unless c)"},
      {"a or b or c", "binary(binary(a or b) or c)"},
      {"a > b or c < d", "binary(binary(a > b) or binary(c < d))"},
      {"a == bool b + 1", "binary(a == bool binary(b + number(1)))"},
      {"a atan2 b * c", "binary(binary(a atan2 b) * c)"},
      {"a % b ^ c", "binary(a % binary(b ^ c))"},
      {"a + b % c", "binary(a + binary(b % c))"},
      {"h </ 2 + 1", "binary(binary(h </ number(2)) + number(1))"},
      {"a AND b", "binary(a and b)"},
      {"(1 + 2) * 3", "binary(paren(binary(number(1) + number(2))) * number(3))"},
      {"foo offset 5m + 1", "binary(foo offset 5m + number(1))"},
      {"-foo @ 100", "unary(-foo @ 100.000)"},
      {"rate(foo[5m])", "rate(matrix(foo[5m]))"},
      {"foo[1h:5m] offset 1m", "subquery(foo[1h:5m] offset 1m)"},
      {"(a + b)[5m:]", "subquery(paren(binary(a + b))[5m:])"},
      {"rate(foo[5m])[30m:1m]", "subquery(rate(matrix(foo[5m]))[30m:1m])"},
      {"a + on(x) group_left(y) b", "binary(a + on(x) group_left(y) b)"},
      // Offsets take a signed primary: what follows applies to the selector's value.
      {"m offset -2 ^ 2", "binary(m offset -2s ^ number(2))"},
      {"m offset (2 ^ 2)", "m offset (2 ^ 2)"},
      {"m offset -step()*2", "binary(m offset -step() * number(2))"},
      {"m offset min_of(step(), 1s)+8000", "binary(m offset min_of(step(), 1s) + number(8000))"},
  };
  for (const TreeCase& c : cases) {
    EXPECT_EQ(Tree(c.query), c.tree) << c.query;
  }
}

// Parse, print canonically, and compare with the expected canonical text; the canonical text
// must parse to the same tree.
struct FormatCase {
  std::string_view query;
  std::string_view canonical;
};

TEST(ParserTest, CanonicalFormsAndRoundTrips) {
  const FormatCase cases[] = {
      // Aggregations in every form.
      {"sum(rate(x[5m]))by(job)", "sum by (job) (rate(x[5m]))"},
      {"sum by(job)(x)", "sum by (job) (x)"},
      {"sum without(a,b,)(x)", "sum without (a, b) (x)"},
      {"sum by () (x)", "sum(x)"},
      {"SUM(x)", "sum(x)"},
      {"avg(x)", "avg(x)"},
      {"min(x)", "min(x)"},
      {"max(x)", "max(x)"},
      {"count(x)", "count(x)"},
      {"group(x)", "group(x)"},
      {"stddev(x)", "stddev(x)"},
      {"stdvar(x)", "stdvar(x)"},
      {"topk(3, x)", "topk(3, x)"},
      {"topk(3,x) by (a)", "topk by (a) (3, x)"},
      {"bottomk without (a) (3, x)", "bottomk without (a) (3, x)"},
      {"quantile(0.9, x)", "quantile(0.9, x)"},
      {"count_values(\"v\", x)", "count_values(\"v\", x)"},
      {"limitk(2, x)", "limitk(2, x)"},
      {"limit_ratio(0.5, x)", "limit_ratio(0.5, x)"},
      {"sum by (\"a.b\") (x)", "sum by (\"a.b\") (x)"},
      // Selectors.
      {"foo{a=\"b\",c!=\"d\",e=~\"f\",g!~\"h\"}", "foo{a=\"b\", c!=\"d\", e=~\"f\", g!~\"h\"}"},
      {"foo{a='b',}", "foo{a=\"b\"}"},
      {"{\"my.metric\", \"label.name\"=\"x\"}", "{\"my.metric\", \"label.name\"=\"x\"}"},
      {"{\"foo\"}", "foo"},
      {"{__name__=\"foo\"}", "{__name__=\"foo\"}"},
      {"a:b:c{x=\"y\"}", "a:b:c{x=\"y\"}"},
      {"foo{}", "foo"},
      {"{\"nan\"}", "{\"nan\"}"},
      {"{\"On\", a=\"b\"}", "{\"On\", a=\"b\"}"},
      {"{\"sum\"} and {\"by\"}", "sum and by"},
      {"foo{on=\"1\", by=\"2\"}", "foo{on=\"1\", by=\"2\"}"},
      {"offset", "offset"},
      // Modifiers.
      {"foo offset 90m", "foo offset 1h30m"},
      {"foo offset -5m", "foo offset -5m"},
      {"foo offset 0s", "foo"},
      {"foo @ 100", "foo @ 100.000"},
      {"foo @ 1.234", "foo @ 1.234"},
      {"foo @ 1m40s", "foo @ 100.000"},
      {"foo @ -5", "foo @ -5.000"},
      {"foo offset 5m @ start()", "foo @ start() offset 5m"},
      {"foo[5m] @ end() offset 1m", "foo[5m] @ end() offset 1m"},
      {"x[100]", "x[1m40s]"},
      {"x[1.5]", "x[1s500ms]"},
      {"foo[30m:]", "foo[30m:]"},
      {"foo[1h:1m] @ 10 offset -1m", "foo[1h:1m] @ 10.000 offset -1m"},
      {"metric[1m] anchored", "metric[1m] anchored"},
      {"metric offset -100 smoothed", "metric offset -1m40s smoothed"},
      {"increase(metric[1m] smoothed)", "increase(metric[1m] smoothed)"},
      // Duration expressions.
      {"x[5m+step()]", "x[5m + step()]"},
      {"x[2m*(10+5)]", "x[2m * (10 + 5)]"},
      {"x[30m1s-30m1s % 1m]", "x[30m1s - 30m1s % 1m]"},
      {"foo offset min_of(step(), 1s)", "foo offset min_of(step(), 1s)"},
      {"foo offset -(min_of(step(), 2s)-5)", "foo offset -(min_of(step(), 2s) - 5)"},
      {"x[STEP():max_of(range(),1s)]", "x[step():max_of(range(), 1s)]"},
      // Numbers and strings.
      {"1e3", "1000"},
      {"12.34e-6", "0.00001234"},
      {"0x1F", "31"},
      {"010", "8"},
      {"09", "9"},
      {".5", "0.5"},
      {"2.", "2"},
      {"Inf", "+Inf"},
      {"inf ^ 2 ^ inf", "Inf ^ 2 ^ +Inf"},
      {"-inf", "-Inf"},
      {"nan", "NaN"},
      {"5m", "5m"},
      {"time() - 5m", "time() - 5m"},
      {"'a\\'b'", "\"a'b\""},
      {"`a\\b`", "\"a\\\\b\""},
      {"\"\\u00e9\\x41\\101\\n\"", "\"éAA\\n\""},
      {"\"tab\\there\"", "\"tab\\there\""},
      // Binary operators and modifiers.
      {"a>bool b", "a > bool b"},
      {"1 > bool 2", "1 > bool 2"},
      {"a + ignoring(x) b", "a + ignoring(x) b"},
      {"a + ignoring() b", "a + b"},
      {"a * on() group_right b", "a * on() group_right b"},
      {"a * ignoring(x) group_left b", "a * ignoring(x) group_left b"},
      {"a / on(x, y) group_left(z) b", "a / on(x, y) group_left(z) b"},
      {"a and on(x) b", "a and on(x) b"},
      {"a unless ignoring(x) b", "a unless ignoring(x) b"},
      {"a atan2 b", "a atan2 b"},
      {"a + fill(0) b", "a + fill(0) b"},
      {"a + fill_left(5) fill_right(7) b", "a + fill_left(5) fill_right(7) b"},
      {"a + on(x) group_left fill_right(-Inf) b", "a + on(x) group_left fill_right(-Inf) b"},
      {"a == bool fill(30) b", "a == bool fill(30) b"},
      {"h </ 2", "h </ 2"},
      {"h >/ -1", "h >/ -1"},
      // Functions.
      {"label_join(x, \"d\", \",\", \"a\", \"b\", \"c\")",
       "label_join(x, \"d\", \",\", \"a\", \"b\", \"c\")"},
      {"round(x)", "round(x)"},
      {"round(x, 5)", "round(x, 5)"},
      {"time()", "time()"},
      {"year()", "year()"},
      {"vector(1)", "vector(1)"},
      {"histogram_quantile(0.9, sum by (le) (rate(h[5m])))",
       "histogram_quantile(0.9, sum by (le) (rate(h[5m])))"},
      {"info(metric, {data=~\".*\"})", "info(metric, {data=~\".*\"})"},
      {"start() + STEP()", "start() + step()"},
      {"min_of(3, 5)", "min_of(3, 5)"},
      {"# comment\nfoo # trailing\n", "foo"},
  };
  for (const FormatCase& c : cases) {
    absl::StatusOr<ExprPtr> expr = ParseExpr(c.query);
    ASSERT_TRUE(expr.ok()) << c.query << ": " << expr.status();
    std::string text = ToString(**expr);
    EXPECT_EQ(text, c.canonical) << c.query;
    absl::StatusOr<ExprPtr> again = ParseExpr(text);
    ASSERT_TRUE(again.ok()) << text << ": " << again.status();
    EXPECT_EQ(TreeString(**again), TreeString(**expr)) << c.query;
  }
}

struct ErrorCase {
  std::string_view query;
  std::string_view message;  // the whole message
};

TEST(ParserTest, ErrorsNameThePositionAndTheProblem) {
  const ErrorCase cases[] = {
      {"rate(foo)",
       "1:6: parse error: expected type range vector in call to function \"rate\", got instant "
       "vector"},
      {"sum(", "1:5: parse error: unexpected <EOF>, expected an expression"},
      // Outside braces Inf is a number: an error here, as in Prometheus (whose 2.42 says
      // "grouping opts").
      {"sum by (inf) (up)",
       "1:9: parse error: unexpected number \"inf\" in grouping clause, expected label"},
      {"", "1:1: parse error: no expression found in input"},
      {"1 > 2", "1:3: parse error: comparisons between scalars must use BOOL modifier"},
      {"{}", "1:1: parse error: vector selector must contain at least one non-empty matcher"},
      {"{a=\"\"}", "1:1: parse error: vector selector must contain at least one non-empty matcher"},
      {"{a=~\".*\"}",
       "1:1: parse error: vector selector must contain at least one non-empty matcher"},
      {"unknown_fn(x)", "1:1: parse error: unknown function with name \"unknown_fn\""},
      {"Rate(x[5m])", "1:1: parse error: unknown function with name \"Rate\""},
      {"rate(x[5m], 1)", "1:1: parse error: expected 1 argument(s) in call to \"rate\", got 2"},
      {"round()", "1:1: parse error: expected at least 1 argument(s) in call to \"round\", got 0"},
      {"round(x, 1, 2)",
       "1:1: parse error: expected at most 2 argument(s) in call to \"round\", got 3"},
      {"rate(x[5m],)", "1:11: parse error: trailing commas not allowed in function call args"},
      {"sum(x)[5m]", "1:1: parse error: ranges only allowed for vector selectors"},
      {"foo[5m][5m:]",
       "1:1: parse error: subquery is only allowed on instant vector, got range "
       "vector"},
      {"foo offset 5m offset 1m", "1:15: parse error: offset may not be set multiple times"},
      {"foo @ 1 @ 2", "1:9: parse error: @ <timestamp> may not be set multiple times"},
      {"sum(x) offset 5m",
       "1:8: parse error: offset modifier must be preceded by an instant vector selector or range "
       "vector selector or a subquery"},
      {"foo offset 5m [5m]", "1:15: parse error: no offset or @ modifiers allowed before range"},
      {"a and 1", "1:3: parse error: set operator \"and\" not allowed in binary scalar expression"},
      {"a + bool b", "1:3: parse error: bool modifier can only be used on comparison operators"},
      {"a and on(x) group_left b", "1:3: parse error: no grouping allowed for \"and\" operation"},
      {"a + on(x) group_left(x) b",
       "1:3: parse error: label \"x\" must not occur in ON and GROUP clause at once"},
      {"a + group_left b",
       "1:5: parse error: unexpected identifier \"group_left\": group modifiers need an on(...) "
       "or ignoring(...) clause first"},
      {"1 + on(x) 2", "1:3: parse error: vector matching only allowed between instant vectors"},
      {"-foo[5m]",
       "1:1: parse error: unary expression only allowed on expressions of type scalar or instant "
       "vector, got \"range vector\""},
      {"\"a\" + 1",
       "1:1: parse error: binary expression must contain only scalar and instant vector types"},
      {"topk(x)",
       "1:1: parse error: wrong number of arguments for aggregate expression provided, "
       "expected 2, got 1"},
      {"sum(1, x)",
       "1:1: parse error: wrong number of arguments for aggregate expression "
       "provided, expected 1, got 2"},
      {"count_values(1, x)",
       "1:14: parse error: expected type string in aggregation parameter, got scalar"},
      {"topk(\"a\", x)",
       "1:6: parse error: expected type scalar in aggregation parameter, got "
       "string"},
      {"sum(foo[5m])",
       "1:5: parse error: expected type instant vector in aggregation expression, got range "
       "vector"},
      {"sum by (a) (x) by (b)",
       "1:16: parse error: aggregation may have only one by/without "
       "clause"},
      {"foo bar", "1:5: parse error: unexpected identifier \"bar\""},
      {"foo{a}",
       "1:6: parse error: unexpected \"}\" in label matching, expected label matching "
       "operator"},
      {"foo{a=1}",
       "1:7: parse error: unexpected number \"1\" in label matching, expected "
       "string"},
      {"\"abc", "1:1: parse error: unterminated quoted string"},
      {"`abc", "1:1: parse error: unterminated raw string"},
      {"\"a\\qb\"", "1:3: parse error: unknown escape sequence in quoted string"},
      {"'a\\\"'", "1:3: parse error: unknown escape sequence in quoted string"},
      {"1 +\n  foo{", "2:6: parse error: unexpected end of input inside braces"},
      {"5min", "1:1: parse error: bad number or duration syntax: \"5min\""},
      {"1h30", "1:1: parse error: bad number or duration syntax: \"1h30\""},
      {"x[1m1h]", "1:3: parse error: not a valid duration string: \"1m1h\""},
      {"foo[0s]", "1:5: parse error: range duration must be greater than 0"},
      {"foo[5m:0s]", "1:4: parse error: subquery step must be greater than 0"},
      {"foo{\"\"=\"x\"}", "1:5: parse error: empty label name"},
      {"foo{\"a\\xff\"=\"x\"}", "1:5: parse error: invalid UTF-8 in label name \"a\\xff\""},
      {"foo{__name__=\"bar\"}",
       "1:5: parse error: metric name must not be set twice: \"foo\" or \"bar\""},
      {"{\"foo\", \"bar\"}",
       "1:9: parse error: metric name must not be set twice: \"foo\" or \"bar\""},
      {"deriv(foo[3m] smoothed)",
       "1:7: parse error: smoothed modifier can only be used with: delta, increase, rate - not "
       "with deriv"},
      {"max_over_time(foo[3m] anchored)",
       "1:15: parse error: anchored modifier can only be used with: changes, delta, increase, "
       "rate, resets - not with max_over_time"},
      {"x[5m:1m] anchored",
       "1:10: parse error: anchored modifier must be preceded by an instant vector selector or "
       "range vector selector"},
      {"a + fill(0) 1", "1:3: parse error: fill modifiers only allowed between instant vectors"},
      {"a and fill(0) b", "1:3: parse error: fill modifiers not allowed for \"and\" operation"},
      {"foo @ Inf", "1:7: parse error: timestamp out of bounds for @ modifier: inf"},
      {"x[foo]",
       "1:3: parse error: unexpected identifier \"foo\" in duration expression, "
       "expected a duration or number"},
      {"x[5m:1m:]", "1:8: parse error: unexpected \":\" in subquery selector, expected \"]\""},
      {"on", "1:1: parse error: unexpected identifier \"on\", expected an expression"},
  };
  for (const ErrorCase& c : cases) {
    absl::StatusOr<ExprPtr> expr = ParseExpr(c.query);
    ASSERT_FALSE(expr.ok()) << c.query << " parsed as " << TreeString(**expr);
    EXPECT_EQ(expr.status().code(), absl::StatusCode::kInvalidArgument) << c.query;
    EXPECT_EQ(std::string(expr.status().message()), c.message) << c.query;
  }
}

TEST(ParserTest, InvalidRegexIsAParseError) {
  absl::StatusOr<ExprPtr> expr = ParseExpr("foo{a=~\"(.*\"}");
  ASSERT_FALSE(expr.ok());
  EXPECT_THAT(std::string(expr.status().message()),
              StartsWith("1:8: parse error: error parsing regexp: "));
}

TEST(ParserTest, SelectorHoldsNameMatchersAndModifiers) {
  const std::string query = "rate(foo{a=\"b\", c=~\"d.*\"}[5m] offset -1m @ 300)";
  CS_ASSERT_OK_AND_ASSIGN(ExprPtr expr, ParseExpr(query));
  const auto* call = expr->As<Call>();
  ASSERT_NE(call, nullptr);
  EXPECT_EQ(call->func, LookupFunction("rate"));
  const auto* ms = call->args[0]->As<MatrixSelector>();
  ASSERT_NE(ms, nullptr);
  EXPECT_EQ(ms->range.fixed_ms, 5 * 60 * 1000);
  EXPECT_EQ(ms->range.expr, nullptr);
  const auto* vs = ms->selector->As<VectorSelector>();
  EXPECT_EQ(vs->name, "foo");
  ASSERT_EQ(vs->matchers.size(), 2u);
  EXPECT_EQ(vs->matchers[0], (LabelMatcher{MatchType::kEqual, "a", "b"}));
  EXPECT_EQ(vs->matchers[1], (LabelMatcher{MatchType::kRegexMatch, "c", "d.*"}));
  EXPECT_EQ(vs->offset.fixed_ms, -60 * 1000);
  EXPECT_EQ(vs->at.kind, AtModifier::Kind::kTimestamp);
  EXPECT_EQ(vs->at.timestamp_ms, 300 * 1000);
  // Positions: the call spans the whole text; the matrix selector "foo{...}[5m] ... @ 300"; the
  // inner selector "foo{...}".
  EXPECT_EQ(expr->pos.start, 0);
  EXPECT_EQ(expr->pos.end, static_cast<int32_t>(query.size()));
  EXPECT_EQ(call->args[0]->pos.start, 5);
  EXPECT_EQ(call->args[0]->pos.end, static_cast<int32_t>(query.rfind(')')));
  EXPECT_EQ(ms->selector->pos.start, 5);
  EXPECT_EQ(ms->selector->pos.end, static_cast<int32_t>(query.find('[')));
}

TEST(ParserTest, DurationExpressionsFoldWhenConstant) {
  CS_ASSERT_OK_AND_ASSIGN(ExprPtr fixed, ParseExpr("x[24m+((1.5*2m)+2m)]"));
  const auto* ms = fixed->As<MatrixSelector>();
  ASSERT_NE(ms->range.expr, nullptr);
  EXPECT_EQ(ms->range.fixed_ms, 29 * 60 * 1000);  // 24m + 3m + 2m

  CS_ASSERT_OK_AND_ASSIGN(ExprPtr dynamic, ParseExpr("x[step()+1ms] offset min_of(range(), 8s)"));
  const auto* dms = dynamic->As<MatrixSelector>();
  EXPECT_FALSE(dms->range.fixed_ms.has_value());
  CS_ASSERT_OK_AND_ASSIGN(int64_t range, dms->range.Resolve(10000, 0));
  EXPECT_EQ(range, 10001);
  const auto* vs = dms->selector->As<VectorSelector>();
  CS_ASSERT_OK_AND_ASSIGN(int64_t offset, vs->offset.Resolve(5000, 10000));
  EXPECT_EQ(offset, 8000);
  CS_ASSERT_OK_AND_ASSIGN(offset, vs->offset.Resolve(5000, 3000));
  EXPECT_EQ(offset, 3000);

  CS_ASSERT_OK_AND_ASSIGN(ExprPtr div, ParseExpr("x[step()/0]"));
  EXPECT_THAT(div->As<MatrixSelector>()->range.Resolve(1000, 0).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ParserTest, BinaryExprVectorMatching) {
  CS_ASSERT_OK_AND_ASSIGN(ExprPtr e, ParseExpr("a * on(x) group_left(y, z) b"));
  const auto* bin = e->As<BinaryExpr>();
  ASSERT_TRUE(bin->matching.has_value());
  EXPECT_TRUE(bin->matching->on);
  EXPECT_EQ(bin->matching->card, VectorMatching::Cardinality::kManyToOne);
  EXPECT_EQ(bin->matching->labels, std::vector<std::string>{"x"});
  EXPECT_EQ(bin->matching->include, (std::vector<std::string>{"y", "z"}));

  CS_ASSERT_OK_AND_ASSIGN(e, ParseExpr("a or b"));
  EXPECT_EQ(e->As<BinaryExpr>()->matching->card, VectorMatching::Cardinality::kManyToMany);
  CS_ASSERT_OK_AND_ASSIGN(e, ParseExpr("a + 1"));
  EXPECT_FALSE(e->As<BinaryExpr>()->matching.has_value());
  EXPECT_EQ(TypeOf(*e), ValueType::kVector);
  CS_ASSERT_OK_AND_ASSIGN(e, ParseExpr("1 + 2 > bool 3"));
  EXPECT_EQ(TypeOf(*e), ValueType::kScalar);
}

TEST(ParserTest, ParseMetricSelector) {
  CS_ASSERT_OK_AND_ASSIGN(ExprPtr e, ParseMetricSelector("up{job=\"x\"}"));
  EXPECT_EQ(ToString(*e), "up{job=\"x\"}");
  EXPECT_THAT(ParseMetricSelector("up[5m]").status(), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseMetricSelector("sum(up)").status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseMetricSelector("{a=\"\"}").status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ParserTest, HostileInputIsBounded) {
  // Deep nesting is an error, not a stack overflow.
  std::string deep = std::string(10000, '(') + "1" + std::string(10000, ')');
  EXPECT_THAT(ParseExpr(deep).status(), StatusIs(absl::StatusCode::kInvalidArgument));
  std::string unary(10000, '-');
  EXPECT_THAT(ParseExpr(unary + "1").status(), StatusIs(absl::StatusCode::kInvalidArgument));
  std::string chain = "1";
  for (int i = 0; i < 20000; ++i) chain += "+1";
  absl::StatusOr<ExprPtr> long_chain = ParseExpr(chain);
  ASSERT_FALSE(long_chain.ok());
  EXPECT_THAT(std::string(long_chain.status().message()), HasSubstr("nests deeper than"));
  std::string dur = "x[" + std::string(10000, '(') + "1" + std::string(10000, ')') + "]";
  EXPECT_THAT(ParseExpr(dur).status(), StatusIs(absl::StatusCode::kInvalidArgument));
  // Within the limits, a chain parses.
  std::string ok_chain = "1";
  for (int i = 0; i < 200; ++i) ok_chain += " + 1";
  CS_EXPECT_OK(ParseExpr(ok_chain).status());
  EXPECT_THAT(ParseExpr(std::string(kMaxQueryBytes + 1, ' ')).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace cardinalsin::promql
