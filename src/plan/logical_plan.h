// File: logical_plan.h
//
// The bound, optimized plan of one query: a tree of PlanNodes whose expressions are already
// exec::Exprs (types checked, constants folded, columns addressed by index into the child's
// output). The binder (binder.h) builds it, with its optimizer rules applied as it goes
// (optimizer.h: predicate and projection pushdown into the scan, constant folding, ORDER BY +
// LIMIT as a top-N); the physical planner (physical_plan.h) turns it into exec operators.
//
//   Limit 25
//     TopN [avg_value DESC] limit 25          (a Sort node with `limit` set)
//       Project metric_name, avg_value
//         Aggregate keys [metric_name] aggregates [avg(value)]
//           Project metric_name, value        (the aggregate's input columns)
//             Scan metrics columns [metric_name, value] time [..]   (filters pushed into it)
//
// Thread-safety: immutable once built; may be shared between threads.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "exec/aggregate.h"
#include "exec/expr.h"
#include "exec/operator.h"
#include "model/record_batch.h"
#include "scan/scan_request.h"

namespace cardinalsin::plan {

struct PlanNode;
using PlanPtr = std::shared_ptr<const PlanNode>;

enum class PlanKind {
  kScan,       // reads `metrics` through scan::Scanner with `request`
  kValues,     // literal rows (SELECT without FROM, SHOW TABLES, DESCRIBE, EXPLAIN output)
  kFilter,     // keeps rows where `predicate` is true
  kProject,    // computes `items`
  kAggregate,  // GROUP BY `group_keys` computing `aggregates` (DISTINCT is one without them)
  kSort,       // ORDER BY `sort_keys`; with `limit` set: top-N (limit + offset rows kept)
  kLimit,      // OFFSET `offset` LIMIT `limit`
  kUnionAll,   // the children's rows one after another
};

struct PlanNode {
  PlanKind kind = PlanKind::kValues;
  model::Schema schema;  // output columns
  std::vector<PlanPtr> children;

  // kScan: what the scan is asked for (already holding the pushed-down conditions), and one
  // human-readable line per pushed condition for EXPLAIN.
  scan::ScanRequest request;
  std::vector<std::string> pushed;
  // kValues.
  std::vector<model::RecordBatch> rows;
  // kFilter.
  exec::ExprPtr predicate;
  // kProject.
  std::vector<exec::ProjectItem> items;
  // kAggregate.
  std::vector<size_t> group_keys;
  std::vector<exec::AggregateSpec> aggregates;
  // kSort and kLimit.
  std::vector<exec::SortKey> sort_keys;
  std::optional<int64_t> limit;
  int64_t offset = 0;
};

// Builders. Each computes the node's output schema from its arguments.
PlanPtr MakeScanNode(model::Schema columns, scan::ScanRequest request,
                     std::vector<std::string> pushed);
PlanPtr MakeValuesNode(model::Schema schema, std::vector<model::RecordBatch> rows);
PlanPtr MakeFilterNode(PlanPtr child, exec::ExprPtr predicate);
PlanPtr MakeProjectNode(PlanPtr child, std::vector<exec::ProjectItem> items);
// Output: the key columns (named by `key_names`), then one column per aggregate.
// REQUIRES: key_names.size() == group_keys.size(); aggregate result types valid (checked by the
// caller with exec::AggregateResultType).
absl::StatusOr<PlanPtr> MakeAggregateNode(PlanPtr child, std::vector<size_t> group_keys,
                                          std::vector<std::string> key_names,
                                          std::vector<exec::AggregateSpec> aggregates);
PlanPtr MakeSortNode(PlanPtr child, std::vector<exec::SortKey> keys, std::optional<int64_t> limit,
                     int64_t offset);
PlanPtr MakeLimitNode(PlanPtr child, std::optional<int64_t> limit, int64_t offset);
PlanPtr MakeUnionAllNode(std::vector<PlanPtr> children);

// One line describing `node` alone (no children), as EXPLAIN prints it.
std::string DescribeNode(const PlanNode& node);

}  // namespace cardinalsin::plan
