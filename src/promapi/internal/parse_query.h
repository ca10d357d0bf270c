// File: internal/parse_query.h
//
// The syntax tree as /api/v1/parse_query returns it: the JSON form of Prometheus's
// web/api/v1 translateAST, which the Prometheus UI's tree view reads. Objects have sorted keys, as
// Go marshals maps; node types "aggregation", "binaryExpr", "call", "matrixSelector", "subquery",
// "numberLiteral", "parenExpr", "stringLiteral", "unaryExpr", "vectorSelector"; durations in ms;
// selector matchers include the metric name as a `__name__` matcher, as Prometheus's do.
//
// Thread-safety: pure function.
#pragma once

#include <string>

#include "promql/ast.h"

namespace cardinalsin::promapi::internal {

void AppendAstJson(std::string* out, const promql::Expr& expr);

}  // namespace cardinalsin::promapi::internal
