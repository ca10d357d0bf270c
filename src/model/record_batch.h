// File: record_batch.h
//
// A schema plus one column per field, all of the same length: what the Parquet codec writes and
// reads, what ingest buffers, what executors pass between operators.
//
//   RecordBatch batch(MetricsSchema({"job"}), {ts, names, values, ids, job});
//   CS_RETURN_IF_ERROR(batch.Validate());
//
// Thread-safety: const methods may run concurrently.
#pragma once

#include <span>
#include <vector>

#include "absl/status/status.h"
#include "model/column.h"
#include "model/types.h"

namespace cardinalsin::model {

class RecordBatch {
 public:
  RecordBatch() = default;
  RecordBatch(Schema schema, std::vector<Column> columns)
      : schema_(std::move(schema)), columns_(std::move(columns)) {}

  const Schema& schema() const { return schema_; }
  size_t num_columns() const { return columns_.size(); }
  size_t num_rows() const { return columns_.empty() ? 0 : columns_[0].size(); }
  const Column& column(size_t i) const { return columns_[i]; }
  Column& mutable_column(size_t i) { return columns_[i]; }
  const std::vector<Column>& columns() const { return columns_; }

  // Checks the invariants: one column per field with the field's type, equal lengths, no nulls
  // in non-nullable fields, dictionary codes in range, string offsets consistent. Returns
  // InvalidArgument naming the first violation.
  [[nodiscard]] absl::Status Validate() const;

  RecordBatch Take(std::span<const uint32_t> selection) const;

  bool Equals(const RecordBatch& other) const;

 private:
  Schema schema_;
  std::vector<Column> columns_;
};

}  // namespace cardinalsin::model
