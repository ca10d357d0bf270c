// File: engine.h
//
// The PromQL engine: evaluates a parsed expression (parser.h) over series read through a Querier
// (value.h), as an instant query at one time or a range query over [start, end] by step, with
// Prometheus 3 semantics (ARCHITECTURE.md section 7): 5m lookback and staleness markers,
// left-open range windows, offset and @ (incl. start()/end()), subqueries, every operator with
// vector matching, aggregations, functions (functions_eval.h), delayed __name__ removal, and
// Prometheus's annotations.
//
//   Engine engine(EngineOptions{});
//   absl::StatusOr<ExprPtr> expr = ParseExpr("sum by (job) (rate(http_requests_total[5m]))");
//   absl::StatusOr<QueryResult> r = engine.RangeQuery(querier, **expr, start_ms, end_ms,
//                                                      15'000, QueryOptions{.deadline = d});
//
// Results: an instant query returns a Scalar, String or Vector (a Matrix when the expression is
// a range vector: a matrix selector or a subquery); a range query returns a Matrix (a scalar
// expression becomes one series with no labels). Matrix series are sorted by labels
// (LabelsLess); an instant Vector is sorted by labels too unless the expression's outermost
// node is sort, sort_desc, sort_by_label, sort_by_label_desc, topk or bottomk (then that order,
// as Prometheus, which leaves instant vectors unsorted). The metric name (and the type-and-unit
// labels __type__/__unit__) is removed from series marked drop_name before returning; series
// of a Matrix that then share a label set are merged when their points do not overlap (else
// the duplicate-labelset error below).
//
// Errors (the HTTP API maps them to Prometheus's errorType):
//   InvalidArgument     bad query parameters (end before start, step <= 0, too many points
//                       per series: more than 11000)                           -> bad_data
//   FailedPrecondition  evaluation errors: many-to-many matching, duplicate series in a result
//                       ("vector cannot contain metrics with the same labelset"), a function's
//                       bad argument                                            -> execution
//   ResourceExhausted   more than max_samples samples in memory at once ("query processing
//                       would load too many samples into memory in query execution")
//                                                                               -> execution
//   DeadlineExceeded    the deadline passed ("query timed out in ...")          -> timeout
//   Cancelled           options.cancelled was set                               -> canceled
//   others              from the Querier (Unavailable, Internal)                -> internal
//
// Thread-safety: an Engine is immutable after construction; queries may run concurrently.
#pragma once

#include <atomic>
#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/thread_pool.h"
#include "promql/ast.h"
#include "promql/value.h"

namespace cardinalsin::promql {

struct EngineOptions {
  int64_t lookback_delta_ms = 5 * 60 * 1000;
  // Samples held at once (loaded series points plus intermediate results), as Prometheus's
  // --query.max-samples.
  int64_t max_samples = 50'000'000;
  // Step of a subquery written without one (`x[1h:]`): Prometheus uses the global evaluation
  // interval, 1m by default.
  int64_t default_subquery_step_ms = 60'000;
  // Where evaluation work is split across series (range functions over many series), with the
  // calling thread taking part; null = all on the calling thread. Not owned.
  base::ThreadPool* pool = nullptr;
};

struct QueryOptions {
  absl::Time deadline = absl::InfiniteFuture();
  const std::atomic<bool>* cancelled = nullptr;  // polled; may be null
  // Overrides EngineOptions::lookback_delta_ms when > 0 (the API's lookback_delta parameter).
  int64_t lookback_delta_ms = 0;
};

struct QueryStats {
  int64_t samples_loaded = 0;   // points the Querier returned (Prometheus's totalQueryableSamples)
  int64_t peak_samples = 0;     // the most samples held at once
  int64_t series_selected = 0;  // series the Querier returned
};

struct QueryResult {
  Value value;
  Annotations annotations;
  QueryStats stats;
};

class Engine {
 public:
  explicit Engine(EngineOptions options);

  // Evaluates `expr` at `time_ms`.
  [[nodiscard]] absl::StatusOr<QueryResult> InstantQuery(Querier& querier, const Expr& expr,
                                                         int64_t time_ms,
                                                         const QueryOptions& options) const;

  // Evaluates `expr` at start_ms, start_ms + step_ms, ... <= end_ms.
  // REQUIRES: TypeOf(expr) is scalar or instant vector (else InvalidArgument, as Prometheus:
  // "invalid expression type \"range vector\" for range query, must be Scalar or instant Vector").
  [[nodiscard]] absl::StatusOr<QueryResult> RangeQuery(Querier& querier, const Expr& expr,
                                                       int64_t start_ms, int64_t end_ms,
                                                       int64_t step_ms,
                                                       const QueryOptions& options) const;

  const EngineOptions& options() const { return options_; }

 private:
  const EngineOptions options_;
};

}  // namespace cardinalsin::promql
