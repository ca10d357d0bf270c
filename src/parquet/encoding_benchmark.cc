// Decode (and some encode) throughput of the Parquet value encodings on metrics-shaped data.
//
//   cmake --build --preset release --target parquet_encoding_benchmark
//   build/release/src/parquet/parquet_encoding_benchmark
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "parquet/encoding.h"

namespace cardinalsin::parquet {
namespace {

constexpr size_t kValues = 1 << 20;

void Check(const absl::Status& status, benchmark::State& state) {
  if (!status.ok()) {
    state.SkipWithError(std::string(status.message()).c_str());
  }
}

// Dictionary indices of a label column in a chunk sorted by series: long runs of one code.
std::vector<uint32_t> SortedLabelCodes(size_t run_length) {
  std::vector<uint32_t> codes(kValues);
  for (size_t i = 0; i < kValues; ++i) {
    codes[i] = static_cast<uint32_t>((i / run_length) % 1000);
  }
  return codes;
}

void BenchDecodeDictionaryIndices(benchmark::State& state) {
  std::vector<uint32_t> codes;
  if (state.range(0) > 0) {
    codes = SortedLabelCodes(static_cast<size_t>(state.range(0)));
  } else {
    // No runs at all: every value goes through the bit-unpacking path.
    std::mt19937 rng(1);
    codes.resize(kValues);
    for (uint32_t& code : codes) {
      code = rng() % 1000;
    }
  }
  std::string page;
  EncodeDictionaryIndices(codes, BitWidth(999), &page);
  std::vector<uint32_t> out(kValues);
  for (auto _ : state) {
    Check(DecodeDictionaryIndices(page, 1000, out), state);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kValues));
  state.counters["page_bytes"] = static_cast<double>(page.size());
}
// Arg: run length (0 = random codes).
BENCHMARK(BenchDecodeDictionaryIndices)->Arg(1000)->Arg(16)->Arg(0);

std::vector<int64_t> Timestamps(int64_t jitter_ns) {
  std::mt19937_64 rng(2);
  std::vector<int64_t> ts(kValues);
  for (size_t i = 0; i < kValues; ++i) {
    ts[i] = 1'700'000'000'000'000'000 + static_cast<int64_t>(i) * 15'000'000'000 +
            (jitter_ns > 0 ? static_cast<int64_t>(rng() % jitter_ns) : 0);
  }
  return ts;
}

void BenchDecodeDeltaTimestamps(benchmark::State& state) {
  const std::vector<int64_t> ts = Timestamps(state.range(0));
  std::string page;
  EncodeDeltaBinaryPackedInt64(ts, &page);
  std::vector<int64_t> out(kValues);
  for (auto _ : state) {
    size_t consumed = 0;
    Check(DecodeDeltaBinaryPackedInt64(page, out, &consumed), state);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kValues));
  state.counters["page_bytes"] = static_cast<double>(page.size());
}
// Arg: jitter in ns (0 = exact 15 s scrapes; 1e6 = up to 1 ms late).
BENCHMARK(BenchDecodeDeltaTimestamps)->Arg(0)->Arg(1'000'000);

void BenchEncodeDeltaTimestamps(benchmark::State& state) {
  const std::vector<int64_t> ts = Timestamps(state.range(0));
  std::string page;
  for (auto _ : state) {
    page.clear();
    EncodeDeltaBinaryPackedInt64(ts, &page);
    benchmark::DoNotOptimize(page.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kValues));
}
BENCHMARK(BenchEncodeDeltaTimestamps)->Arg(0)->Arg(1'000'000);

std::vector<double> GaugeValues() {
  std::vector<double> values(kValues);
  for (size_t i = 0; i < kValues; ++i) {
    values[i] = 50.0 + 20.0 * std::sin(static_cast<double>(i) / 100.0);
  }
  return values;
}

void BenchDecodeByteStreamSplitDouble(benchmark::State& state) {
  const std::vector<double> values = GaugeValues();
  std::string page;
  EncodeByteStreamSplit<double>(values, &page);
  std::vector<double> out(kValues);
  for (auto _ : state) {
    Check(DecodeByteStreamSplit<double>(page, out), state);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kValues));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * page.size()));
}
BENCHMARK(BenchDecodeByteStreamSplitDouble);

void BenchEncodeByteStreamSplitDouble(benchmark::State& state) {
  const std::vector<double> values = GaugeValues();
  std::string page;
  for (auto _ : state) {
    page.clear();
    EncodeByteStreamSplit<double>(values, &page);
    benchmark::DoNotOptimize(page.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kValues));
}
BENCHMARK(BenchEncodeByteStreamSplitDouble);

void BenchDecodePlainDouble(benchmark::State& state) {
  const std::vector<double> values = GaugeValues();
  std::string page;
  EncodePlain<double>(values, &page);
  std::vector<double> out(kValues);
  for (auto _ : state) {
    size_t consumed = 0;
    Check(DecodePlain<double>(page, out, &consumed), state);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kValues));
}
BENCHMARK(BenchDecodePlainDouble);

void BenchEncodeRleLevels(benchmark::State& state) {
  // Definition levels of a sparse label: mostly 1 with occasional nulls.
  std::vector<uint32_t> levels(kValues, 1);
  for (size_t i = 0; i < kValues; i += 97) {
    levels[i] = 0;
  }
  std::string page;
  for (auto _ : state) {
    page.clear();
    EncodeRleBitPackedWithLength(levels, 1, &page);
    benchmark::DoNotOptimize(page.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kValues));
}
BENCHMARK(BenchEncodeRleLevels);

}  // namespace
}  // namespace cardinalsin::parquet

BENCHMARK_MAIN();
