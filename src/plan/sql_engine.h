// File: sql_engine.h
//
// CardinalSin's SQL engine: text in, record batches out. Parses (sql/parser.h), binds and
// optimizes (binder.h, optimizer.h), plans exec operators over scan::Scanner
// (physical_plan.h) and runs them under the query's limits.
//
//   SqlEngine engine(&store, {.scanner = {.unflushed = &ingesters}});
//   CS_ASSIGN_OR_RETURN(QueryResult result, engine.Execute("default",
//       "SELECT metric_name, avg(value) FROM metrics "
//       "WHERE timestamp > now() - interval '5 minutes' GROUP BY 1", {}));
//
// Statements: SELECT (with UNION [ALL]), SHOW TABLES, DESCRIBE metrics, EXPLAIN [ANALYZE]. EXPLAIN
// returns one row per operator in a column `plan`; the scan's line carries the pushed-down
// conditions and the catalog pruning (chunks total and left after pruning by summaries, found by
// planning the scan without reading a chunk). EXPLAIN ANALYZE runs the query and adds, per
// operator, rows produced and time (inclusive of its inputs), and for the scan chunks and row
// groups total vs read, rows and bytes read.
//
// Errors:
//   InvalidArgument     the query text: syntax, unknown names, types ("... at line L, column C");
//                       data errors found while running (division by zero, bad casts)
//   DeadlineExceeded    QueryOptions::deadline passed
//   ResourceExhausted   memory limit, rows-scanned limit or max result rows exceeded
//   others              from storage (Unavailable, DataLoss, NotFound naming the object)
//
// Thread-safety: Execute() may be called concurrently; each call has its own plan and context.
// Ownership: `store` (and options.scanner.unflushed) are not owned and must outlive the engine.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "base/thread_pool.h"
#include "io/object_store.h"
#include "model/record_batch.h"
#include "scan/scanner.h"

namespace cardinalsin::plan {

struct SqlEngineOptions {
  scan::ScannerOptions scanner;
  // Workers for hash aggregation (the calling thread plus threads - 1 pool threads).
  // REQUIRES: >= 1.
  int threads = 2;
  // Source of now() (and of deadlines). Not owned; nullptr = base::SystemClock().
  base::Clock* clock = nullptr;
};

struct QueryOptions {
  // absl::InfiniteFuture() = no deadline.
  absl::Time deadline = absl::InfiniteFuture();
  // Bytes held by blocking operators (hash tables, sort buffers). 0 = unlimited.
  int64_t memory_limit_bytes = 0;
  // Rows in the result. 0 = unlimited.
  int64_t max_result_rows = 0;
  // Rows read from storage (chunks and unflushed buffers). 0 = unlimited.
  int64_t max_rows_scanned = 0;
  // Cancels the query (kCancelled) once set, e.g. the server's shutdown flag. Null: none. Must
  // outlive Execute().
  const std::atomic<bool>* cancelled = nullptr;
};

struct QueryStats {
  int64_t rows_scanned = 0;   // rows decoded from chunks plus unflushed rows received
  int64_t bytes_scanned = 0;  // chunk bytes decoded from (cache or object store)
  int64_t chunks_total = 0;
  int64_t chunks_read = 0;
  int64_t row_groups_total = 0;
  int64_t row_groups_read = 0;
  absl::Duration execution_time;      // parse to last batch
  std::vector<std::string> warnings;  // e.g. an ingester that could not be asked
};

struct QueryResult {
  model::Schema schema;  // also for an empty result
  std::vector<model::RecordBatch> batches;
  QueryStats stats;
  size_t num_rows() const;
};

class SqlEngine {
 public:
  // Errors: InvalidArgument for bad options; the scanner's errors.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<SqlEngine>> Create(io::ObjectStore* store,
                                                                         SqlEngineOptions options);
  ~SqlEngine();

  // Runs one statement of `sql` for `tenant`.
  [[nodiscard]] absl::StatusOr<QueryResult> Execute(std::string_view tenant, std::string_view sql,
                                                    const QueryOptions& options);

  scan::Scanner& scanner() { return *scanner_; }

 private:
  SqlEngine(SqlEngineOptions options, std::unique_ptr<scan::Scanner> scanner);

  const SqlEngineOptions options_;
  base::Clock& clock_;
  std::unique_ptr<scan::Scanner> scanner_;
  std::unique_ptr<base::ThreadPool> pool_;  // null when threads == 1
};

}  // namespace cardinalsin::plan
