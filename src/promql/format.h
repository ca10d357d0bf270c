// File: format.h
//
// Prints a PromQL syntax tree (ast.h) back to text.
//
// ToString produces canonical PromQL in the shape of Prometheus's String(): single spaces around
// binary operators, `sum by (job) (x)` for aggregations, `name{a="b", c=~"d"}` selectors with
// Go-style quoted values, durations as `1h30m`, `@` times as seconds with three decimals
// (`@ 100.000`), `@` before `offset`. Quoted UTF-8 names are printed quoted
// (`{"my.metric", "a.b"="x"}`). Parentheses are printed only where the tree has a ParenExpr, so
// for every tree the parser returns, ParseExpr(ToString(t)) has the same TreeString as t.
//
// TreeString is a debugging form that makes the structure explicit, e.g.
//   binary(number(1) + binary(number(2) * number(3)))
// tests use it to check precedence and round trips.
//
//   absl::StatusOr<ExprPtr> expr = ParseExpr("sum(rate(x[5m]))by(job)");
//   ToString(**expr);  // "sum by (job) (rate(x[5m]))"
//   Prettify(**expr);  // the same: only expressions over 100 bytes are split
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "promql/ast.h"

namespace cardinalsin::promql {

std::string ToString(const Expr& expr);
std::string TreeString(const Expr& expr);

// The layout of Prometheus's `format_query` API (its Prettify): an expression whose ToString
// is longer than 100 bytes is split over lines, two spaces of indent per level: an aggregation
// or a call puts each argument on its own lines inside `op (` ... `)`, a binary operation its
// operands above and below the operator line, a parenthesis its content inside `(` ... `)`.
// Shorter expressions are printed as ToString. Keeps Prometheus's quirk of printing a short
// subquery without its indent.
std::string Prettify(const Expr& expr);

// A PromQL float literal as Prometheus prints it: shortest round-trip digits in fixed notation,
// "+Inf", "-Inf", "NaN".
std::string FormatNumber(double value);

// Go's strconv.Quote: a double-quoted string with Go escapes; invalid UTF-8 bytes as \xNN.
std::string QuoteString(std::string_view value);

}  // namespace cardinalsin::promql
