// File: sql_result.h
//
// What a SQL engine hands back to the SQL HTTP API (sql_routes.h) and what the result encoders
// (result_format.h) turn into bytes: the result's schema, its rows as record batches, and the
// statistics reported in the response's `stats` object (compatibility contract section 4.1).
//
//   SqlResult result;
//   result.schema = model::Schema({{"metric_name", model::TypeId::kString}, {"cnt", kInt64}});
//   result.batches.push_back(std::move(batch));  // each with result.schema
//   result.stats.rows_scanned = 120'000;
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "model/record_batch.h"
#include "model/types.h"

namespace cardinalsin::query {

// Work statistics of one query. The JSON format reports rows_scanned as `rows_read` and
// bytes_scanned as `bytes_read` (the "scanned" meaning the contract allows; see README.md).
struct SqlStats {
  // Rows the scan produced after pruning (chunks, row groups, pages) and before filters: the rows
  // the engine actually decoded. Unflushed ingester rows count too.
  uint64_t rows_scanned = 0;
  // Bytes the scan read from storage (object store ranges or cache hits) plus the in-memory bytes
  // of unflushed rows it read.
  uint64_t bytes_scanned = 0;
  uint64_t chunks_total = 0;        // chunks the catalog listed for the query's table and tenant
  uint64_t chunks_scanned = 0;      // chunks left after catalog pruning
  uint64_t row_groups_total = 0;    // row groups in the scanned chunks
  uint64_t row_groups_scanned = 0;  // row groups left after statistics / page-index pruning
  // Wall time of planning and execution, without encoding the response. The HTTP route measures
  // and sets it; an engine need not.
  absl::Duration execution_time = absl::ZeroDuration();
};

struct SqlResult {
  model::Schema schema;
  // The rows, in order. Every batch has `schema` (and passes RecordBatch::Validate()); zero
  // batches, or batches of zero rows, are an empty result that keeps its columns.
  std::vector<model::RecordBatch> batches;
  SqlStats stats;
  // Conditions the user should know about although the query succeeded, such as an ingester that
  // could not be asked for unflushed rows (the result may then miss recent samples).
  std::vector<std::string> warnings;

  uint64_t num_rows() const {  // NOLINT(readability-identifier-naming)
    uint64_t rows = 0;
    for (const model::RecordBatch& batch : batches) {
      rows += batch.num_rows();
    }
    return rows;
  }
};

// The response encodings of /api/v1/sql.
enum class ResultFormat {
  kJson,    // {"columns": [...], "data": [[...], ...], "stats": {...}}
  kCsv,     // RFC 4180, one header row
  kArrow,   // Arrow IPC stream
  kNdjson,  // one {"column": value, ...} object per line
};

// "json", "csv", "arrow", "ndjson" (ASCII case-insensitive) or nullopt.
std::optional<ResultFormat> ParseResultFormat(std::string_view name);
std::string_view ResultFormatName(ResultFormat format);
// The Content-Type of a successful response in `format`.
std::string_view ResultContentType(ResultFormat format);

}  // namespace cardinalsin::query
