// File: ast.h
//
// The PromQL syntax tree that parser.h produces and format.h prints. The node set follows the
// Prometheus 3 language (https://prometheus.io/docs/prometheus/latest/querying/basics/):
//
//   NumberLiteral  1, 0x1f, 1e3, Inf, NaN, 5m (a duration literal used as a number of seconds)
//   StringLiteral  "a", 'a', `a`
//   VectorSelector foo{job="x"} offset 5m @ 100 (and the experimental `smoothed`/`anchored`)
//   MatrixSelector foo[5m]; offset and @ live on the inner VectorSelector, as in Prometheus
//   SubqueryExpr   expr[1h:5m] offset 1m @ end()
//   ParenExpr      (expr)
//   UnaryExpr      -expr, +expr (a sign before a number literal is folded into the literal)
//   BinaryExpr     a + on(x) group_left(y) fill(0) b, a > bool b, a and b, h </ 2
//   AggregateExpr  sum by (x) (expr), topk(3, expr), count_values("v", expr)
//   Call           rate(foo[5m]), with the function's FunctionInfo (functions.h)
//
// Durations (ranges, subquery steps, offsets) are a DurationValue: a fixed number of
// milliseconds when written as a literal, or a DurationExpr tree when written as an experimental
// duration expression (`[5m+step()]`, `offset min_of(step(), 1s)`); a constant expression is also
// folded to milliseconds at parse time.
//
// Every node carries its PosRange: byte offsets [start, end) into the query text.
//
// Ownership: an Expr owns its children through ExprPtr. Trees are plain values: immutable after
// parsing by convention, safe to read from several threads, not to mutate concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"

namespace cardinalsin::promql {

struct FunctionInfo;  // functions.h

// Byte offsets [start, end) of a node in the query text.
struct PosRange {
  int32_t start = 0;
  int32_t end = 0;
};

// The four PromQL value types, plus kNone for "no value" (never the type of a parsed Expr).
enum class ValueType { kNone, kScalar, kVector, kMatrix, kString };

// Prometheus's names: "scalar", "instant vector", "range vector", "string", "none".
std::string_view ValueTypeName(ValueType type);

enum class BinaryOp {
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kPow,
  kAtan2,
  kEql,
  kNeq,
  kGtr,
  kLss,
  kGte,
  kLte,
  kAnd,
  kOr,
  kUnless,
  kTrimUpper,
  kTrimLower,  // </ and >/: experimental native histogram trimming
};

// The operator as written in PromQL: "+", "==", "and", "atan2", ...
std::string_view BinaryOpName(BinaryOp op);
bool IsComparisonOp(BinaryOp op);
bool IsSetOp(BinaryOp op);

enum class AggregateOp {
  kSum,
  kAvg,
  kMin,
  kMax,
  kCount,
  kGroup,
  kStddev,
  kStdvar,
  kTopk,
  kBottomk,
  kQuantile,
  kCountValues,
  kLimitk,
  kLimitRatio,
};

// Lower-case name as written: "sum", "count_values", "limit_ratio", ...
std::string_view AggregateOpName(AggregateOp op);
// The aggregation named `name` (case-insensitive, as in Prometheus), if any.
std::optional<AggregateOp> LookupAggregateOp(std::string_view name);
// Whether the aggregation takes a parameter before the body (topk, quantile, count_values, ...).
bool AggregateTakesParam(AggregateOp op);

enum class MatchType { kEqual, kNotEqual, kRegexMatch, kRegexNoMatch };

// "=", "!=", "=~", "!~".
std::string_view MatchTypeName(MatchType type);

// One label matcher. Regular expressions are validated (RE2, fully anchored like Prometheus) by
// the parser; the value is the unanchored text as written.
struct LabelMatcher {
  MatchType type = MatchType::kEqual;
  std::string name;
  std::string value;
  friend bool operator==(const LabelMatcher&, const LabelMatcher&) = default;
};

// An experimental duration expression (Prometheus's "duration expressions"): arithmetic over
// numbers (seconds) and duration literals, step(), range(), min_of(a, b) and max_of(a, b).
struct DurationExpr {
  enum class Kind { kNumber, kDuration, kStep, kRange, kMinOf, kMaxOf, kUnary, kBinary, kParen };
  Kind kind = Kind::kNumber;
  PosRange pos;
  double number = 0;                  // kNumber: seconds as written
  int64_t duration_ms = 0;            // kDuration
  bool negative = false;              // kUnary: true for '-', false for '+'
  BinaryOp op = BinaryOp::kAdd;       // kBinary: one of + - * / % ^
  std::unique_ptr<DurationExpr> lhs;  // kUnary/kParen operand; kBinary/kMinOf/kMaxOf first
  std::unique_ptr<DurationExpr> rhs;  // kBinary/kMinOf/kMaxOf second
};

// Evaluates a duration expression to seconds. step() and range() take the given values (in
// seconds); if either is needed but absent the result is std::nullopt. Division or modulo by zero
// yields Inf/NaN, which callers reject.
std::optional<double> EvaluateDurationSeconds(const DurationExpr& expr,
                                              std::optional<double> step_seconds,
                                              std::optional<double> range_seconds);

// A range, subquery step or offset. Exactly one of the forms holds:
// - written as a literal: expr == nullptr and fixed_ms is set;
// - written as a duration expression: expr != nullptr; fixed_ms is set iff the expression does
//   not use step() or range() (it is then folded at parse time).
struct DurationValue {
  std::optional<int64_t> fixed_ms;
  std::unique_ptr<DurationExpr> expr;

  bool IsZero() const { return expr == nullptr && fixed_ms.value_or(0) == 0; }
  // The value in milliseconds for a query with the given step and range (both milliseconds; an
  // instant query has step 0 and range 0). InvalidArgument if the expression is not finite or
  // does not fit in int64 milliseconds.
  [[nodiscard]] absl::StatusOr<int64_t> Resolve(int64_t step_ms, int64_t range_ms) const;
};

// The @ modifier.
struct AtModifier {
  enum class Kind { kNone, kTimestamp, kStart, kEnd };
  Kind kind = Kind::kNone;
  int64_t timestamp_ms = 0;  // kTimestamp: milliseconds since the epoch
};

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct NumberLiteral {
  double value = 0;
  // Written as a duration ("5m"): printed back as one.
  bool duration = false;
};

struct StringLiteral {
  std::string value;
};

struct VectorSelector {
  // The metric name if given as `name{...}` or `{"name", ...}`; not repeated in `matchers`. An
  // explicit `__name__` matcher stays in `matchers` and leaves `name` empty.
  std::string name;
  std::vector<LabelMatcher> matchers;
  DurationValue offset;  // zero when absent
  AtModifier at;
  bool anchored = false;  // experimental extended range selectors
  bool smoothed = false;
};

struct MatrixSelector {
  ExprPtr selector;  // always a VectorSelector expression (holds offset, @, anchored, smoothed)
  DurationValue range;
};

struct SubqueryExpr {
  ExprPtr expr;
  DurationValue range;
  std::optional<DurationValue> step;  // absent for `[1h:]` (the engine's default step)
  DurationValue offset;
  AtModifier at;
};

struct ParenExpr {
  ExprPtr expr;
};

struct UnaryExpr {
  bool negative = true;  // '-' or '+'
  ExprPtr expr;
};

struct VectorMatching {
  enum class Cardinality { kOneToOne, kManyToOne, kOneToMany, kManyToMany };
  Cardinality card = Cardinality::kOneToOne;
  bool on = false;                   // on(...) rather than ignoring(...)
  std::vector<std::string> labels;   // the on/ignoring list
  std::vector<std::string> include;  // group_left/group_right list
};

// Experimental binop fill modifiers: fill(v) sets both sides, fill_left / fill_right one.
struct FillModifier {
  std::optional<double> left;
  std::optional<double> right;
};

struct BinaryExpr {
  BinaryOp op = BinaryOp::kAdd;
  ExprPtr lhs;
  ExprPtr rhs;
  bool return_bool = false;
  // Set iff both sides are instant vectors (many-to-many for set operators), as in Prometheus.
  std::optional<VectorMatching> matching;
  FillModifier fill;
};

struct AggregateExpr {
  AggregateOp op = AggregateOp::kSum;
  ExprPtr expr;
  ExprPtr param;  // set iff AggregateTakesParam(op)
  std::vector<std::string> grouping;
  bool without = false;
};

struct Call {
  const FunctionInfo* func = nullptr;  // points into the static table; never null
  std::vector<ExprPtr> args;
};

struct Expr {
  PosRange pos;
  std::variant<NumberLiteral, StringLiteral, VectorSelector, MatrixSelector, SubqueryExpr,
               ParenExpr, UnaryExpr, BinaryExpr, AggregateExpr, Call>
      node;

  template <typename T>
  const T* As() const {
    return std::get_if<T>(&node);
  }
  template <typename T>
  T* As() {
    return std::get_if<T>(&node);
  }
};

// The value type the expression evaluates to (Prometheus's Expr.Type()).
ValueType TypeOf(const Expr& expr);

}  // namespace cardinalsin::promql
