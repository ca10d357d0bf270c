// Micro-benchmarks of the hot range kernels: one call per (series, step) over a window of
// `state.range(0)` points, as the engine makes them.
//
//   ninja -C build/release promql_functions_benchmark
//   build/release/src/promql/promql_functions_benchmark
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "promql/functions_eval.h"

namespace cardinalsin::promql {
namespace {

void RunKernel(benchmark::State& state, const char* name, const char* metric,
               std::vector<double> scalars = {}) {
  const FunctionImpl* impl = LookupFunctionImpl(name);
  std::vector<FPoint> points;
  for (int64_t i = 0; i < state.range(0); ++i) {
    points.push_back(FPoint{i * 15'000 + 1'000, static_cast<double>(i % 97) * 3.5});
  }
  Labels labels = {{"__name__", metric}, {"instance", "host-1"}, {"job", "node"}};
  Annotations annotations;
  RangeCall call;
  call.points = points;
  call.range_start_ms = 0;
  call.range_end_ms = state.range(0) * 15'000;
  call.eval_ms = call.range_end_ms;
  call.scalars = scalars;
  call.labels = &labels;
  call.annotations = &annotations;
  for (auto _ : state) {
    benchmark::DoNotOptimize(impl->range(call));
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Rate(benchmark::State& state) { RunKernel(state, "rate", "requests_total"); }
// A gauge: every call also adds (deduplicated) the "might not be a counter" info.
void BM_RateOnGauge(benchmark::State& state) { RunKernel(state, "rate", "temperature"); }
void BM_Increase(benchmark::State& state) { RunKernel(state, "increase", "requests_total"); }
void BM_AvgOverTime(benchmark::State& state) { RunKernel(state, "avg_over_time", "x"); }
void BM_MaxOverTime(benchmark::State& state) { RunKernel(state, "max_over_time", "x"); }
void BM_QuantileOverTime(benchmark::State& state) {
  RunKernel(state, "quantile_over_time", "x", {0.9});
}
void BM_Deriv(benchmark::State& state) { RunKernel(state, "deriv", "x"); }

BENCHMARK(BM_Rate)->Arg(5)->Arg(20)->Arg(240);
BENCHMARK(BM_RateOnGauge)->Arg(20);
BENCHMARK(BM_Increase)->Arg(20);
BENCHMARK(BM_AvgOverTime)->Arg(20)->Arg(240);
BENCHMARK(BM_MaxOverTime)->Arg(20);
BENCHMARK(BM_QuantileOverTime)->Arg(20)->Arg(240);
BENCHMARK(BM_Deriv)->Arg(20);

}  // namespace
}  // namespace cardinalsin::promql

BENCHMARK_MAIN();
