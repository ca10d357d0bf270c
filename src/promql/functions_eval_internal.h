// File: functions_eval_internal.h
//
// Private to the functions_eval*.cc files: the per-family tables that LookupFunctionImpl()
// merges, and helpers shared by them (annotation texts, Go-compatible number parsing and
// printing, Kahan summation). Not for use outside src/promql/functions_eval*.cc.
//
// Thread-safety: pure functions and immutable tables.
#pragma once

#include <cmath>
#include <span>
#include <string>
#include <string_view>

#include "promql/ast.h"
#include "promql/functions_eval.h"
#include "promql/value.h"

namespace cardinalsin::promql::internal {

// The tables of each family (functions_eval_range.cc, functions_eval_step.cc,
// functions_eval_histogram.cc). Each entry's name is unique across all of them.
std::span<const FunctionImpl> RangeFunctionImpls();
std::span<const FunctionImpl> StepFunctionImpls();
std::span<const FunctionImpl> HistogramFunctionImpls();

// Prometheus's position suffix for an annotation about `expr`: " (1:<start + 1>)". Empty when
// `expr` is null (tests calling kernels without a call node).
std::string PositionSuffix(const Expr* expr);

// The position suffix of argument `index` of `call` (empty when call is null or has fewer
// arguments).
std::string ArgPositionSuffix(const Call* call, size_t index);

// Go's fmt "%g" for a float64 (shortest representation; exponent form below 1e-4 and from
// 1e+21 on, e.g. "1e-05", "1.5", "NaN", "+Inf", "-Inf").
std::string GoFormatG(double v);

// Go's strconv.ParseFloat(s, 64) acceptance: decimal or hexadecimal floats with an optional
// sign, "Inf"/"Infinity"/"NaN" in any case; no surrounding spaces. False on syntax errors and
// on out-of-range values (as Go's ErrRange).
bool ParseGoFloat(std::string_view s, double* out);

// "PromQL warning: quantile value should be between 0 and 1, got <q>" + position of `arg`.
void AddInvalidQuantileWarning(Annotations* annotations, double q, const Expr* arg);

// One step of Kahan-Babuska (Neumaier) summation as Prometheus does it: adds `inc` to `sum`
// and accumulates the lost low-order bits in `c`. The result is sum + c.
inline void KahanAdd(double inc, double& sum, double& c) {
  double t = sum + inc;
  if (std::isinf(t)) {
    c = 0;
  } else if (std::fabs(sum) >= std::fabs(inc)) {
    c += (sum - t) + inc;
  } else {
    c += (inc - t) + sum;
  }
  sum = t;
}

// Quantile `q` of `values` by linear interpolation between closest ranks (Prometheus's
// quantile()): NaN for NaN q or no values, -Inf for q < 0, +Inf for q > 1. NaN values sort
// before all others. Sorts `values` in place.
double QuantileInPlace(double q, std::span<double> values);

}  // namespace cardinalsin::promql::internal
