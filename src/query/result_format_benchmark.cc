// Encoding throughput of the /api/v1/sql result formats, whole body vs. streamed in chunks.
//
//   query_format_benchmark --benchmark_filter=Encode
//
// The result is a `SELECT *`-like answer over the metrics table: timestamp, metric_name
// (dictionary), value, series_id, and two label columns (dictionary, one with nulls).
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "query/result_format.h"

namespace cardinalsin::query {
namespace {

using model::Column;
using model::Schema;
using model::StringVector;
using model::TypeId;

SqlResult MakeResult(int64_t rows) {
  Schema schema({{"timestamp", TypeId::kTimestampNs},
                 {"metric_name", TypeId::kString},
                 {"value", TypeId::kDouble},
                 {"series_id", TypeId::kUInt64},
                 {"instance", TypeId::kString},
                 {"job", TypeId::kString}});
  StringVector names = StringVector::Of(
      {"http_requests_total", "process_cpu_seconds_total", "node_memory_MemAvailable_bytes"});
  StringVector instances;
  for (int i = 0; i < 100; ++i) {
    instances.Append("host-" + std::to_string(i) + ":9100");
  }
  StringVector jobs = StringVector::Of({"api", "node", "db"});
  SqlResult result;
  result.schema = schema;
  constexpr int64_t kBatchRows = 8192;
  for (int64_t start = 0; start < rows; start += kBatchRows) {
    int64_t n = std::min(kBatchRows, rows - start);
    std::vector<int64_t> ts;
    std::vector<uint32_t> name_codes, instance_codes, job_codes;
    std::vector<double> values;
    std::vector<uint64_t> ids;
    std::vector<uint8_t> job_valid;
    for (int64_t i = start; i < start + n; ++i) {
      ts.push_back(1'700'000'000'000'000'000 + i * 15'000'000'000);
      name_codes.push_back(static_cast<uint32_t>(i % 3));
      values.push_back(static_cast<double>(i % 1000) * 1.25 + 0.001);
      ids.push_back(static_cast<uint64_t>(i) * 0x9E3779B97F4A7C15ULL);
      instance_codes.push_back(static_cast<uint32_t>(i % 100));
      job_codes.push_back(static_cast<uint32_t>(i % 3));
      job_valid.push_back(i % 10 != 0);
    }
    Column job = Column::FromDictionary(jobs, std::move(job_codes));
    job.SetValidity(std::move(job_valid));
    result.batches.emplace_back(
        schema, std::vector<Column>{
                    Column::FromInt64(TypeId::kTimestampNs, std::move(ts)),
                    Column::FromDictionary(names, std::move(name_codes)),
                    Column::FromDouble(std::move(values)), Column::FromUInt64(std::move(ids)),
                    Column::FromDictionary(instances, std::move(instance_codes)), std::move(job)});
  }
  return result;
}

const SqlResult& Result() {
  static const SqlResult* result = new SqlResult(MakeResult(1'000'000));
  return *result;
}

// Whole body in one string: peak extra memory = the body.
void BM_EncodeWhole(benchmark::State& state) {
  const ResultFormat format = static_cast<ResultFormat>(state.range(0));
  const SqlResult& result = Result();
  size_t bytes = 0;
  for (auto _ : state) {
    absl::StatusOr<std::string> body = EncodeResult(format, result);
    bytes = body->size();
    benchmark::DoNotOptimize(body->data());
  }
  state.SetLabel(std::string(ResultFormatName(format)));
  state.SetBytesProcessed(static_cast<int64_t>(bytes) * state.iterations());
  state.SetItemsProcessed(static_cast<int64_t>(result.num_rows()) * state.iterations());
  state.counters["body_MB"] = static_cast<double>(bytes) / 1e6;
}

// Streamed as the route does (256 KiB chunks, each sent and dropped): peak extra memory = a chunk.
void BM_EncodeStreamed(benchmark::State& state) {
  const ResultFormat format = static_cast<ResultFormat>(state.range(0));
  const SqlResult& result = Result();
  size_t bytes = 0;
  size_t max_chunk = 0;
  for (auto _ : state) {
    bytes = 0;
    ResultEncoder encoder(format, result);
    std::string chunk;
    while (!encoder.done()) {
      chunk.clear();
      (void)encoder.EncodeSome(&chunk, 256 << 10);
      bytes += chunk.size();
      max_chunk = std::max(max_chunk, chunk.size());
      benchmark::DoNotOptimize(chunk.data());
    }
  }
  state.SetLabel(std::string(ResultFormatName(format)));
  state.SetBytesProcessed(static_cast<int64_t>(bytes) * state.iterations());
  state.SetItemsProcessed(static_cast<int64_t>(result.num_rows()) * state.iterations());
  state.counters["max_chunk_KB"] = static_cast<double>(max_chunk) / 1e3;
}

#define CS_FORMATS                                   \
  Arg(static_cast<int>(ResultFormat::kJson))         \
      ->Arg(static_cast<int>(ResultFormat::kCsv))    \
      ->Arg(static_cast<int>(ResultFormat::kNdjson)) \
      ->Arg(static_cast<int>(ResultFormat::kArrow))  \
      ->Unit(benchmark::kMillisecond)

BENCHMARK(BM_EncodeWhole)->CS_FORMATS;
BENCHMARK(BM_EncodeStreamed)->CS_FORMATS;

}  // namespace
}  // namespace cardinalsin::query

BENCHMARK_MAIN();
