// Append throughput of the WAL in every_write mode (group commit), on the local disk.
//
//   cmake --preset release -B build/release && ninja -C build/release wal_benchmark
//   build/release/src/wal/wal_benchmark [--benchmark_min_time=2]
//
// The WAL lives in $CS_WAL_BENCH_DIR (default: ./wal_benchmark.tmp, removed afterwards), so run
// it from a directory on the disk you want to measure (not tmpfs). Counters: items_per_second =
// appends per second over all writer threads; fsyncs_per_record = fdatasync calls / records.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "wal/wal.h"

namespace cardinalsin::wal {
namespace {

std::unique_ptr<Wal> g_wal;  // shared by the benchmark's threads; thread 0 opens and closes it

std::string BenchDir() {
  const char* dir = std::getenv("CS_WAL_BENCH_DIR");
  return dir != nullptr ? dir : "wal_benchmark.tmp";
}

void BM_AppendEveryWrite(benchmark::State& state) {
  const std::string payload(static_cast<size_t>(state.range(0)), 'p');
  if (state.thread_index() == 0) {
    std::filesystem::remove_all(BenchDir());
    auto wal = Wal::Open({.dir = BenchDir(), .sync = {.mode = SyncMode::kEveryWrite}});
    if (!wal.ok()) {
      state.SkipWithError(std::string(wal.status().message()).c_str());
      return;
    }
    g_wal = std::move(*wal);
  }
  for (auto _ : state) {
    if (g_wal == nullptr) break;
    auto seq = g_wal->Append(payload);
    if (!seq.ok()) {
      state.SkipWithError(std::string(seq.status().message()).c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(0));
  if (state.thread_index() == 0 && g_wal != nullptr) {
    const Wal::Stats stats = g_wal->stats();
    state.counters["fsyncs_per_record"] =
        stats.records == 0 ? 0.0
                           : static_cast<double>(stats.syncs) / static_cast<double>(stats.records);
    g_wal.reset();
    std::filesystem::remove_all(BenchDir());
  }
}
BENCHMARK(BM_AppendEveryWrite)
    ->ArgName("record_bytes")
    ->Arg(1 << 10)
    ->Arg(64 << 10)
    ->Threads(1)
    ->Threads(4)
    ->Threads(16)
    ->UseRealTime();

}  // namespace
}  // namespace cardinalsin::wal

BENCHMARK_MAIN();
