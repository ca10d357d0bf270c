// File: writer.h
//
// Writes record batches as one Parquet file (docs/format/chunk.md, chunk format version 1):
// row groups, data pages v1 or v2, dictionary / delta / byte-stream-split encodings, ZSTD or
// SNAPPY compression, statistics, the page index and optional bloom filters.
//
//   ParquetWriter writer(batch.schema(), {.compression = codec::Compression::kZstd});
//   CS_RETURN_IF_ERROR(writer.Write(batch));      // any number of batches of that schema
//   CS_ASSIGN_OR_RETURN(std::string file, std::move(writer).Finish());
//
// The writer keeps the whole file in memory (chunks are uploaded with one PUT or a multipart
// upload) and writes rows in the order given: callers sort by (metric_name, series_id, timestamp).
//
// Thread-safety: not thread-safe.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "codec/compression.h"
#include "model/record_batch.h"
#include "parquet/metadata.h"

namespace cardinalsin::parquet {

enum class DataPageVersion { kV1, kV2 };

// How one column's values are encoded. kAuto picks per column chunk (chunk.md "Columns").
enum class ColumnEncoding { kAuto, kPlain, kDictionary, kDeltaBinaryPacked, kByteStreamSplit };

struct WriterOptions {
  codec::Compression compression = codec::Compression::kZstd;
  int compression_level = 3;
  DataPageVersion page_version = DataPageVersion::kV2;
  size_t row_group_rows = 1 << 20;
  size_t page_rows = 20'000;
  size_t page_bytes = 1 << 20;             // uncompressed value bytes per page
  size_t dictionary_page_limit = 1 << 20;  // dictionary bytes before falling back to plain
  bool write_statistics = true;
  bool write_page_index = true;
  std::vector<std::string> bloom_filter_columns;
  double bloom_filter_fpp = 0.01;
  std::map<std::string, ColumnEncoding> column_encodings;  // overrides by column name
  std::vector<std::string> sorting_columns;                // recorded in each row group's metadata
  std::map<std::string, std::string> key_value_metadata;   // added to the chunk format keys
};

class ParquetWriter {
 public:
  // REQUIRES: schema fields are flat model types (every TypeId is supported).
  ParquetWriter(model::Schema schema, WriterOptions options);

  // Appends `batch`, cutting row groups at options.row_group_rows. InvalidArgument when the
  // batch's schema differs from the writer's or batch.Validate() fails.
  [[nodiscard]] absl::Status Write(const model::RecordBatch& batch);

  // Writes the page index and footer and returns the whole file. The writer is spent afterwards.
  [[nodiscard]] absl::StatusOr<std::string> Finish() &&;

 private:
  absl::Status WriteRowGroup(const model::RecordBatch& batch, size_t begin, size_t end);

  const model::Schema schema_;
  const WriterOptions options_;
  std::string out_;
  // Buffers one page (data or dictionary) is built in, reused from page to page: allocating them
  // afresh for every page costs page faults on each flush of a busy ingester.
  struct PageScratch {
    std::vector<uint32_t> levels;
    std::vector<uint32_t> codes;
    std::string level_bytes;
    std::string values;
    std::string raw;
    std::string compressed;
  };
  PageScratch scratch_;
  FileMetaData metadata_;
  // Per row group, per column: the indexes written after all row groups.
  std::vector<std::vector<ColumnIndex>> column_indexes_;
  std::vector<std::vector<OffsetIndex>> offset_indexes_;
};

// Convenience: one batch to one file.
[[nodiscard]] absl::StatusOr<std::string> WriteParquet(const model::RecordBatch& batch,
                                                       const WriterOptions& options = {});

}  // namespace cardinalsin::parquet
