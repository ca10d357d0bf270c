// Engine throughput over an in-memory Querier: range queries over 10k counter series, one
// sample every 15s for 1h05m, evaluated over 1h at a 15s step (241 steps), and the same
// queries as instant queries. Storage time is excluded (MemoryQuerier copies the selected
// points, which is included).
//
//   build/h-engine-rel/src/promql/promql_engine_benchmark --benchmark_counters_tabular=true
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "promql/engine.h"
#include "promql/parser.h"
#include "promql/testing/memory_querier.h"

namespace cardinalsin::promql {
namespace {

constexpr int64_t kStep = 15'000;
constexpr int64_t kStart = 3'900'000;  // 1h05m: the first hour has a full 5m window
constexpr int64_t kEnd = kStart + 3'600'000;

testing::MemoryQuerier& Data() {
  static auto* q = [] {
    auto* q = new testing::MemoryQuerier();
    std::vector<FPoint> points;
    for (int s = 0; s < 10'000; ++s) {
      points.clear();
      double v = 0;
      for (int64_t t = 0; t <= kEnd; t += kStep) {
        v += static_cast<double>((s * 7 + t / kStep) % 13);
        points.push_back(FPoint{t, v});
      }
      q->Add({{"__name__", "http_requests_total"},
              {"instance", "host-" + std::to_string(s)},
              {"job", "job-" + std::to_string(s % 10)}},
             points);
    }
    return q;
  }();
  return *q;
}

void RunRange(benchmark::State& state, const char* query) {
  testing::MemoryQuerier& q = Data();
  Engine engine(EngineOptions{});
  absl::StatusOr<ExprPtr> expr = ParseExpr(query);
  if (!expr.ok()) {
    state.SkipWithError("parse failed");
    return;
  }
  int64_t points = 0;
  for (auto _ : state) {
    absl::StatusOr<QueryResult> r = engine.RangeQuery(q, **expr, kStart, kEnd, kStep, {});
    if (!r.ok()) {
      state.SkipWithError(std::string(r.status().message()).c_str());
      return;
    }
    points = r->stats.samples_loaded;
    benchmark::DoNotOptimize(r->value);
  }
  state.counters["samples_loaded"] = static_cast<double>(points);
  state.counters["samples/s"] =
      benchmark::Counter(static_cast<double>(points) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
}

void RunInstant(benchmark::State& state, const char* query) {
  testing::MemoryQuerier& q = Data();
  Engine engine(EngineOptions{});
  absl::StatusOr<ExprPtr> expr = ParseExpr(query);
  if (!expr.ok()) {
    state.SkipWithError("parse failed");
    return;
  }
  for (auto _ : state) {
    absl::StatusOr<QueryResult> r = engine.InstantQuery(q, **expr, kEnd, {});
    if (!r.ok()) {
      state.SkipWithError(std::string(r.status().message()).c_str());
      return;
    }
    benchmark::DoNotOptimize(r->value);
  }
}

void BM_RangeRate(benchmark::State& state) { RunRange(state, "rate(http_requests_total[5m])"); }
void BM_RangeSumRate(benchmark::State& state) {
  RunRange(state, "sum by (job) (rate(http_requests_total[5m]))");
}
void BM_RangeSelector(benchmark::State& state) { RunRange(state, "http_requests_total"); }
void BM_RangeRatio(benchmark::State& state) {
  RunRange(state,
           "sum by (job) (rate(http_requests_total[5m])) / on(job) group_left "
           "count by (job) (http_requests_total)");
}
void BM_RangeSubquery(benchmark::State& state) {
  RunRange(state, "max_over_time(rate(http_requests_total[5m])[15m:1m])");
}
void BM_RangeAbsRate(benchmark::State& state) {
  RunRange(state, "abs(rate(http_requests_total[5m]))");
}
void BM_RangeLabelReplace(benchmark::State& state) {
  RunRange(state, "label_replace(rate(http_requests_total[5m]), \"j\", \"$1\", \"job\", \"(.*)\")");
}
void BM_RangeVectorDivide(benchmark::State& state) {
  RunRange(state,
           "rate(http_requests_total[5m]) / on(instance, job) rate(http_requests_total[10m])");
}
void BM_InstantSumRate(benchmark::State& state) {
  RunInstant(state, "sum by (job) (rate(http_requests_total[5m]))");
}
void BM_InstantTopk(benchmark::State& state) {
  RunInstant(state, "topk(10, rate(http_requests_total[5m]))");
}

BENCHMARK(BM_RangeRate)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RangeSumRate)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RangeSelector)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RangeRatio)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RangeSubquery)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RangeAbsRate)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RangeLabelReplace)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RangeVectorDivide)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_InstantSumRate)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_InstantTopk)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace cardinalsin::promql

BENCHMARK_MAIN();
