// PromStorage::Select over committed chunks: the rows -> series step PromQL pays per query.
#include <memory>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "io/in_memory_object_store.h"
#include "promscan/prom_storage.h"
#include "scan/testing/chunk_writer.h"

namespace cardinalsin::promscan {
namespace {

constexpr int64_t kBaseMs = 1'700'000'000'000;

// One chunk of `series` series x 1000 points, 15 s apart.
struct Fixture {
  explicit Fixture(int series) {
    std::unique_ptr<catalog::Catalog> writer =
        *catalog::Catalog::Open(&store, "t", {.writer_id = "w"});
    std::vector<scan::testing::TestRow> rows;
    for (int s = 0; s < series; ++s) {
      for (int p = 0; p < 1'000; ++p) {
        rows.push_back({"http_requests_total",
                        {{"instance", "host-" + std::to_string(s)}, {"job", "node"}},
                        (kBaseMs + p * 15'000) * 1'000'000,
                        p * 1.5});
      }
    }
    auto chunk = scan::testing::CommitChunk(store, *writer, "c", scan::testing::MetricsRows(rows));
    if (!chunk.ok()) std::abort();
    scanner = *scan::Scanner::Create(&store, {});
  }
  io::InMemoryObjectStore store;
  std::unique_ptr<scan::Scanner> scanner;
};

void BM_Select(benchmark::State& state) {
  Fixture fixture(static_cast<int>(state.range(0)));
  PromStorage storage(fixture.scanner.get(), {});
  const std::vector<promql::LabelMatcher> matchers = {
      {promql::MatchType::kEqual, "__name__", "http_requests_total"}};
  const promql::SelectHints hints{.start_ms = kBaseMs, .end_ms = kBaseMs + 1'000 * 15'000};
  for (auto _ : state) {
    std::unique_ptr<promql::Querier> querier = storage.NewQuerier("t", absl::InfiniteFuture());
    absl::StatusOr<promql::Matrix> matrix = querier->Select(hints, matchers);
    if (!matrix.ok() || matrix->size() != static_cast<size_t>(state.range(0))) std::abort();
    benchmark::DoNotOptimize(matrix->data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0) * 1'000);
}
BENCHMARK(BM_Select)->Arg(100)->Arg(1'000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace cardinalsin::promscan

BENCHMARK_MAIN();
