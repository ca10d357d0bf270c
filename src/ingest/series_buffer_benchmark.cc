// The buffer's share of high-cardinality ingest (bench/ingest_e2e.sh --series N): appending
// requests of 2000 one-sample series and flushing a buffer into a chunk, for series new to the
// buffer (`fresh`, as at 10M series, where every sample in a buffer is a series not seen in it)
// and for series the buffer already holds (`known`, as at 10k series). Labels follow the load
// generator's churn workload (src/loadgen/workload.h): 10 metrics, env, host, region, a pod
// shared by 10 series and a unique request_id.
//
//   build/release/src/ingest/series_buffer_benchmark
#include <benchmark/benchmark.h>

#include <deque>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "base/clock.h"
#include "ingest/chunk_builder.h"
#include "ingest/series_buffer.h"
#include "model/labels.h"

namespace cardinalsin::ingest {
namespace {

constexpr size_t kBatch = 2000;

// `count` one-sample series numbered from `first`, with labels sorted and ids computed.
struct Workload {
  std::deque<std::string> storage;
  std::vector<ValidatedSeries> series;

  Workload(uint64_t first, size_t count, int64_t timestamp) {
    static const char* kRegions[] = {"us-east-1", "us-west-2", "eu-west-1"};
    series.reserve(count);
    for (uint64_t u = first; u < first + count; ++u) {
      ValidatedSeries s;
      s.labels = {
          {"__name__", storage.emplace_back(absl::StrFormat("metric_%d", u % 10))},
          {"env", u % 20 < 10 ? "prod" : "staging"},
          {"host", storage.emplace_back(absl::StrFormat("host-%03d", u / 20 % 5))},
          {"pod", storage.emplace_back(absl::StrFormat("pod-%d", u / 10))},
          {"region", kRegions[u / 100 % 3]},
          {"request_id", storage.emplace_back(absl::StrFormat("%016x", u * 0x9E3779B97F4A7C15))},
      };
      model::SortLabels(s.labels);
      s.id = model::ComputeSeriesId(s.labels);
      s.timestamps_ns = {timestamp};
      s.values = {static_cast<double>(u)};
      series.push_back(std::move(s));
    }
  }
};

// Reads every byte a request's series hold, as decoding the request would have: the ingester
// appends series it has just decoded, whose labels are in the caches.
void Warm(std::span<const ValidatedSeries> series) {
  uint64_t sum = 0;
  for (const ValidatedSeries& s : series) {
    sum += s.id;
    for (const model::Label& label : s.labels) {
      for (char c : label.name) sum += static_cast<uint8_t>(c);
      for (char c : label.value) sum += static_cast<uint8_t>(c);
    }
  }
  benchmark::DoNotOptimize(sum);
}

// Appends `series` in requests of kBatch, as Ingester::Write does. With `state`, each request is
// warmed (untimed) before it is appended.
void AppendAll(SeriesBuffer& buffer, const std::vector<ValidatedSeries>& series,
               benchmark::State* state = nullptr) {
  const absl::Time now = absl::FromUnixSeconds(1'700'000'000);
  for (size_t i = 0; i < series.size(); i += kBatch) {
    const size_t n = std::min(kBatch, series.size() - i);
    const auto request = std::span(series).subspan(i, n);
    if (state != nullptr) {
      state->PauseTiming();
      Warm(request);
      state->ResumeTiming();
    }
    buffer.AppendAll(request, i / kBatch + 1, now);
  }
}

// Appends state.range(0) series: all fresh (range(1) == 0) or all already in the buffer.
void BM_Append(benchmark::State& state) {
  const size_t count = static_cast<size_t>(state.range(0));
  const bool known = state.range(1) != 0;
  const Workload first(0, count, 1'000);
  const Workload second(known ? 0 : count, count, 2'000);
  for (auto _ : state) {
    state.PauseTiming();
    // Reserved as the ingester reserves a buffer: for what its predecessor held.
    auto buffer = std::make_unique<SeriesBuffer>(
        SeriesBuffer::Capacity{2 * count, 2 * count, 10 * count, 2 * count});
    AppendAll(*buffer, first.series);
    state.ResumeTiming();
    AppendAll(*buffer, second.series, &state);
    state.PauseTiming();
    buffer.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * count));
}
BENCHMARK(BM_Append)
    ->ArgsProduct({{400'000}, {0, 1}})
    ->ArgNames({"series", "known"})
    ->Unit(benchmark::kMillisecond);

// Flushes a buffer of state.range(0) rows over state.range(1) series: ToRecordBatch, then the
// Parquet chunk (state.range(2) == 1).
void BM_Flush(benchmark::State& state) {
  const size_t rows = static_cast<size_t>(state.range(0));
  const size_t num_series = static_cast<size_t>(state.range(1));
  const bool chunk = state.range(2) != 0;
  SeriesBuffer buffer;
  for (size_t done = 0; done < rows; done += num_series) {
    AppendAll(buffer, Workload(0, std::min(num_series, rows - done), 1'000 + done).series);
  }
  base::SeededRandom random(1);
  const parquet::WriterOptions options = DefaultChunkOptions();
  for (auto _ : state) {
    model::RecordBatch batch = buffer.ToRecordBatch();
    if (chunk) {
      absl::StatusOr<BuiltChunk> built =
          BuildChunk("default", batch, options, absl::FromUnixSeconds(1'700'000'000), random);
      if (!built.ok()) state.SkipWithError(std::string(built.status().message()).c_str());
      benchmark::DoNotOptimize(built);
    }
    benchmark::DoNotOptimize(batch);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * rows));
}
BENCHMARK(BM_Flush)
    ->ArgsProduct({{400'000}, {400'000}, {0, 1}})
    ->Args({1'000'000, 10'000, 0})
    ->Args({1'000'000, 10'000, 1})
    ->ArgNames({"rows", "series", "chunk"})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace cardinalsin::ingest

BENCHMARK_MAIN();
