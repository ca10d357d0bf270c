// Commit and reopen cost against an in-memory store as the live set grows: every commit copies
// the state (snapshots are immutable), so this is what bounds commits/s for large catalogs before
// the store's latency does.
//
//   build/release/src/catalog/catalog_benchmark

#include <memory>

#include "absl/strings/str_format.h"
#include "benchmark/benchmark.h"
#include "catalog/catalog.h"
#include "catalog/testing/commit_load.h"
#include "io/in_memory_object_store.h"

namespace cardinalsin::catalog {
namespace {

using ::cardinalsin::catalog::testing::TestChunk;

// Fills a catalog with state.range(0) live chunks, 1,000 per commit, and checkpoints it.
std::unique_ptr<Catalog> Filled(io::InMemoryObjectStore& store, benchmark::State& state) {
  auto catalog = Catalog::Open(&store, "bench", {.writer_id = "bench", .checkpoint_interval = 1});
  if (!catalog.ok()) {
    state.SkipWithError(catalog.status().ToString().c_str());
    return nullptr;
  }
  for (int64_t i = 0; i < state.range(0);) {
    Commit commit;
    for (int j = 0; j < 1000 && i < state.range(0); ++j, ++i) {
      commit.add.push_back(TestChunk("bench", absl::StrFormat("fill-%d", i), i));
    }
    if (!(*catalog)->Commit(commit).ok()) state.SkipWithError("fill commit failed");
  }
  // Reopen without per-commit checkpoints so the benchmark measures commits alone.
  catalog = Catalog::Open(&store, "bench", {.writer_id = "bench", .checkpoint_interval = 1 << 30});
  if (!catalog.ok()) {
    state.SkipWithError(catalog.status().ToString().c_str());
    return nullptr;
  }
  return std::move(catalog).value();
}

void BM_CommitOneChunk(benchmark::State& state) {
  io::InMemoryObjectStore store;
  std::unique_ptr<Catalog> catalog = Filled(store, state);
  if (catalog == nullptr) return;
  // Each commit adds a chunk and removes the previous one, so the live set stays the same size.
  std::string previous;
  int64_t n = 0;
  for (auto _ : state) {
    ChunkSummary chunk = TestChunk("bench", absl::StrFormat("new-%d", n++));
    Commit commit{.add = {chunk}};
    if (!previous.empty()) commit.remove.push_back(previous);
    if (!catalog->Commit(commit).ok()) state.SkipWithError("commit failed");
    previous = chunk.path;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CommitOneChunk)
    ->Arg(0)
    ->Arg(1'000)
    ->Arg(10'000)
    ->Arg(100'000)
    ->Unit(benchmark::kMicrosecond);

void BM_OpenFromCheckpoint(benchmark::State& state) {
  io::InMemoryObjectStore store;
  if (Filled(store, state) == nullptr) return;
  for (auto _ : state) {
    auto reopened = Catalog::Open(&store, "bench", {});
    if (!reopened.ok()) state.SkipWithError(reopened.status().ToString().c_str());
  }
}
BENCHMARK(BM_OpenFromCheckpoint)
    ->Arg(1'000)
    ->Arg(10'000)
    ->Arg(100'000)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace cardinalsin::catalog

BENCHMARK_MAIN();
