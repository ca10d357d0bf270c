// File: parser.h
//
// The PromQL parser: query text to a type-checked syntax tree (ast.h). Recursive descent over
// the tokens of lexer.h with precedence climbing; binary operator precedence, loosest first:
//
//   or < and unless < == != <= < >= > < + - < * / % atan2 </ >/ < unary - + < ^
//
// All binary operators are left-associative except ^, which is right-associative, so
// `2 ^ 3 ^ 2` is `2 ^ (3 ^ 2)` and `-2 ^ 2` is `-(2 ^ 2)`. Postfix modifiers (`[5m]`, `[1h:5m]`,
// `offset`, `@`, `anchored`, `smoothed`) bind tighter than any operator.
//
//   absl::StatusOr<ExprPtr> expr = ParseExpr("sum by (job) (rate(http_requests_total[5m]))");
//
// The grammar is Prometheus 3's with the features the Prometheus conformance runner enables:
// `@` (number, duration, start(), end()), negative offsets, experimental functions, duration
// expressions in ranges, subquery steps and offsets (`[5m+step()]`, `offset min_of(range(), 1s)`),
// the extended range selector modifiers `anchored` and `smoothed`, and the binop fill modifiers
// `fill(v)`, `fill_left(v)`, `fill_right(v)` after the on/ignoring/group modifiers.
// Keywords and aggregation names are case-insensitive; function names are case-sensitive except
// the duration-expression ones (step, range, start, end, min_of, max_of). Metric and label names
// may be quoted UTF-8: `{"my.metric", "a.b"="x"}`.
//
// Type checking follows Prometheus: function arity and argument types, aggregation body and
// parameter types, binary operands (scalar or instant vector; comparisons between scalars need
// `bool`; set operators only between vectors; no group modifiers on set operators), subqueries
// only over instant vectors, ranges only on vector selectors, selectors with at least one matcher
// that does not match the empty string, valid regular expressions (RE2, anchored).
//
// Errors are InvalidArgument "<line>:<col>: parse error: <message>", for example
//   1:6: parse error: expected type range vector in call to function "rate", got instant vector
//
// Limits, so hostile text cannot exhaust the stack or memory: kMaxQueryBytes of text and
// kMaxNestingDepth levels of tree height (every node counts, so a chain `1+1+...` of n operators
// is n levels deep).
//
// Thread-safety: the functions are pure; call them from any thread.
#pragma once

#include <cstddef>
#include <string_view>

#include "absl/status/statusor.h"
#include "promql/ast.h"

namespace cardinalsin::promql {

inline constexpr size_t kMaxQueryBytes = 256 << 10;
inline constexpr int kMaxNestingDepth = 256;

// Parses a whole PromQL expression.
[[nodiscard]] absl::StatusOr<ExprPtr> ParseExpr(std::string_view query);

// Parses a series selector such as a `match[]` parameter: `foo{a="b"}` or `{__name__=~"x.*"}`,
// with no offset, @ or range. Returns the VectorSelector expression.
[[nodiscard]] absl::StatusOr<ExprPtr> ParseMetricSelector(std::string_view selector);

}  // namespace cardinalsin::promql
