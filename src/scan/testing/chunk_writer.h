// File: testing/chunk_writer.h
//
// Test and benchmark support: builds metrics rows, writes them as chunks (docs/format/chunk.md)
// with parquet::ParquetWriter and commits them to a catalog, the way the ingester's flush does,
// without depending on the ingest module.
//
//   std::vector<TestRow> rows = {{"up", {{"job", "api"}}, 1000, 1.0}};
//   CS_ASSIGN_OR_RETURN(catalog::ChunkSummary chunk,
//                       CommitChunk(store, *catalog, "c1", MetricsRows(rows)));
//
// Thread-safety: free functions.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "catalog/catalog.h"
#include "io/object_store.h"
#include "model/record_batch.h"
#include "parquet/writer.h"

namespace cardinalsin::scan::testing {

struct TestRow {
  std::string metric;
  std::map<std::string, std::string> labels;  // without __name__
  int64_t timestamp_ns = 0;
  double value = 0;
};

// series_id as the write path computes it (docs/format/series-id.md).
uint64_t SeriesIdOf(const std::string& metric, const std::map<std::string, std::string>& labels);

// The rows as a metrics batch (label columns: the union of the rows' keys), sorted in chunk order
// (metric_name, series_id, timestamp).
model::RecordBatch MetricsRows(std::vector<TestRow> rows);

// The writer options of chunks (sort order recorded), with `row_group_rows` and `page_rows`.
parquet::WriterOptions ChunkOptions(size_t row_group_rows = 1 << 20, size_t page_rows = 20'000);

// Writes `rows` (REQUIRES: non-empty, chunk order) as the object
// "{tenant}/data/test/{name}.parquet" and returns its summary (not committed). `created_at_ns`
// orders duplicates (newer wins).
[[nodiscard]] absl::StatusOr<catalog::ChunkSummary> PutChunk(
    io::ObjectStore& store, std::string_view tenant, std::string_view name,
    const model::RecordBatch& rows, const parquet::WriterOptions& options = ChunkOptions(),
    int64_t created_at_ns = 0);

// PutChunk, then commits the chunk to `catalog`.
[[nodiscard]] absl::StatusOr<catalog::ChunkSummary> CommitChunk(
    io::ObjectStore& store, catalog::Catalog& catalog, std::string_view name,
    const model::RecordBatch& rows, const parquet::WriterOptions& options = ChunkOptions(),
    int64_t created_at_ns = 0);

}  // namespace cardinalsin::scan::testing
