// File: physical_plan.h
//
// Turns a logical plan (logical_plan.h) into exec operators. A scan node becomes a source over
// scan::Scanner::Open(request) (the scan's catalog pruning happens here, before any chunk is
// read); a filter/project chain under an aggregate runs inside the aggregate's workers
// (exec::HashAggregateOptions::pre) so both cores work on it; ORDER BY + LIMIT is exec's top-N.
//
// With `instrument`, every operator is wrapped to count the rows it produces and the time spent
// in its Next() (inclusive of its inputs), for EXPLAIN ANALYZE.
//
//   PhysicalPlanner planner(&scanner, &ctx, pool, &clock, /*instrument=*/false);
//   CS_ASSIGN_OR_RETURN(exec::OperatorPtr root, planner.Build(plan));
//   CS_ASSIGN_OR_RETURN(std::vector<model::RecordBatch> rows, exec::CollectAll(*root));
//   scan::ScanStats stats = planner.ScanStatsTotal();
//
// Thread-safety: one planner per query, used by one thread; the operators it builds follow
// exec's rules (operator.h). The planner owns the scan streams, so it must outlive the operators
// it built, and `scanner`, `ctx`, `pool` and `clock` must outlive the planner.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "base/clock.h"
#include "base/thread_pool.h"
#include "exec/exec_context.h"
#include "exec/operator.h"
#include "plan/logical_plan.h"
#include "scan/scanner.h"

namespace cardinalsin::plan {

class PhysicalPlanner {
 public:
  PhysicalPlanner(scan::Scanner* scanner, exec::ExecContext* ctx, base::ThreadPool* pool,
                  base::Clock* clock, bool instrument);
  ~PhysicalPlanner();

  // Opens the plan's scans and builds its operators.
  // Errors: the scanner's Open() errors; exec's factory errors (planning bugs, reported as is).
  [[nodiscard]] absl::StatusOr<exec::OperatorPtr> Build(const PlanPtr& plan);

  // One line per node of `plan` (indented two spaces per level): DescribeNode, for scans the
  // pruning counters, and with instrumentation the actual rows and time.
  // REQUIRES: Build(plan) succeeded.
  std::vector<std::string> Explain(const PlanPtr& plan, bool analyze) const;

  // The sum of every scan's statistics so far (complete once the operators are drained).
  scan::ScanStats ScanStatsTotal() const;

 private:
  struct Actuals {
    int64_t rows = 0;
    absl::Duration time;
  };
  absl::StatusOr<exec::OperatorPtr> BuildNode(const PlanPtr& node);
  absl::StatusOr<exec::OperatorPtr> Wrap(const PlanNode* node, exec::OperatorPtr op);
  void ExplainNode(const PlanNode& node, int depth, bool analyze,
                   std::vector<std::string>* out) const;

  scan::Scanner* const scanner_;
  exec::ExecContext* const ctx_;
  base::ThreadPool* const pool_;
  base::Clock* const clock_;
  const bool instrument_;
  std::map<const PlanNode*, std::unique_ptr<scan::ScanStream>> scans_;
  std::map<const PlanNode*, std::shared_ptr<Actuals>> actuals_;
  // Pipelines run inside aggregates (exec keeps a pointer to them).
  std::vector<std::unique_ptr<exec::BatchPipeline>> pipelines_;
};

}  // namespace cardinalsin::plan
