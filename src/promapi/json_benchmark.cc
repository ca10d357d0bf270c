// Encoding a range-query result: the part of a Prometheus API response that grows with the data.
#include <string>

#include "benchmark/benchmark.h"
#include "promapi/internal/json.h"

namespace cardinalsin::promapi::internal {
namespace {

// `series` series of `points` points each, with realistic labels and fractional values.
promql::Matrix MakeMatrix(int series, int points) {
  promql::Matrix matrix;
  for (int s = 0; s < series; ++s) {
    promql::Series one;
    one.labels = {{"__name__", "http_requests_total"},
                  {"instance", "host-" + std::to_string(s) + ":9100"},
                  {"job", "node"}};
    for (int p = 0; p < points; ++p) {
      one.points.push_back({1'700'000'000'000 + p * 15'000, s * 0.37 + p * 1.25});
    }
    matrix.push_back(std::move(one));
  }
  return matrix;
}

void BM_EncodeMatrix(benchmark::State& state) {
  const promql::Matrix matrix = MakeMatrix(static_cast<int>(state.range(0)), 1'000);
  size_t bytes = 0;
  for (auto _ : state) {
    std::string out;
    AppendQueryData(&out, matrix);
    bytes = out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0) * 1'000);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}
BENCHMARK(BM_EncodeMatrix)->Arg(10)->Arg(1'000);

}  // namespace
}  // namespace cardinalsin::promapi::internal

BENCHMARK_MAIN();
