// Write and read throughput of the Arrow IPC stream codec on a metrics-shaped batch (timestamp,
// metric_name, value, series_id and three label columns), in both string modes.
//
//   build/release/src/arrow/arrow_ipc_benchmark --benchmark_counters_tabular=true

#include <random>
#include <string>

#include "arrow/stream_reader.h"
#include "arrow/stream_writer.h"
#include "benchmark/benchmark.h"

namespace cardinalsin::arrow {
namespace {

using model::Column;
using model::StringVector;
using model::TypeId;

// `rows` samples of 1,000 series, 50 label values per label; label columns dictionary-encoded
// (as sorted chunks and the ingest buffer hold them) unless `plain_labels`.
model::RecordBatch MetricsBatch(size_t rows, bool plain_labels) {
  const model::Schema schema = model::MetricsSchema({"instance", "job", "zone"});
  std::mt19937_64 rng(1);
  std::vector<int64_t> ts(rows);
  std::vector<double> values(rows);
  std::vector<uint64_t> ids(rows);
  std::vector<uint32_t> name_codes(rows);
  std::vector<std::vector<uint32_t>> label_codes(3, std::vector<uint32_t>(rows));
  for (size_t i = 0; i < rows; ++i) {
    const size_t series = i % 1000;
    ts[i] = 1'700'000'000'000'000'000 + static_cast<int64_t>(i / 1000) * 15'000'000'000;
    values[i] = static_cast<double>(rng() % 100000) / 7.0;
    ids[i] = series * 0x9E3779B97F4A7C15ULL;
    name_codes[i] = static_cast<uint32_t>(series % 20);
    for (size_t l = 0; l < 3; ++l) label_codes[l][i] = static_cast<uint32_t>((series + l) % 50);
  }
  StringVector names, labels;
  for (int n = 0; n < 20; ++n) names.Append("node_metric_" + std::to_string(n) + "_total");
  for (int v = 0; v < 50; ++v) labels.Append("label-value-" + std::to_string(v * 7919));
  std::vector<Column> columns;
  columns.push_back(Column::FromInt64(TypeId::kTimestampNs, std::move(ts)));
  columns.push_back(Column::FromDictionary(names, std::move(name_codes)));
  columns.push_back(Column::FromDouble(std::move(values)));
  columns.push_back(Column::FromUInt64(std::move(ids)));
  for (size_t l = 0; l < 3; ++l) {
    Column column = Column::FromDictionary(labels, std::move(label_codes[l]));
    columns.push_back(plain_labels ? column.DecodeDictionary() : std::move(column));
  }
  return model::RecordBatch(schema, std::move(columns));
}

WriterOptions Options(int64_t mode) {
  return {.strings =
              mode == 0 ? WriterOptions::Strings::kDictionary : WriterOptions::Strings::kPlain};
}

// Arg 0: rows; arg 1: 0 = dictionary strings, 1 = plain strings (dictionary-encoded input).
void BM_Write(benchmark::State& state) {
  const model::RecordBatch batch = MetricsBatch(static_cast<size_t>(state.range(0)), false);
  size_t bytes = 0;
  for (auto _ : state) {
    absl::StatusOr<std::string> stream =
        WriteStream(batch.schema(), {&batch, 1}, Options(state.range(1)));
    if (!stream.ok()) {
      state.SkipWithError(std::string(stream.status().message()).c_str());
      break;
    }
    bytes = stream->size();
    benchmark::DoNotOptimize(stream->data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
  state.counters["stream_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_Write)->Args({1'000'000, 0})->Args({1'000'000, 1})->Unit(benchmark::kMillisecond);

// Plain (not dictionary-encoded) label columns written in dictionary mode: encoded on the fly.
void BM_WritePlainInput(benchmark::State& state) {
  const model::RecordBatch batch = MetricsBatch(static_cast<size_t>(state.range(0)), true);
  for (auto _ : state) {
    absl::StatusOr<std::string> stream = WriteStream(batch.schema(), {&batch, 1}, Options(0));
    if (!stream.ok()) {
      state.SkipWithError(std::string(stream.status().message()).c_str());
      break;
    }
    benchmark::DoNotOptimize(stream->data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_WritePlainInput)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

void BM_Read(benchmark::State& state) {
  const model::RecordBatch batch = MetricsBatch(static_cast<size_t>(state.range(0)), false);
  const std::string stream = *WriteStream(batch.schema(), {&batch, 1}, Options(state.range(1)));
  for (auto _ : state) {
    absl::StatusOr<StreamReader> reader = StreamReader::Open(stream);
    if (!reader.ok()) {
      state.SkipWithError(std::string(reader.status().message()).c_str());
      break;
    }
    absl::StatusOr<std::optional<model::RecordBatch>> read = reader->Next();
    if (!read.ok() || !read->has_value()) {
      state.SkipWithError("no batch");
      break;
    }
    benchmark::DoNotOptimize((*read)->num_rows());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * stream.size()));
}
BENCHMARK(BM_Read)->Args({1'000'000, 0})->Args({1'000'000, 1})->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace cardinalsin::arrow

BENCHMARK_MAIN();
