// File: internal/operator_util.h
//
// Batch helpers private to the exec module.
#pragma once

#include <span>

#include "model/record_batch.h"

namespace cardinalsin::exec::internal {

// All rows of `batches` (each with `schema`'s column types) in one batch.
model::RecordBatch ConcatBatches(const model::Schema& schema,
                                 std::span<const model::RecordBatch> batches);
// Rows [begin, end) of `batch`. REQUIRES: begin <= end <= num_rows().
model::RecordBatch SliceBatch(const model::RecordBatch& batch, size_t begin, size_t end);

}  // namespace cardinalsin::exec::internal
