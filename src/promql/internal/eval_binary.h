// File: internal/eval_binary.h
//
// Private to the PromQL engine: binary operators over grid matrices (internal/eval_common.h):
// arithmetic and comparisons between scalars, between a vector and a scalar, between vectors
// with one-to-one, many-to-one and one-to-many matching (on/ignoring, group_left/group_right
// with include labels, fill modifiers), and the set operators and/or/unless. Matching errors
// use Prometheus's texts. Delayed name removal: arithmetic and `bool` mark results drop_name.
//
// Thread-safety: pure functions of their arguments (the QueryState is the calling query's).
#pragma once

#include "absl/status/statusor.h"
#include "promql/ast.h"
#include "promql/internal/eval_common.h"
#include "promql/value.h"

namespace cardinalsin::promql::internal {

// `b` over its evaluated operands. REQUIRES: lhs and rhs are grid matrices of `grid`, of the
// types TypeOf(*b.lhs) and TypeOf(*b.rhs).
[[nodiscard]] absl::StatusOr<Matrix> EvalBinaryOp(QueryState& q, const Grid& g, const BinaryExpr& b,
                                                  Matrix lhs, Matrix rhs);

}  // namespace cardinalsin::promql::internal
