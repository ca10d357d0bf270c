#include "promapi/internal/parse_query.h"

#include <string_view>

#include "nlohmann/json.hpp"
#include "promapi/internal/json.h"
#include "promql/functions.h"

namespace cardinalsin::promapi::internal {
namespace {

using nlohmann::json;

std::string Str(std::string_view text) { return std::string(text); }

// Go's ValueType names (Prometheus's parser.ValueType).
std::string TypeName(promql::ValueType type) {
  switch (type) {
    case promql::ValueType::kScalar:
      return "scalar";
    case promql::ValueType::kVector:
      return "vector";
    case promql::ValueType::kMatrix:
      return "matrix";
    case promql::ValueType::kString:
      return "string";
    case promql::ValueType::kNone:
      break;
  }
  return "none";
}

std::string CardName(promql::VectorMatching::Cardinality card) {
  using Cardinality = promql::VectorMatching::Cardinality;
  switch (card) {
    case Cardinality::kOneToOne:
      return "one-to-one";
    case Cardinality::kManyToOne:
      return "many-to-one";
    case Cardinality::kOneToMany:
      return "one-to-many";
    case Cardinality::kManyToMany:
      return "many-to-many";
  }
  return "one-to-one";
}

int64_t Ms(const promql::DurationValue& value) { return value.fixed_ms.value_or(0); }

json Timestamp(const promql::AtModifier& at) {
  if (at.kind == promql::AtModifier::Kind::kTimestamp) return at.timestamp_ms;
  return nullptr;
}

json StartOrEnd(const promql::AtModifier& at) {
  if (at.kind == promql::AtModifier::Kind::kStart) return "start";
  if (at.kind == promql::AtModifier::Kind::kEnd) return "end";
  return nullptr;
}

json Matchers(const promql::VectorSelector& selector) {
  json out = json::array();
  if (!selector.name.empty()) {
    out.push_back({{"name", Str(promql::kMetricName)}, {"type", "="}, {"value", selector.name}});
  }
  for (const promql::LabelMatcher& m : selector.matchers) {
    out.push_back(
        {{"name", m.name}, {"type", Str(promql::MatchTypeName(m.type))}, {"value", m.value}});
  }
  return out;
}

std::string NumberText(double value) {
  std::string text;
  AppendSampleValueText(&text, value);
  return text;
}

json Translate(const promql::Expr& expr) {
  if (const auto* n = expr.As<promql::NumberLiteral>()) {
    return {{"type", "numberLiteral"}, {"val", NumberText(n->value)}};
  }
  if (const auto* s = expr.As<promql::StringLiteral>()) {
    return {{"type", "stringLiteral"}, {"val", s->value}};
  }
  if (const auto* vs = expr.As<promql::VectorSelector>()) {
    return {{"type", "vectorSelector"},       {"name", vs->name},
            {"offset", Ms(vs->offset)},       {"matchers", Matchers(*vs)},
            {"timestamp", Timestamp(vs->at)}, {"startOrEnd", StartOrEnd(vs->at)}};
  }
  if (const auto* ms = expr.As<promql::MatrixSelector>()) {
    const auto& vs = *ms->selector->As<promql::VectorSelector>();
    return {{"type", "matrixSelector"},       {"name", vs.name},
            {"range", Ms(ms->range)},         {"offset", Ms(vs.offset)},
            {"matchers", Matchers(vs)},       {"timestamp", Timestamp(vs.at)},
            {"startOrEnd", StartOrEnd(vs.at)}};
  }
  if (const auto* sq = expr.As<promql::SubqueryExpr>()) {
    return {{"type", "subquery"},
            {"expr", Translate(*sq->expr)},
            {"range", Ms(sq->range)},
            {"offset", Ms(sq->offset)},
            {"step", sq->step.has_value() ? Ms(*sq->step) : 0},
            {"timestamp", Timestamp(sq->at)},
            {"startOrEnd", StartOrEnd(sq->at)}};
  }
  if (const auto* p = expr.As<promql::ParenExpr>()) {
    return {{"type", "parenExpr"}, {"expr", Translate(*p->expr)}};
  }
  if (const auto* u = expr.As<promql::UnaryExpr>()) {
    return {{"type", "unaryExpr"}, {"op", u->negative ? "-" : "+"}, {"expr", Translate(*u->expr)}};
  }
  if (const auto* b = expr.As<promql::BinaryExpr>()) {
    json matching = nullptr;
    if (b->matching.has_value()) {
      matching = {{"card", CardName(b->matching->card)},
                  {"labels", b->matching->labels},
                  {"on", b->matching->on},
                  {"include", b->matching->include}};
    }
    return {{"type", "binaryExpr"},      {"op", Str(promql::BinaryOpName(b->op))},
            {"lhs", Translate(*b->lhs)}, {"rhs", Translate(*b->rhs)},
            {"matching", matching},      {"bool", b->return_bool}};
  }
  if (const auto* a = expr.As<promql::AggregateExpr>()) {
    return {{"type", "aggregation"},
            {"op", Str(promql::AggregateOpName(a->op))},
            {"expr", Translate(*a->expr)},
            {"param", a->param != nullptr ? Translate(*a->param) : json(nullptr)},
            {"grouping", a->grouping},
            {"without", a->without}};
  }
  const auto& call = std::get<promql::Call>(expr.node);
  json arg_types = json::array();
  for (promql::ValueType type : call.func->arg_types) arg_types.push_back(TypeName(type));
  json args = json::array();
  for (const promql::ExprPtr& arg : call.args) args.push_back(Translate(*arg));
  return {{"type", "call"},
          {"func",
           {{"name", Str(call.func->name)},
            {"argTypes", arg_types},
            {"variadic", call.func->variadic},
            {"returnType", TypeName(call.func->return_type)}}},
          {"args", args}};
}

}  // namespace

void AppendAstJson(std::string* out, const promql::Expr& expr) {
  // Invalid UTF-8 (possible in string literals) is replaced, as Go's encoder does.
  out->append(Translate(expr).dump(-1, ' ', false, json::error_handler_t::replace));
}

}  // namespace cardinalsin::promapi::internal
