// File: parquet_reader_fuzzer.cc
//
// libFuzzer target for parquet::ParquetReader over untrusted bytes: the input is a whole Parquet
// file. Open() validates the footer; then ReadAll() decodes every column of every row group,
// ReadRowGroup() decodes each row group again with a projection of the first column, and Scan()
// runs with predicates on the first and last columns, so statistics, bloom filters and the page
// index are decoded and used for pruning too.
//
// Mutation is both byte-level (libFuzzer's own) and structure-aware (parquet_mutator.h: one field
// of the footer, a page header, a page index or a bloom filter header changed, and the file
// re-framed around it), so that corrupt values get past the framing checks to the decoders.
//
// Errors are expected and fine (reader.h promises DataLossError, never a crash). Bugs are crashes,
// ASan / UBSan reports, leaks, timeouts, out-of-memory, and a successful read whose batch breaks
// the model's invariants (RecordBatch::Validate(), or ReadAll() not returning the footer's row
// count): those abort().
//
//   scripts/fuzz.sh                     builds and runs every fuzzer
//   build/fuzz/parquet_reader_fuzzer crash-<sha1>    replays one input

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/record_batch.h"
#include "parquet/byte_source.h"
#include "parquet/reader.h"
#include "parquet_mutator.h"

namespace cardinalsin::parquet {
namespace {

[[noreturn]] void Violation(const char* what, const std::string& detail) {
  std::fprintf(stderr, "parquet_reader_fuzzer: invariant violated: %s: %s\n", what, detail.c_str());
  std::abort();
}

// A successful read must hand back a batch the rest of the system can trust.
void CheckBatch(const absl::StatusOr<model::RecordBatch>& batch, const char* what) {
  if (!batch.ok()) return;
  if (absl::Status valid = batch->Validate(); !valid.ok()) {
    Violation(what, std::string(valid.message()));
  }
  // Touch every string so ASan sees any offset or dictionary code that escaped Validate().
  size_t sink = 0;
  for (size_t c = 0; c < batch->num_columns(); ++c) {
    const model::Column& column = batch->column(c);
    if (column.type() != model::TypeId::kString) continue;
    for (size_t r = 0; r < column.size(); ++r) sink += column.StringAt(r).size();
  }
  static volatile size_t keep = 0;
  keep = keep + sink;
}

// A predicate value of the column's type: row `row`'s value when there is one, else a default.
ColumnPredicate::Value ValueOf(const model::Column* column, model::TypeId type, size_t row) {
  const bool have = column != nullptr && row < column->size() && column->IsValid(row);
  switch (type) {
    case model::TypeId::kInt64:
    case model::TypeId::kTimestampNs:
      return have ? column->int64s()[row] : int64_t{0};
    case model::TypeId::kUInt64:
      return have ? column->uint64s()[row] : uint64_t{0};
    case model::TypeId::kDouble:
      return have ? column->doubles()[row] : 0.0;
    case model::TypeId::kString:
      return have ? std::string(column->StringAt(row)) : std::string("api");
    case model::TypeId::kBool:
      break;  // no predicate type fits; the reader must then prune nothing
  }
  return int64_t{have ? column->bools()[row] : 0};
}

void FuzzOne(std::string_view bytes) {
  MemoryByteSource source(bytes, "fuzz");
  absl::StatusOr<std::unique_ptr<ParquetReader>> reader = ParquetReader::Open(source);
  if (!reader.ok()) return;
  const ParquetReader& r = **reader;

  absl::StatusOr<model::RecordBatch> all = r.ReadAll();
  CheckBatch(all, "ReadAll()");
  if (all.ok() && r.schema().size() > 0 && all->num_rows() != static_cast<size_t>(r.num_rows())) {
    Violation("ReadAll()", "returned " + std::to_string(all->num_rows()) +
                               " rows, the footer says " + std::to_string(r.num_rows()));
  }

  if (r.schema().size() == 0) return;
  const std::vector<std::string> first = {r.schema().field(0).name};
  for (int g = 0; g < r.num_row_groups(); ++g) {
    absl::StatusOr<model::RecordBatch> part = r.ReadRowGroup(g, first);
    CheckBatch(part, "ReadRowGroup(first column)");
    if (part.ok() && part->num_columns() != 1) {
      Violation("ReadRowGroup(first column)",
                std::to_string(part->num_columns()) + " columns for a projection of one");
    }
  }

  // Pruned scans: equality (with a bloom filter probe) on the first column's first value, and a
  // range on the last column's last value. Corrupt statistics may legitimately prune rows, so
  // only the batch's own invariants are checked.
  const size_t last = r.schema().size() - 1;
  const size_t rows = all.ok() ? all->num_rows() : 0;
  const ColumnPredicate::Value eq =
      ValueOf(all.ok() ? &all->column(0) : nullptr, r.schema().field(0).type, 0);
  const ColumnPredicate::Value bound =
      ValueOf(all.ok() ? &all->column(last) : nullptr, r.schema().field(last).type, rows - 1);
  std::vector<ColumnPredicate> predicates = {
      {.column = r.schema().field(0).name, .min = eq, .max = eq, .any_of = {eq}},
      {.column = r.schema().field(last).name, .min = bound},
  };
  ScanStats stats;
  CheckBatch(r.Scan({}, predicates, &stats), "Scan()");
  predicates.resize(1);
  CheckBatch(r.Scan(first, predicates), "Scan(first column)");
}

}  // namespace
}  // namespace cardinalsin::parquet

extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size);

// Half the time a structural mutation when the input has a decodable footer; otherwise (and for
// inputs without one) libFuzzer's byte-level mutations.
extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size,
                                          unsigned int seed) {
  cardinalsin::parquet_fuzz::Rng rng(seed);
  if (rng() % 2 == 0) {
    std::optional<std::string> mutated = cardinalsin::parquet_fuzz::MutateParquet(
        std::string_view(reinterpret_cast<const char*>(data), size), rng);
    if (mutated && mutated->size() <= max_size) {
      std::memcpy(data, mutated->data(), mutated->size());
      return mutated->size();
    }
  }
  return LLVMFuzzerMutate(data, size, max_size);
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  cardinalsin::parquet::FuzzOne(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
