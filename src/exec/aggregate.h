// File: aggregate.h
//
// Aggregate functions and the HashAggregate operator (GROUP BY), optionally partitioned over a
// thread pool with partial states merged at the end.
//
//   // SELECT job, count(*), avg(value) FROM t WHERE value > 0 GROUP BY job   (job = column 4)
//   BatchPipeline pre(scan->schema());
//   CS_RETURN_IF_ERROR(pre.AddFilter(value_gt_0));
//   HashAggregateOptions options{.pool = &pool, .partitions = 2, .pre = &pre};
//   CS_ASSIGN_OR_RETURN(OperatorPtr agg, MakeHashAggregate(std::move(scan), /*group_keys=*/{4},
//       {{.kind = AggregateKind::kCountStar, .name = "count"},
//        {.kind = AggregateKind::kAvg, .arg = 2, .name = "avg"}}, &ctx, options));
//   // output columns: job, count, avg (one row per group, groups in first-seen order unless
//   // partitioned; callers that need an order add a Sort)
//
// Semantics (PostgreSQL unless stated):
//   count(*)                  rows; count(x) non-NULL rows; count(DISTINCT x) distinct non-NULL
//                             values (doubles: -0 = 0, NaN = NaN; strings by value) -> int64
//   sum(x)                    int64 -> int64 and uint64 -> uint64, checked: overflow fails with
//                             OutOfRange "sum(x) overflows int64"; double -> double (IEEE)
//   avg(x)                    double (integers summed as double)
//   min(x), max(x)            any type; doubles by CompareDoubles (max is NaN if any NaN)
//   stddev/stddev_samp, stddev_pop, variance/var_samp, var_pop
//                             double; Welford updates, Chan merge; samp needs >= 2 rows
//   percentile_cont(p) WITHIN GROUP (ORDER BY x)  numeric x -> double, linear interpolation
//                             between the values at floor/ceil of p * (n - 1)
//   percentile_disc(p) WITHIN GROUP (ORDER BY x)  the first value whose cumulative position
//                             reaches p (index ceil(p * n) - 1, at least 0); x's type
//                             (numeric or timestamp)
//   approx_percentile_cont(x, p)  computed EXACTLY, as percentile_cont (no sketch), so its
//                             memory is that of the values, bounded by the memory limit
//   first_value(x ORDER BY t) / last_value(x ORDER BY t)  x at the smallest / largest t
//                             (arg_min / arg_max); rows where x or t is NULL are ignored; ties
//                             keep the earliest row seen (first) / the latest row seen (last);
//                             with partitions, which tied row wins is unspecified
//   FILTER (WHERE c)          per aggregate: only rows where bool column c is true
//   Every aggregate but count is NULL for a group with no (non-NULL, filtered-in) rows; an
//   aggregate without group keys yields exactly one row, even for empty input.
// Percentile fractions must be in [0, 1] (InvalidArgument otherwise).
//
// Thread-safety: as for every operator (operator.h).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "exec/operator.h"

namespace cardinalsin::exec {

enum class AggregateKind {
  kCountStar,
  kCount,
  kCountDistinct,
  kSum,
  kAvg,
  kMin,
  kMax,
  kStddevSamp,
  kStddevPop,
  kVarSamp,
  kVarPop,
  kPercentileCont,
  kPercentileDisc,
  kApproxPercentileCont,
  kFirstValue,
  kLastValue,
};

struct AggregateSpec {
  AggregateKind kind = AggregateKind::kCountStar;
  // Input column (all kinds but kCountStar). For percentiles: the ORDER BY / first argument.
  std::optional<size_t> arg;
  // first_value / last_value: the ORDER BY column (int64, uint64, double or timestamp).
  std::optional<size_t> order_by;
  // FILTER (WHERE ...): a bool input column; rows where it is false or NULL are skipped.
  std::optional<size_t> filter;
  // Percentile fraction in [0, 1].
  double fraction = 0.5;
  // Output column name.
  std::string name;
};

// Maps a SQL aggregate name (case-insensitive) to its kind: count (count(*) is kCountStar when
// `star`), count + distinct, sum, avg, min, max, stddev, stddev_samp, stddev_pop, variance,
// var_samp, var_pop, percentile_cont, percentile_disc, approx_percentile_cont, first_value,
// last_value. InvalidArgument for DISTINCT on anything but count; NotFound for other names.
absl::StatusOr<AggregateKind> LookupAggregateFunction(std::string_view name, bool distinct = false,
                                                      bool star = false);
bool IsAggregateFunction(std::string_view name);
std::string_view AggregateName(AggregateKind kind);

// The output type of `kind` over an argument of `arg_type` (ignored for kCountStar), or
// InvalidArgument "sum(string) is not supported".
absl::StatusOr<TypeId> AggregateResultType(AggregateKind kind, TypeId arg_type);

struct HashAggregateOptions {
  // With a pool and partitions > 1, `partitions` workers pull batches from the child (one at a
  // time, under a lock), run `pre` on them and aggregate into private tables that are merged at
  // the end. Without, everything runs on the calling thread. The child is driven from pool
  // threads then, so it must not itself wait on the same pool (use `pre` rather than a
  // ParallelPipeline child).
  base::ThreadPool* pool = nullptr;
  size_t partitions = 1;
  // Optional filter/project stages applied to each child batch before aggregation (in the
  // workers, so they run in parallel too). Group keys and aggregate columns then refer to
  // pre->output_schema(). Must outlive the operator.
  const BatchPipeline* pre = nullptr;
};

// GROUP BY `group_keys` (column indices; any types, NULL is a group of its own) computing
// `aggregates`. Output: the key columns, then one column per aggregate, at most
// kTargetBatchRows rows per batch. Hash tables and value lists count against the memory limit.
absl::StatusOr<OperatorPtr> MakeHashAggregate(OperatorPtr child, std::vector<size_t> group_keys,
                                              std::vector<AggregateSpec> aggregates,
                                              ExecContext* ctx, HashAggregateOptions options = {});

// The same aggregation over several inputs with equal schemas (e.g. one scan per group of
// chunks): worker i pulls only from inputs[i], without a lock, so the inputs' own Next() work
// (decoding, copying) runs in parallel as well. inputs[0] runs on the calling thread, the others
// on options.pool (one after another when the pool is null); options.partitions is ignored.
// Each input must be driveable from a pool thread (operators are; see thread-safety above).
absl::StatusOr<OperatorPtr> MakePartitionedHashAggregate(std::vector<OperatorPtr> inputs,
                                                         std::vector<size_t> group_keys,
                                                         std::vector<AggregateSpec> aggregates,
                                                         ExecContext* ctx,
                                                         HashAggregateOptions options = {});

}  // namespace cardinalsin::exec
