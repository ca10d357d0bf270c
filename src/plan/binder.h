// File: binder.h
//
// The binder: turns a parsed statement (sql/ast.h) into a logical plan (logical_plan.h). It
// resolves names, checks types through the exec function registry, folds constants (now() once
// per query, interval arithmetic, casts of literals), and applies the optimizer rules of
// optimizer.h while it builds the plan: the WHERE conjuncts of a SELECT over `metrics` become
// scan conditions (time range, metric name, label predicates), the scan reads only the columns
// the query names, and ORDER BY + LIMIT becomes one top-N.
//
// Name resolution (the parser already folded unquoted names to lower case; quoted names keep
// their spelling and match exactly):
//  - `metrics` has the fixed columns timestamp, metric_name, value, series_id, then one nullable
//    string column per label key of the tenant's data, sorted (ARCHITECTURE.md section 2).
//    A label key no chunk and no ingester buffer has is an unknown column ("column "foo" does not
//    exist"), as in InfluxDB IOx / DataFusion, where a table's schema is the union of its
//    chunks' columns: a typo is an error, not a silent all-NULL column. A label present in only
//    some chunks reads as NULL in the others.
//  - `information_schema.tables` and `information_schema.columns` are literal tables; SHOW TABLES
//    and DESCRIBE read them.
//  - GROUP BY items are, in this order: a position (`GROUP BY 1`), a column of the FROM item, an
//    alias of the select list, or an expression. ORDER BY items: a position, an output column
//    name (alias), or an expression over the FROM item (aggregates allowed when grouping).
//  - Scalar subqueries and IN (SELECT ...) must be uncorrelated; they run once while binding
//    (BindOptions::run_subquery) and become literals.
//
// Errors are InvalidArgument "<problem> at line L, column C", the position being the byte offset
// of the offending node, e.g. `column "foo" does not exist at line 1, column 8`.
//
// Thread-safety: Bind is reentrant; the callbacks are called on the calling thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "model/record_batch.h"
#include "plan/logical_plan.h"
#include "sql/ast.h"

namespace cardinalsin::plan {

struct BindOptions {
  std::string tenant;
  // The value of now() / current_timestamp for the whole statement.
  int64_t now_ns = 0;
  // The label keys of `metrics`, sorted. `complete` = false: what the catalog knows (cheap);
  // true: also the labels of unflushed rows (asked only for `*` and for names the catalog does
  // not know).
  std::function<absl::StatusOr<std::vector<std::string>>(bool complete)> label_names;
  // Runs a bound uncorrelated subquery and returns its rows.
  std::function<absl::StatusOr<std::vector<model::RecordBatch>>(const PlanPtr&)> run_subquery;
  // The most values an IN (SELECT ...) subquery may produce.
  size_t max_in_subquery_values = 100'000;
};

struct BoundStatement {
  enum class Kind { kQuery, kExplain, kExplainAnalyze };
  Kind kind = Kind::kQuery;
  PlanPtr plan;
};

// REQUIRES: `statement` was parsed from `sql` (positions index into it).
[[nodiscard]] absl::StatusOr<BoundStatement> Bind(const sql::Statement& statement,
                                                  std::string_view sql, const BindOptions& options);

// The SQL name of a column type as DESCRIBE shows it (TIMESTAMP, VARCHAR, DOUBLE, ...).
std::string_view SqlTypeName(model::TypeId type);

}  // namespace cardinalsin::plan
