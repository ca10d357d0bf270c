// File: operator.h
//
// Pull-based physical operators. Each Next() returns the next batch (at most about
// kTargetBatchRows rows for operators that produce batches themselves), std::nullopt at the end,
// or an error; after an error or the end, Next() must not be called again. Operators check the
// ExecContext (deadline, cancellation, memory and row limits) as they go.
//
//   ExecContext ctx({.timeout = absl::Seconds(10)});
//   CS_ASSIGN_OR_RETURN(OperatorPtr scan, MakeSource(schema, batches, &ctx));
//   CS_ASSIGN_OR_RETURN(OperatorPtr filtered, MakeFilter(std::move(scan), predicate, &ctx));
//   CS_ASSIGN_OR_RETURN(OperatorPtr top, MakeTopN(std::move(filtered),
//       {{.column = 2, .descending = true}}, /*limit=*/10, /*offset=*/0, &ctx));
//   CS_ASSIGN_OR_RETURN(std::vector<RecordBatch> rows, CollectAll(*top));
//
// Columns are addressed by index into the child's schema. Factories validate indices and types
// and return InvalidArgument naming the problem, so Next() never meets a planning error.
//
// Thread-safety: an operator tree is driven by one thread at a time; operators given a
// ThreadPool use it internally. The ExecContext and the pool must outlive the tree.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "base/thread_pool.h"
#include "exec/exec_context.h"
#include "exec/expr.h"
#include "model/record_batch.h"

namespace cardinalsin::exec {

inline constexpr size_t kTargetBatchRows = 8192;

class Operator {
 public:
  virtual ~Operator() = default;
  virtual const model::Schema& schema() const = 0;
  [[nodiscard]] virtual absl::StatusOr<std::optional<RecordBatch>> Next() = 0;
};

using OperatorPtr = std::unique_ptr<Operator>;

// Drains `op` into a vector of batches (empty batches dropped).
absl::StatusOr<std::vector<RecordBatch>> CollectAll(Operator& op);
// Drains `op` into one batch with `op.schema()` (zero rows if it produced nothing).
absl::StatusOr<RecordBatch> CollectOne(Operator& op);

// ---- sources --------------------------------------------------------------------------------

// Yields `batches` in order. Each batch must have `schema` (checked here). Counts rows against
// the row limit and checks the deadline per batch.
absl::StatusOr<OperatorPtr> MakeSource(model::Schema schema, std::vector<RecordBatch> batches,
                                       ExecContext* ctx);
// Calls `next` until it returns std::nullopt (the scan layer's adapter). Batches must have
// `schema` (checked per batch; InvalidArgument otherwise).
using BatchCallback = std::function<absl::StatusOr<std::optional<RecordBatch>>()>;
OperatorPtr MakeCallbackSource(model::Schema schema, BatchCallback next, ExecContext* ctx);

// ---- per-batch work: filter and project -----------------------------------------------------

struct ProjectItem {
  ExprPtr expr;
  std::string name;
};

// A chain of filters and projections applied to one batch at a time; immutable once built and
// safe to Apply() from several threads at once.
class BatchPipeline {
 public:
  explicit BatchPipeline(model::Schema input) : input_(input), schema_(std::move(input)) {}
  // Keeps rows where `predicate` is true (not false or NULL). REQUIRES predicate type bool.
  [[nodiscard]] absl::Status AddFilter(ExprPtr predicate);
  [[nodiscard]] absl::Status AddProject(std::vector<ProjectItem> items);
  const model::Schema& input_schema() const { return input_; }
  const model::Schema& output_schema() const { return schema_; }
  bool empty() const { return stages_.empty(); }
  // The transformed batch (possibly zero rows).
  [[nodiscard]] absl::StatusOr<RecordBatch> Apply(RecordBatch batch) const;

 private:
  struct Stage {
    ExprPtr predicate;               // set for a filter
    std::vector<ProjectItem> items;  // set for a projection
    model::Schema schema;            // output of this stage
  };
  model::Schema input_;
  model::Schema schema_;
  std::vector<Stage> stages_;
};

absl::StatusOr<OperatorPtr> MakeFilter(OperatorPtr child, ExprPtr predicate, ExecContext* ctx);
absl::StatusOr<OperatorPtr> MakeProject(OperatorPtr child, std::vector<ProjectItem> items,
                                        ExecContext* ctx);
// Applies `pipeline` to the child's batches on `pool` (up to pool->num_threads() + 1 batches in
// flight), emitting results in the child's order; empty results are skipped.
// REQUIRES: pipeline input schema == child schema (checked).
absl::StatusOr<OperatorPtr> MakeParallelPipeline(OperatorPtr child, BatchPipeline pipeline,
                                                 base::ThreadPool* pool, ExecContext* ctx);

// ---- limit and union ------------------------------------------------------------------------

// Skips `offset` rows, then passes at most `limit` rows (nullopt: no limit). Stops pulling the
// child once the limit is reached. REQUIRES: offset >= 0, limit >= 0.
absl::StatusOr<OperatorPtr> MakeLimit(OperatorPtr child, std::optional<int64_t> limit,
                                      int64_t offset);
// Every child's rows in order. REQUIRES: children with the same column types (names come from
// the first child).
absl::StatusOr<OperatorPtr> MakeUnionAll(std::vector<OperatorPtr> children);

// ---- sort -----------------------------------------------------------------------------------

struct SortKey {
  size_t column = 0;
  bool descending = false;
  // PostgreSQL default: NULLS LAST for ascending, NULLS FIRST for descending.
  std::optional<bool> nulls_first;
};

// Orders all rows by `keys` (stable: ties keep input order). Doubles use CompareDoubles (NaN
// after +Inf ascending), strings bytewise. Buffered rows count against the memory limit.
absl::StatusOr<OperatorPtr> MakeSort(OperatorPtr child, std::vector<SortKey> keys,
                                     ExecContext* ctx);
// ORDER BY keys LIMIT limit OFFSET offset with memory bounded by about
// 2 * (limit + offset) rows + one batch: buffered rows are re-sorted and truncated whenever they
// exceed that bound. Same order and tie rule as MakeSort.
absl::StatusOr<OperatorPtr> MakeTopN(OperatorPtr child, std::vector<SortKey> keys, int64_t limit,
                                     int64_t offset, ExecContext* ctx);

// ---- hash join ------------------------------------------------------------------------------

enum class JoinType { kInner, kLeft };

// Equality join: output columns are the left's then the right's (the right's nullable for
// kLeft). The right side is built into a hash table (memory accounted), the left is streamed.
// NULL keys never match. REQUIRES: left_keys.size() == right_keys.size() >= 1 and pairwise equal
// key types (the binder casts; InvalidArgument otherwise). Output order follows the left input.
absl::StatusOr<OperatorPtr> MakeHashJoin(OperatorPtr left, OperatorPtr right,
                                         std::vector<size_t> left_keys,
                                         std::vector<size_t> right_keys, JoinType type,
                                         ExecContext* ctx);

// Approximate bytes held by a column (values, offsets, validity), for memory accounting.
int64_t ColumnBytes(const Column& column);

}  // namespace cardinalsin::exec
