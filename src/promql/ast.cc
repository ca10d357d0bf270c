#include "promql/ast.h"

#include <algorithm>
#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "base/strings.h"
#include "promql/functions.h"

namespace cardinalsin::promql {
namespace {

struct AggregateName {
  AggregateOp op;
  std::string_view name;
};
constexpr AggregateName kAggregates[] = {
    {AggregateOp::kSum, "sum"},           {AggregateOp::kAvg, "avg"},
    {AggregateOp::kMin, "min"},           {AggregateOp::kMax, "max"},
    {AggregateOp::kCount, "count"},       {AggregateOp::kGroup, "group"},
    {AggregateOp::kStddev, "stddev"},     {AggregateOp::kStdvar, "stdvar"},
    {AggregateOp::kTopk, "topk"},         {AggregateOp::kBottomk, "bottomk"},
    {AggregateOp::kQuantile, "quantile"}, {AggregateOp::kCountValues, "count_values"},
    {AggregateOp::kLimitk, "limitk"},     {AggregateOp::kLimitRatio, "limit_ratio"},
};

}  // namespace

std::string_view ValueTypeName(ValueType type) {
  switch (type) {
    case ValueType::kNone:
      return "none";
    case ValueType::kScalar:
      return "scalar";
    case ValueType::kVector:
      return "instant vector";
    case ValueType::kMatrix:
      return "range vector";
    case ValueType::kString:
      return "string";
  }
  return "none";
}

std::string_view BinaryOpName(BinaryOp op) {
  switch (op) {
    case BinaryOp::kAdd:
      return "+";
    case BinaryOp::kSub:
      return "-";
    case BinaryOp::kMul:
      return "*";
    case BinaryOp::kDiv:
      return "/";
    case BinaryOp::kMod:
      return "%";
    case BinaryOp::kPow:
      return "^";
    case BinaryOp::kAtan2:
      return "atan2";
    case BinaryOp::kEql:
      return "==";
    case BinaryOp::kNeq:
      return "!=";
    case BinaryOp::kGtr:
      return ">";
    case BinaryOp::kLss:
      return "<";
    case BinaryOp::kGte:
      return ">=";
    case BinaryOp::kLte:
      return "<=";
    case BinaryOp::kAnd:
      return "and";
    case BinaryOp::kOr:
      return "or";
    case BinaryOp::kUnless:
      return "unless";
    case BinaryOp::kTrimUpper:
      return "</";
    case BinaryOp::kTrimLower:
      return ">/";
  }
  return "?";
}

bool IsComparisonOp(BinaryOp op) {
  return op == BinaryOp::kEql || op == BinaryOp::kNeq || op == BinaryOp::kGtr ||
         op == BinaryOp::kLss || op == BinaryOp::kGte || op == BinaryOp::kLte;
}

bool IsSetOp(BinaryOp op) {
  return op == BinaryOp::kAnd || op == BinaryOp::kOr || op == BinaryOp::kUnless;
}

std::string_view AggregateOpName(AggregateOp op) {
  for (const AggregateName& a : kAggregates) {
    if (a.op == op) return a.name;
  }
  return "?";
}

std::optional<AggregateOp> LookupAggregateOp(std::string_view name) {
  std::string lower = absl::AsciiStrToLower(base::AsAbsl(name));
  for (const AggregateName& a : kAggregates) {
    if (a.name == lower) return a.op;
  }
  return std::nullopt;
}

bool AggregateTakesParam(AggregateOp op) {
  return op == AggregateOp::kTopk || op == AggregateOp::kBottomk || op == AggregateOp::kQuantile ||
         op == AggregateOp::kCountValues || op == AggregateOp::kLimitk ||
         op == AggregateOp::kLimitRatio;
}

std::string_view MatchTypeName(MatchType type) {
  switch (type) {
    case MatchType::kEqual:
      return "=";
    case MatchType::kNotEqual:
      return "!=";
    case MatchType::kRegexMatch:
      return "=~";
    case MatchType::kRegexNoMatch:
      return "!~";
  }
  return "?";
}

std::optional<double> EvaluateDurationSeconds(const DurationExpr& expr,
                                              std::optional<double> step_seconds,
                                              std::optional<double> range_seconds) {
  using Kind = DurationExpr::Kind;
  switch (expr.kind) {
    case Kind::kNumber:
      return expr.number;
    case Kind::kDuration:
      return static_cast<double>(expr.duration_ms) / 1000.0;
    case Kind::kStep:
      return step_seconds;
    case Kind::kRange:
      return range_seconds;
    case Kind::kParen:
      return EvaluateDurationSeconds(*expr.lhs, step_seconds, range_seconds);
    case Kind::kUnary: {
      std::optional<double> v = EvaluateDurationSeconds(*expr.lhs, step_seconds, range_seconds);
      if (!v.has_value()) return std::nullopt;
      return expr.negative ? -*v : *v;
    }
    case Kind::kMinOf:
    case Kind::kMaxOf:
    case Kind::kBinary: {
      std::optional<double> a = EvaluateDurationSeconds(*expr.lhs, step_seconds, range_seconds);
      std::optional<double> b = EvaluateDurationSeconds(*expr.rhs, step_seconds, range_seconds);
      if (!a.has_value() || !b.has_value()) return std::nullopt;
      if (expr.kind == Kind::kMinOf) return std::min(*a, *b);
      if (expr.kind == Kind::kMaxOf) return std::max(*a, *b);
      switch (expr.op) {
        case BinaryOp::kAdd:
          return *a + *b;
        case BinaryOp::kSub:
          return *a - *b;
        case BinaryOp::kMul:
          return *a * *b;
        case BinaryOp::kDiv:
          return *a / *b;
        case BinaryOp::kMod:
          return std::fmod(*a, *b);
        case BinaryOp::kPow:
          return std::pow(*a, *b);
        default:
          return std::nullopt;
      }
    }
  }
  return std::nullopt;
}

absl::StatusOr<int64_t> DurationValue::Resolve(int64_t step_ms, int64_t range_ms) const {
  if (expr == nullptr) return fixed_ms.value_or(0);
  std::optional<double> seconds = EvaluateDurationSeconds(
      *expr, static_cast<double>(step_ms) / 1000.0, static_cast<double>(range_ms) / 1000.0);
  double ms = std::round(seconds.value_or(NAN) * 1000.0);
  if (!std::isfinite(ms) || std::fabs(ms) >= 9.2e18) {
    return absl::InvalidArgumentError(
        absl::StrFormat("duration expression evaluates to %g seconds, not a valid duration",
                        seconds.value_or(NAN)));
  }
  return static_cast<int64_t>(ms);
}

ValueType TypeOf(const Expr& expr) {
  if (expr.As<NumberLiteral>() != nullptr) return ValueType::kScalar;
  if (expr.As<StringLiteral>() != nullptr) return ValueType::kString;
  if (expr.As<VectorSelector>() != nullptr) return ValueType::kVector;
  if (expr.As<MatrixSelector>() != nullptr || expr.As<SubqueryExpr>() != nullptr) {
    return ValueType::kMatrix;
  }
  if (const auto* paren = expr.As<ParenExpr>()) return TypeOf(*paren->expr);
  if (const auto* unary = expr.As<UnaryExpr>()) return TypeOf(*unary->expr);
  if (const auto* bin = expr.As<BinaryExpr>()) {
    return TypeOf(*bin->lhs) == ValueType::kScalar && TypeOf(*bin->rhs) == ValueType::kScalar
               ? ValueType::kScalar
               : ValueType::kVector;
  }
  if (expr.As<AggregateExpr>() != nullptr) return ValueType::kVector;
  if (const auto* call = expr.As<Call>()) return call->func->return_type;
  return ValueType::kNone;
}

}  // namespace cardinalsin::promql
