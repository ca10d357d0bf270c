#include "exec/internal/operator_util.h"

#include <numeric>
#include <vector>

namespace cardinalsin::exec::internal {

model::RecordBatch ConcatBatches(const model::Schema& schema,
                                 std::span<const model::RecordBatch> batches) {
  if (batches.size() == 1) return model::RecordBatch(schema, batches[0].columns());
  std::vector<model::Column> columns;
  for (size_t c = 0; c < schema.size(); ++c) {
    std::vector<model::Column> pieces;
    pieces.reserve(batches.size());
    for (const model::RecordBatch& b : batches) pieces.push_back(b.column(c));
    columns.push_back(model::Concat(schema.field(c).type, pieces));
  }
  return model::RecordBatch(schema, std::move(columns));
}

model::RecordBatch SliceBatch(const model::RecordBatch& batch, size_t begin, size_t end) {
  std::vector<uint32_t> rows(end - begin);
  std::iota(rows.begin(), rows.end(), static_cast<uint32_t>(begin));
  return batch.Take(rows);
}

}  // namespace cardinalsin::exec::internal
