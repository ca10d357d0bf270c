// Full scan vs selective (one series, one hour) scan of a generated day of node-exporter-like
// data: 24 hourly chunks x 4 metrics x 50 instances x 360 samples (10 s) = 1,728,000 rows,
// written with the chunk writer defaults plus a bloom filter on `instance`.
//
//   build/h-scan-rel/src/scan/scan_benchmark
//
// Arg 0/1: RAM cache off (every byte is a ranged GET from the in-memory store) / on (warm).

#include <benchmark/benchmark.h>

#include <cmath>
#include <memory>

#include "io/in_memory_object_store.h"
#include "scan/scanner.h"
#include "scan/testing/chunk_writer.h"

namespace cardinalsin::scan {
namespace {

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kHour = 3600 * kSecond;
constexpr int64_t kBase = 1'700'000'000 / 3600 * kHour;
constexpr int kHours = 24, kInstances = 50, kSamplesPerHour = 360;
const char* const kMetrics[] = {"node_cpu_seconds_total", "node_load1", "node_memory_free_bytes",
                                "node_network_receive_bytes_total"};

struct Dataset {
  io::InMemoryObjectStore store;
  int64_t rows = 0;
};

Dataset& Data() {
  static Dataset* data = [] {
    auto* d = new Dataset;
    auto writer = catalog::Catalog::Open(&d->store, "bench", {.writer_id = "bench"});
    if (!writer.ok()) std::abort();
    parquet::WriterOptions options = testing::ChunkOptions();
    options.bloom_filter_columns = {"instance"};
    for (int h = 0; h < kHours; ++h) {
      std::vector<testing::TestRow> rows;
      for (const char* metric : kMetrics) {
        for (int i = 0; i < kInstances; ++i) {
          for (int s = 0; s < kSamplesPerHour; ++s) {
            const int64_t ts = kBase + h * kHour + s * 10 * kSecond;
            rows.push_back({metric,
                            {{"instance", "host-" + std::to_string(i) + ":9100"},
                             {"job", "node"},
                             {"region", i % 2 ? "eu" : "us"}},
                            ts,
                            std::sin(static_cast<double>(ts / kSecond + i)) * 100});
          }
        }
      }
      d->rows += static_cast<int64_t>(rows.size());
      if (!testing::CommitChunk(d->store, **writer, "h" + std::to_string(h),
                                testing::MetricsRows(std::move(rows)), options)
               .ok()) {
        std::abort();
      }
    }
    return d;
  }();
  return *data;
}

void Run(benchmark::State& state, const ScanRequest& request) {
  Dataset& data = Data();
  ScannerOptions options;
  options.ram_cache_bytes = state.range(0) ? 512ull << 20 : 0;
  auto scanner = Scanner::Create(&data.store, options);
  if (!scanner.ok()) std::abort();
  ScanStats last;
  int64_t rows = 0;
  for (auto _ : state) {
    absl::Status status = (*scanner)->Scan(
        request,
        [&](model::RecordBatch batch) {
          rows += static_cast<int64_t>(batch.num_rows());
          benchmark::DoNotOptimize(batch);
          return absl::OkStatus();
        },
        &last);
    if (!status.ok()) state.SkipWithError(std::string(status.message()).c_str());
  }
  state.counters["rows_out"] = static_cast<double>(last.rows_output);
  state.counters["chunks_read"] = static_cast<double>(last.chunks_read);
  state.counters["pages_read"] = static_cast<double>(last.pages_read);
  state.counters["bytes_read"] = static_cast<double>(last.bytes_read);
  state.counters["rows_per_s"] =
      benchmark::Counter(static_cast<double>(rows), benchmark::Counter::kIsRate);
}

void BM_FullScan(benchmark::State& state) { Run(state, {.tenant = "bench"}); }
BENCHMARK(BM_FullScan)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_SelectiveScan(benchmark::State& state) {
  Run(state, {.tenant = "bench",
              .min_time_ns = kBase + 13 * kHour,
              .max_time_ns = kBase + 14 * kHour - 1,
              .metric = MetricCondition::Exact({"node_load1"}),
              .labels = {{.name = "instance", .values = {"host-17:9100"}}},
              .columns = {"timestamp", "value"},
              .include_series_id = true});
}
BENCHMARK(BM_SelectiveScan)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond)->UseRealTime();

// Planning alone (catalog refresh and summary pruning, no chunk read): the fixed cost per query.
void BM_PlanOnly(benchmark::State& state) {
  Dataset& data = Data();
  auto scanner = Scanner::Create(&data.store, {});
  if (!scanner.ok()) std::abort();
  for (auto _ : state) {
    auto stream = (*scanner)->Open({.tenant = "bench",
                                    .min_time_ns = kBase + 13 * kHour,
                                    .max_time_ns = kBase + 14 * kHour - 1,
                                    .metric = MetricCondition::Exact({"node_load1"})});
    if (!stream.ok()) state.SkipWithError(std::string(stream.status().message()).c_str());
    benchmark::DoNotOptimize(stream);
  }
}
BENCHMARK(BM_PlanOnly)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace cardinalsin::scan

BENCHMARK_MAIN();
