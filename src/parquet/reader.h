// File: reader.h
//
// Reads Parquet files: CardinalSin chunks (docs/format/chunk.md) and flat files written by
// pyarrow, DuckDB, Spark and others. Opens with the footer only (one or two ranged reads), then
// reads just the byte ranges of the projected columns of the row groups asked for.
//
//   MemoryByteSource source(file_bytes);
//   CS_ASSIGN_OR_RETURN(auto reader, ParquetReader::Open(source));
//   CS_ASSIGN_OR_RETURN(model::RecordBatch batch, reader->ReadRowGroup(0, {"timestamp", "value"}));
//
// Every length and offset in the file is validated; corrupt or truncated files give
// DataLossError naming the file (the ByteSource's name) and what is wrong, never a crash.
//
// Thread-safety: after Open(), const methods and ReadRowGroup() may run concurrently.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "model/record_batch.h"
#include "parquet/byte_source.h"
#include "parquet/metadata.h"

namespace cardinalsin::parquet {

class ParquetReader {
 public:
  // Reads and validates the footer. `source` must outlive the reader.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<ParquetReader>> Open(ByteSource& source);

  const FileMetaData& metadata() const { return metadata_; }
  // The file's columns as model types (chunk.md "Reading foreign files" for the mapping).
  const model::Schema& schema() const { return schema_; }
  int num_row_groups() const { return static_cast<int>(metadata_.row_groups.size()); }
  int64_t num_rows() const { return metadata_.num_rows; }
  // Value of a key in the footer's key-value metadata, or "" when absent.
  std::string KeyValue(const std::string& key) const;

  // Reads the named columns (all when empty) of one row group, in the order asked.
  // NotFound for an unknown column name.
  [[nodiscard]] absl::StatusOr<model::RecordBatch> ReadRowGroup(
      int row_group, const std::vector<std::string>& columns = {}) const;
  // Every row group, concatenated.
  [[nodiscard]] absl::StatusOr<model::RecordBatch> ReadAll(
      const std::vector<std::string>& columns = {}) const;

 private:
  ParquetReader(ByteSource& source, FileMetaData metadata, model::Schema schema,
                std::vector<int> leaf_of_field)
      : source_(source),
        metadata_(std::move(metadata)),
        schema_(std::move(schema)),
        leaf_of_field_(std::move(leaf_of_field)) {}

  ByteSource& source_;
  const FileMetaData metadata_;
  const model::Schema schema_;
  const std::vector<int> leaf_of_field_;  // schema field i -> column chunk index
};

}  // namespace cardinalsin::parquet
