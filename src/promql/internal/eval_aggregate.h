// File: internal/eval_aggregate.h
//
// Private to the PromQL engine: aggregation operators over a grid matrix (internal/
// eval_common.h) with Prometheus's float semantics: sum and avg with Kahan-Neumaier summation
// (avg switches to an incremental mean when the sum would overflow), min/max that prefer numbers
// to NaN, Welford stddev/stdvar, quantile by linear interpolation, topk/bottomk through the same
// heap as Go's container/heap, limitk, limit_ratio by label hash, count_values with Go's float
// formatting. Groups are computed once per input series, not per step.
//
// Thread-safety: pure functions of their arguments (the QueryState is the calling query's).
#pragma once

#include <vector>

#include "absl/status/statusor.h"
#include "promql/ast.h"
#include "promql/internal/eval_common.h"
#include "promql/value.h"

namespace cardinalsin::promql::internal {

// `a` over its evaluated body `in` (a grid matrix of `grid`); `param` holds the parameter's
// value at every step for topk, bottomk, limitk, limit_ratio and quantile (else empty).
[[nodiscard]] absl::StatusOr<Matrix> EvalAggregation(QueryState& q, const Grid& grid,
                                                     const AggregateExpr& a, const Matrix& in,
                                                     const std::vector<double>& param);

}  // namespace cardinalsin::promql::internal
